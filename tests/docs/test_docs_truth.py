#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""README.md and docs/SECURITY.md say what the code and the unit do.

Usage: test_docs_truth.py SOURCE_DIR DAEMON UNIT

- the README's collectors table has exactly the collectors of the daemon's
  --help, in the same order, each with the same default (on/off);
- the exposure scores stated in docs/SECURITY.md (its table) and in the
  README are what `systemd-analyze security --offline=true` measures for
  UNIT (the service as meson configured it) and for UNIT with the drop-in
  docs/SECURITY.md tells users to add without conntrack (the ```ini block,
  applied as a real drop-in directory) and for UNIT with the multi-namespace
  drop-in (netns.conf as meson configured it, next to UNIT); the systemd
  version the docs name is the one measuring.

Prints one line per check and "N passed, N failed"; exit 1 on failure.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check  # noqa: E402

UNIT = "netstack_exporter.service"


def readme_collectors(readme):
    sec = re.search(r"^## Collectors\n(.*?)(?=^## )", readme, re.M | re.S)
    if not sec:
        return []
    return re.findall(r"^\| `(\w+)` \| (on|off) \|", sec.group(1), re.M)


def help_collectors(daemon):
    out = subprocess.run([daemon, "--help"], capture_output=True, text=True, timeout=30).stdout
    return [(n, "on" if s == "enabled" else "off")
            for n, s in re.findall(r"^  (\w+)\s+\[(enabled|disabled)\]", out, re.M)]


def exposure(unit_dir):
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", UNIT],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, SYSTEMD_UNIT_PATH=unit_dir + ":"))
    m = re.search(r"Overall exposure level for %s: ([0-9.]+)" % re.escape(UNIT), r.stdout)
    return m.group(1) if m else None, r.stdout[-300:] + r.stderr[-300:]


def main():
    src, daemon, unit = sys.argv[1], sys.argv[2], sys.argv[3]
    readme = open(os.path.join(src, "README.md")).read()
    security = open(os.path.join(src, "docs", "SECURITY.md")).read()

    # ---- collectors ----
    have = help_collectors(daemon)
    doc = readme_collectors(readme)
    check("--help lists collectors (%d)" % len(have), len(have) >= 5)
    check("README collectors table = --help, same order and defaults",
          doc == have, "README %s\n--help %s" % (doc, have))

    # ---- exposure ----
    if not shutil.which("systemd-analyze"):
        check("systemd-analyze installed (scripts/deps.sh --test)", False)
        return nstest.summary()
    ver = subprocess.run(["systemd-analyze", "--version"], capture_output=True, text=True,
                         timeout=30).stdout.split()
    ver = ver[1] if len(ver) > 1 else "?"
    m = re.search(r"Measured with `systemd-analyze security --offline=true` \(systemd (\d+)",
                  security)
    check("docs/SECURITY.md names the systemd that measures (%s)" % ver,
          m is not None and m.group(1) == ver, m.group(0) if m else "no 'Measured with' line")

    dropin = re.search(r"take it away too.*?```ini\n(.*?)```", security, re.S)
    check("docs/SECURITY.md has the no-conntrack drop-in", dropin is not None)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(unit, os.path.join(tmp, UNIT))
        shipped, detail = exposure(tmp)
        check("exposure of the shipped unit measured (%s)" % shipped, shipped is not None, detail)
        nocap = None
        if dropin:
            os.makedirs(os.path.join(tmp, UNIT + ".d"))
            with open(os.path.join(tmp, UNIT + ".d", "no-conntrack.conf"), "w") as f:
                f.write(dropin.group(1))
            nocap, detail = exposure(tmp)
            check("exposure with the documented drop-in measured (%s)" % nocap,
                  nocap is not None, detail)
    # The multi-namespace drop-in as meson configured it (next to UNIT), alone.
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(unit, os.path.join(tmp, UNIT))
        os.makedirs(os.path.join(tmp, UNIT + ".d"))
        shutil.copy(os.path.join(os.path.dirname(unit), "netns.conf"),
                    os.path.join(tmp, UNIT + ".d", "netns.conf"))
        netns, detail = exposure(tmp)
        check("exposure with the multi-namespace drop-in measured (%s)" % netns,
              netns is not None, detail)
    print("     systemd %s: shipped %s, no-conntrack drop-in %s, multi-namespace drop-in %s"
          % (ver, shipped, nocap, netns))

    row = re.search(r"^\| as shipped[^|]*\| \*\*([0-9.]+)\*\*", security, re.M)
    check("docs/SECURITY.md table: as shipped %s = measured %s"
          % (row.group(1) if row else None, shipped), row and row.group(1) == shipped)
    row = re.search(r"^\| with the no-conntrack drop-in[^|]*\| \*\*([0-9.]+)\*\*", security, re.M)
    check("docs/SECURITY.md table: with the drop-in %s = measured %s"
          % (row.group(1) if row else None, nocap), row and row.group(1) == nocap)
    row = re.search(r"^\| with the multi-namespace drop-in[^|]*\| \*\*([0-9.]+)\*\*", security,
                    re.M)
    check("docs/SECURITY.md table: with the multi-namespace drop-in %s = measured %s"
          % (row.group(1) if row else None, netns), row and row.group(1) == netns)
    flat = " ".join(readme.split())
    m = re.search(r"offline exposure score \(`systemd-analyze security --offline=true`, "
                  r"systemd (\d+)\) is ([0-9.]+), and ([0-9.]+) with the no-conntrack drop-in",
                  flat)
    check("README states the scores and systemd version %s = measured (%s, %s, %s)"
          % (m.groups() if m else None, ver, shipped, nocap),
          m is not None and m.groups() == (ver, shipped, nocap))
    # Any other "exposure ... N.N" claim in the README must be one of the two.
    claims = set(re.findall(r"exposure[^.]{0,120}?\b(\d\.\d)\b", flat))
    check("every exposure figure in the README is a measured one %s" % sorted(claims),
          claims <= {shipped, nocap})
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Debian package: built from a copy of the tree, inspected, linted.

Usage: test_package.py SOURCE_DIR

- `dpkg-buildpackage -b -us -uc` succeeds on a copy of the tree (the files
  git tracks plus untracked ones not ignored) in a temporary directory,
  and the compiler prints no warning with Debian's flags (hardening=+all);
- `dpkg-deb -c`: the binary, both units, the man page, the configuration
  and web-config example, /etc/default/netstack_exporter, the rules
  (config/prometheus/*.yml) and every dashboard (dashboards/*.json but
  tests/lab/allowed-empty.json) under /usr/share/netstack_exporter/;
- `dpkg-deb -e`: exactly the three files under /etc are conffiles;
- `dpkg-deb -x` into a temporary root: the installed unit reads the shipped
  /etc/default file and its ExecStart names a configuration file the
  package ships; that command (ARGS from the shipped default file, paths
  under the temporary root) passes --check-config with the installed
  binary; `systemd-analyze verify` accepts the unit with the packaged man
  page; the man page renders without warnings and every file it names is
  in the package;
- lintian: no error (its tags are printed; warnings are reported too).

Prints one line per check and "N passed, N failed"; exit 1 on failure.
"""
import glob
import gzip
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check  # noqa: E402

PKG = "netstack-exporter"
CONFFILES = {
    "/etc/default/netstack_exporter",
    "/etc/netstack_exporter/netstack_exporter.yml",
    "/etc/netstack_exporter/web-config.example.yml",
}
TOOLS = ["dpkg-buildpackage", "dh", "dpkg-deb", "lintian", "help2man", "fakeroot",
         "systemd-analyze", "man"]


def run(cmd, timeout=600, **kw):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
        return r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired:
        return None, "", "timed out after %ss" % timeout


def copy_tree(src, dst):
    """The tree as git sees it (tracked + untracked, not ignored); without
    git, everything but build directories."""
    rc, out, _ = run(["git", "-C", src, "ls-files", "-z", "-c", "-o", "--exclude-standard"],
                     timeout=60)
    if rc == 0 and out:
        for rel in out.split("\0"):
            if not rel or not os.path.lexists(os.path.join(src, rel)):
                continue  # deleted in the work tree
            os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
            shutil.copy2(os.path.join(src, rel), os.path.join(dst, rel), follow_symlinks=False)
        return "git ls-files"
    shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("build*", ".git", "__pycache__"))
    return "copytree"


def unit_value(text, key):
    return re.findall(r"^%s=(.*)$" % re.escape(key), text, re.M)


def default_args(text):
    """ARGS= of an EnvironmentFile (the last assignment; quotes and C
    escapes as systemd reads them, which shlex matches for this file)."""
    vals = re.findall(r"^ARGS=(.*)$", text, re.M)
    if not vals:
        return None
    words = shlex.split(vals[-1])
    return words[0] if words else ""


def main():
    src = os.path.abspath(sys.argv[1])
    missing = [t for t in TOOLS if not shutil.which(t)]
    if not check("packaging tools installed (scripts/deps.sh --test)", not missing,
                 "missing: " + " ".join(missing)):
        return nstest.summary()

    tmp = tempfile.mkdtemp(prefix="netstack-package-")
    try:
        tree = os.path.join(tmp, "netstack-exporter")
        how = copy_tree(src, tree)
        check("tree copied (%s) with debian/" % how,
              os.path.exists(os.path.join(tree, "debian", "control")))

        t0 = time.monotonic()
        env = {k: v for k, v in os.environ.items()
               if k not in ("CC", "CFLAGS", "CPPFLAGS", "LDFLAGS", "DEB_BUILD_OPTIONS",
                            "MESON_TESTTHREADS")}
        env["DEB_BUILD_OPTIONS"] = "parallel=2"
        rc, out, err = run(["dpkg-buildpackage", "-b", "-us", "-uc"], timeout=900, cwd=tree,
                           env=env)
        log = out + err
        secs = time.monotonic() - t0
        if not check("dpkg-buildpackage -b -us -uc succeeds (%.0f s)" % secs, rc == 0, log[-2000:]):
            return nstest.summary()
        warnings = [l for l in log.splitlines() if re.search(r"\.[ch]:\d+:\d+: warning:", l)]
        check("no compiler warning with Debian's build flags (hardening=+all)", not warnings,
              "\n".join(warnings[:10]))

        debs = [d for d in glob.glob(os.path.join(tmp, PKG + "_*.deb"))]
        if not check("one %s .deb built" % PKG, len(debs) == 1, os.listdir(tmp)):
            return nstest.summary()
        deb = debs[0]

        # ---- contents ----
        rc, out, err = run(["dpkg-deb", "-c", deb], timeout=60)
        entries = {}
        for line in out.splitlines():
            f = line.split()
            path = f[5][1:] if f[5].startswith("./") else f[5]
            entries[path.rstrip("/") or "/"] = f[0]
        files = {p for p, mode in entries.items() if not mode.startswith("d")}
        expect = {
            "/usr/bin/netstack_exporter",
            "/lib/systemd/system/netstack_exporter.service",
            "/lib/systemd/system/netstack_exporter.socket",
            "/usr/share/man/man1/netstack_exporter.1.gz",
        } | CONFFILES
        for p in sorted(expect):
            check("package ships %s" % p, p in files)
        check("the binary is executable (%s)" % entries.get("/usr/bin/netstack_exporter"),
              entries.get("/usr/bin/netstack_exporter", "").startswith("-rwxr-xr-x"))
        share = "/usr/share/netstack_exporter"
        rules = sorted(os.path.basename(p) for p in glob.glob(src + "/config/prometheus/*.yml"))
        shipped_rules = sorted(os.path.basename(p) for p in files
                               if p.startswith(share + "/prometheus/"))
        check("rules under %s/prometheus/ = config/prometheus/*.yml %s" % (share, rules),
              rules and shipped_rules == rules, shipped_rules)
        dash = sorted(os.path.basename(p) for p in glob.glob(src + "/dashboards/*.json"))
        shipped_dash = sorted(os.path.basename(p) for p in files
                              if p.startswith(share + "/dashboards/") and p.endswith(".json"))
        check("dashboards under %s/dashboards/ = dashboards/*.json %s" % (share, dash),
              dash and shipped_dash == dash, shipped_dash)
        check("allowed-empty.json is not shipped (Grafana would load it as a dashboard)",
              not [p for p in files if p.endswith("allowed-empty.json")])
        check("nothing but dashboards in %s/dashboards/" % share,
              all(p.endswith(".json") for p in files if p.startswith(share + "/dashboards/")))

        # ---- control ----
        ctl = os.path.join(tmp, "control")
        rc, _, err = run(["dpkg-deb", "-e", deb, ctl], timeout=60)
        conff = set()
        if os.path.exists(os.path.join(ctl, "conffiles")):
            conff = set(open(os.path.join(ctl, "conffiles")).read().split())
        check("conffiles are exactly %s" % sorted(CONFFILES), conff == CONFFILES, sorted(conff))
        postinst = open(os.path.join(ctl, "postinst")).read() if os.path.exists(
            os.path.join(ctl, "postinst")) else ""
        check("postinst enables netstack_exporter.service, not the socket",
              "enable 'netstack_exporter.service'" in postinst and
              "was-enabled 'netstack_exporter.socket'" in postinst and
              "deb-systemd-helper enable 'netstack_exporter.socket'" not in
              postinst.split("debian-installed 'netstack_exporter.socket'")[0])

        # ---- installed files ----
        root = os.path.join(tmp, "root")
        rc, _, err = run(["dpkg-deb", "-x", deb, root], timeout=60)
        check("dpkg-deb -x into a temporary root", rc == 0, err)
        unit = open(root + "/lib/systemd/system/netstack_exporter.service").read()
        envfiles = [e.lstrip("-") for e in unit_value(unit, "EnvironmentFile")]
        check("the unit reads /etc/default/netstack_exporter (EnvironmentFile=) %s" % envfiles,
              envfiles == ["/etc/default/netstack_exporter"])
        defaults = open(root + "/etc/default/netstack_exporter").read()
        args = default_args(defaults)
        check("/etc/default/netstack_exporter sets ARGS (%r)" % args, args is not None)
        execs = unit_value(unit, "ExecStart")
        check("one ExecStart", len(execs) == 1, execs)
        argv = shlex.split(execs[0]) if execs else []
        check("ExecStart runs /usr/bin/netstack_exporter and passes $ARGS: %s" % execs,
              argv[:1] == ["/usr/bin/netstack_exporter"] and "$ARGS" in argv)
        cfgs = [a.split("=", 1)[1] for a in argv if a.startswith("--config.file=")]
        check("ExecStart names a configuration file the package ships as a conffile %s" % cfgs,
              len(cfgs) == 1 and cfgs[0] in files and cfgs[0] in conff)
        check("Documentation= and RestartPreventExitStatus=2 are set",
              unit_value(unit, "Documentation") == ["man:netstack_exporter(1)"] and
              unit_value(unit, "RestartPreventExitStatus") == ["2"])

        # The unit's command, as systemd would run it, with the installed binary
        # and files (paths under the temporary root).
        cmd = []
        for a in argv:
            if a == "$ARGS":
                cmd += (args or "").split()
            elif a.startswith("/"):
                cmd.append(root + a)
            elif a.startswith("--config.file=/"):
                cmd.append("--config.file=" + root + a.split("=", 1)[1])
            else:
                cmd.append(a)
        rc, out, err = run(cmd + ["--check-config"], timeout=60)
        check("the installed unit's command passes --check-config with the installed conffile",
              rc == 0 and "configuration OK" in out + err, "rc %s: %s%s" % (rc, out, err))
        rc, out, err = run([root + "/usr/bin/netstack_exporter", "--help"], timeout=60)
        check("the installed binary runs (--help)", rc == 0 and "--config.file" in out + err,
              err[-300:])
        helptext = out + err

        # systemd-analyze verify on the installed unit, binary path pointed into
        # the root, Documentation= looked up in the packaged man pages.
        vunit = os.path.join(tmp, "netstack_exporter.service")
        with open(vunit, "w") as f:
            f.write(unit.replace("ExecStart=/usr/bin/", "ExecStart=" + root + "/usr/bin/"))
        rc, out, err = run(["systemd-analyze", "verify", vunit], timeout=60, cwd=tmp,
                           env=dict(os.environ, MANPATH=root + "/usr/share/man"))
        check("systemd-analyze verify: the installed unit, with the packaged man page",
              rc == 0 and not err.strip(), "rc %s: %s" % (rc, err))

        # ---- man page ----
        page = root + "/usr/share/man/man1/netstack_exporter.1.gz"
        man = gzip.open(page, "rt").read() if os.path.exists(page) else ""
        check("man page: .TH NETSTACK_EXPORTER 1, generated by help2man",
              re.search(r"^\.TH NETSTACK_EXPORTER \"?1", man, re.M) is not None and
              "help2man" in man)
        flags = sorted(set(re.findall(r"^\s+(?:-h, )?(--[a-z][\w.-]+)", helptext, re.M)))
        roff = re.sub(r"\\f[BIRP]", "", man).replace("\\-", "-").replace("\\&", "")
        absent = [f for f in flags if f not in roff]
        check("man page lists every flag of --help (%d)" % len(flags), flags and not absent,
              absent)
        rc, out, err = run(["man", "--warnings", "-l", page], timeout=60,
                           env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0"))
        check("man page renders without warnings", rc == 0 and not err.strip(), err[-500:])
        named = set(re.findall(r"(/(?:etc|usr)/[\w./-]+)", roff))
        notshipped = [p for p in named
                      if p.rstrip("/") not in entries and p.rstrip(".") not in entries]
        check("every file the man page names is in the package %s" % sorted(named),
              named and not notshipped, notshipped)

        # ---- lintian ----
        t0 = time.monotonic()
        rc, out, err = run(["lintian", "--pedantic", "--display-info", deb], timeout=600)
        secs = time.monotonic() - t0
        tags = [l for l in out.splitlines() if re.match(r"^[EWIPXO]: ", l)]
        print("     lintian --pedantic --display-info (%.0f s), %d tags:" % (secs, len(tags)))
        for t in tags:
            print("       " + t)
        errors = [t for t in tags if t.startswith("E: ")]
        check("lintian ran", rc is not None and "ERROR" not in err, err[-500:])
        check("lintian: no error", not errors, "\n".join(errors))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())

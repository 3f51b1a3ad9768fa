#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The tree builds without a warning in every build type packagers use.

Usage: test_builds.py SOURCE_DIR

- werror is not a default option: a plain `meson setup` (what a packager
  or dh_auto_configure runs) gets werror=false, so a new compiler's new
  warning cannot break someone else's build;
- gcc `debugoptimized`, `release` and `plain`, and clang `debugoptimized`,
  each configured with -Dwerror=true in a temporary directory, build
  everything (daemon and tests) with no warning.

Prints one line per check, the time of each build, and "N passed, N failed".
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check  # noqa: E402

BUILDS = [
    ("gcc", "debugoptimized"),
    ("gcc", "release"),
    ("gcc", "plain"),
    ("clang", "debugoptimized"),
]
# Each setup+build is bounded; meson's own test timeout bounds the whole.
STEP_TIMEOUT = 600


def run(cmd, env=None, timeout=STEP_TIMEOUT):
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        return None, "timed out after %ss: %s" % (timeout, (e.stdout or b"")[-500:])


def option(builddir, name):
    rc, out = run(["meson", "introspect", "--buildoptions", builddir], timeout=60)
    if rc != 0:
        return None
    for o in json.loads(out):
        if o["name"] == name:
            return o["value"]
    return None


def main():
    src = os.path.abspath(sys.argv[1])
    # The caller's CC/CFLAGS must not change what is tested.
    base_env = {k: v for k, v in os.environ.items()
                if k not in ("CC", "CFLAGS", "CPPFLAGS", "LDFLAGS", "MESON_TESTTHREADS")}
    tmp = tempfile.mkdtemp(prefix="netstack-builds-")
    try:
        d = os.path.join(tmp, "defaults")
        rc, out = run(["meson", "setup", d, src], env=base_env)
        check("plain `meson setup` configures", rc == 0, out[-500:])
        if rc == 0:
            check("werror is not a default option (a packager's build gets werror=false)",
                  option(d, "werror") is False, "werror=%r" % option(d, "werror"))
        shutil.rmtree(d, ignore_errors=True)

        for compiler, buildtype in BUILDS:
            name = "%s %s" % (compiler, buildtype)
            if not shutil.which(compiler):
                check("%s: compiler %s installed (scripts/deps.sh --test)" % (name, compiler),
                      False)
                continue
            env = dict(base_env, CC=compiler)
            d = os.path.join(tmp, "%s-%s" % (compiler, buildtype))
            t0 = time.monotonic()
            rc, out = run(["meson", "setup", d, src, "-Dbuildtype=" + buildtype,
                           "-Dwerror=true"], env=env)
            if not check("%s: configures with -Dwerror=true" % name, rc == 0, out[-800:]):
                continue
            check("%s: werror=true and buildtype=%s took effect" % (name, buildtype),
                  option(d, "werror") is True and option(d, "buildtype") == buildtype)
            rc, out = run(["ninja", "-C", d], env=env)
            secs = time.monotonic() - t0
            warnings = [l for l in out.splitlines() if "warning:" in l]
            check("%s: daemon and tests build with -Werror, no warning (%.0f s)" % (name, secs),
                  rc == 0 and not warnings,
                  "\n".join(warnings[:10]) or out[-1500:])
            check("%s: the daemon was built" % name,
                  os.access(os.path.join(d, "netstack_exporter"), os.X_OK))
            shutil.rmtree(d, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())

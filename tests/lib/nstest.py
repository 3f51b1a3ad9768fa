# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers shared by the Python test scripts under tests/.

A script puts this folder on sys.path and imports it:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    import nstest

check() prints one line a check ("ok   NAME" or "FAIL NAME: DETAIL") and
counts it; summary() prints "N passed, N failed" and gives the exit status.
The counters are module globals (nstest.passed, nstest.failed,
nstest.skipped), so a script that adds results from elsewhere (a child
process's RESULT line) adds to them.
"""
import signal
import socket
import subprocess
import sys

DETAIL_MAX = 500

passed = 0
failed = 0
skipped = 0


def check(name, ok, detail=""):
    """Count one check; print "ok   NAME" or "FAIL NAME: DETAIL" (DETAIL cut to
    DETAIL_MAX characters). Returns bool(ok)."""
    global passed, failed
    if ok:
        passed += 1
        print("ok   %s" % name)
    else:
        failed += 1
        detail = str(detail)
        if len(detail) > DETAIL_MAX:
            detail = detail[:DETAIL_MAX] + "..."
        print("FAIL %s%s" % (name, (": " + detail) if detail else ""))
    sys.stdout.flush()
    return bool(ok)


def skip(reason):
    """Count a skipped check or scenario; print "SKIP: REASON"."""
    global skipped
    skipped += 1
    print("SKIP: %s" % reason, flush=True)


def skip_all(reason):
    """Skip the whole script: print "SKIP: REASON" and exit 77 (meson's skip)."""
    skip(reason)
    sys.exit(77)


def summary():
    """Print "N passed, N failed" (", N skipped" when any); return the exit
    status: 1 if any check failed, else 0."""
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line, flush=True)
    return 1 if failed else 0


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    """A TCP port that was free a moment ago on HOST (bound to port 0)."""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def stop(p, sig=signal.SIGTERM):
    """Send SIG to a running process, wait up to 5 s, then kill it (waiting up
    to 5 s more). Returns its exit status."""
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
    return p.returncode

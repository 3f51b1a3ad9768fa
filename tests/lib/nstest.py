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

exporter_as_root() checks a test script's argument, root and tools; run()
runs a command and raises on failure; add_netns()/del_netns() make and
remove a network namespace (skipping the script when it cannot be made);
enable_conntrack() turns connection tracking on in one; parse_exposition(),
series() and sample() read an exporter's text exposition.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

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


def exporter_as_root(why, tools=()):
    """The exporter path of a script run as `SCRIPT <path-to-netstack_exporter>`
    (made absolute; exits with a usage message otherwise). Skips the whole
    script unless it runs as root (WHY says what needs root) and every one of
    TOOLS is installed."""
    if len(sys.argv) != 2:
        sys.exit("usage: %s <path-to-netstack_exporter>" % os.path.basename(sys.argv[0]))
    exporter = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        skip_all("needs root (%s)" % why)
    for tool in tools:
        if not shutil.which(tool):
            skip_all("%s not installed" % tool)
    return exporter


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


def http_get(url, timeout=10):
    """GET url: (status, body text); an HTTP error gives its status and body,
    a connection failure (None, the error)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except OSError as e:
        return None, repr(e)


def raw_request(port, req, timeout=3, ctx=None, host="127.0.0.1"):
    """Send the bytes REQ on a new connection (TLS with the ssl context CTX)
    and read until the server closes: (seconds, bytes). A reset or a timeout
    ends the read; what came before is returned."""
    s = socket.create_connection((host, port), timeout=timeout)
    if ctx:
        s = ctx.wrap_socket(s, server_hostname=host)
    try:
        return send_and_read(s, req)
    finally:
        s.close()


def send_and_read(s, req):
    """Send REQ on the connected socket S and read until the server closes (or
    a reset or timeout ends it): (seconds, bytes)."""
    t0 = time.monotonic()
    data = b""
    try:
        s.sendall(req)
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except OSError:
        pass
    return time.monotonic() - t0, data


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


def run(cmd, check_rc=True, timeout=60, input_text=None):
    """Run CMD (a list) with its output captured as text and INPUT_TEXT on its
    standard input; raise RuntimeError naming the command, its exit status and
    its stderr when it fails and CHECK_RC is set. Returns the CompletedProcess."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input_text)
    if check_rc and p.returncode != 0:
        raise RuntimeError("%s: rc=%d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    return p


def add_netns(*names):
    """Create the network namespaces NAMES; skip the whole script (exit 77)
    when the kernel or the tools refuse."""
    try:
        for name in names:
            run(["ip", "netns", "add", name])
    except RuntimeError as e:
        skip_all("cannot create a network namespace: %s" % e)


def del_netns(*names):
    """Delete the network namespaces NAMES, ignoring ones already gone."""
    for name in names:
        run(["ip", "netns", "del", name], check_rc=False)


def enable_conntrack(ns, table):
    """Bring up NS's loopback and turn connection tracking on there with an
    nftables table TABLE whose output chain matches on `ct state new`."""
    run(["ip", "-n", ns, "link", "set", "lo", "up"])
    run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input_text="""
table inet %s {
    chain out {
        type filter hook output priority 0; policy accept;
        ct state new counter
    }
}
""" % table)


SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    """{(name, frozenset(labels.items())): value} for every sample line of a
    text exposition; ValueError on a line that is not a sample."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        if not m:
            raise ValueError("bad line %r" % line)
        labels = dict(LABEL_RE.findall(m.group(3) or ""))
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return out


def series(samples, name):
    """{frozenset(labels.items()): value} of every sample of metric NAME."""
    return {k[1]: v for k, v in samples.items() if k[0] == name}


def sample(samples, name, **labels):
    """The value of NAME{LABELS} (exactly those labels), or None."""
    return samples.get((name, frozenset(labels.items())))

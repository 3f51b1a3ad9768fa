# SPDX-License-Identifier: GPL-2.0-or-later
"""Setup shared by the lab tests (test_lab.py, test_alerts_idle.py): a real
daemon and a real Prometheus in network namespaces, evaluating the project's
rule files with their time ranges shortened.

    lab_args(doc, why, t)  (daemon, source dir) from argv, after the root,
                           tools and python3-yaml checks (skip otherwise)
    log(msg)               a line stamped with the seconds since the start
    Timeout                raised by the scripts' alarm and signal handlers
    in_netns(name)         this thread in a named namespace for a block
    http_ok(ns, url)       GET url from inside ns answers 200
    wait_for(pred, s, w)   poll pred every 0.5 s, RuntimeError after s seconds
    shorten_rules(...)     a rule file with every range, offset and group
                           interval shortened (and `for:` too if asked)
    start_prometheus(...)  write prometheus.yml and run Prometheus in a namespace
    stop(proc)             SIGTERM, then kill after 10 s
    print_log_tails(...)   the end of each log file of a failed run
"""
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

CLONE_NEWNET = 0x40000000
DUR = r"(?:\d+(?:ms|[smhdwy]))+"
_libc = ctypes.CDLL(None, use_errno=True)
t0 = time.monotonic()


def lab_args(doc, why, tools):
    """(daemon, source dir), absolute, of a script run as `SCRIPT
    <path-to-netstack_exporter> <source-dir>`; otherwise print DOC and exit 2.
    Skips the whole script unless it runs as root (WHY says what needs root),
    every one of TOOLS is installed and python3-yaml imports."""
    from nstest import skip_all  # tests/lib, on sys.path in every lab script
    if len(sys.argv) != 3:
        print(doc)
        sys.exit(2)
    if os.geteuid() != 0:
        skip_all("needs root (%s)" % why)
    for tool in tools:
        if not shutil.which(tool):
            skip_all("%s not installed" % tool)
    try:
        import yaml  # noqa: F401
    except ImportError:
        skip_all("python3-yaml not installed")
    return os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])


def log(msg):
    """Print MSG stamped with the seconds since this module was loaded."""
    print("[%6.1fs] %s" % (time.monotonic() - t0, msg), flush=True)


class Timeout(Exception):
    """The run took too long or was told to stop (SIGALRM, SIGTERM)."""


class in_netns:
    """Move this thread into the named network namespace for the block;
    sockets created inside stay in that namespace."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.orig = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        fd = os.open("/run/netns/" + self.name, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, "setns %s: %s" % (self.name, os.strerror(e)))
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc):
        try:
            if _libc.setns(self.orig, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, "setns back: %s" % os.strerror(e))
        finally:
            os.close(self.orig)
        return False


def http_ok(ns, url):
    """True if a GET of URL from inside namespace NS answers 200 within 2 s."""
    with in_netns(ns):
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False


def wait_for(pred, seconds, what):
    """Call PRED every 0.5 s until it is true (returns True); RuntimeError
    naming WHAT after SECONDS."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.5)
    raise RuntimeError("timed out after %d s waiting for %s" % (seconds, what))


def shorten_rules(src, name, out_dir, rng, for_=None):
    """Write OUT_DIR/NAME: config/prometheus/NAME of SRC with every range and
    offset duration set to RNG and every group interval to 1s; with FOR_, every
    `for:` set to it (and keep_firing_for dropped). Returns (path, alert names)."""
    import yaml
    with open(os.path.join(src, "config", "prometheus", name)) as fh:
        doc = yaml.safe_load(fh)
    alerts = []
    for g in doc.get("groups", []):
        g["interval"] = "1s"
        for r in g.get("rules", []):
            e = str(r["expr"])
            e = re.sub(r"\[%s(:%s)?\]" % (DUR, DUR),
                       lambda m: "[%s%s]" % (rng, ":1s" if m.group(1) else ""), e)
            r["expr"] = re.sub(r"\boffset\s+%s" % DUR, "offset " + rng, e)
            if for_ is not None:
                if "for" in r:
                    r["for"] = for_
                r.pop("keep_firing_for", None)
            if "alert" in r:
                alerts.append(r["alert"])
    path = os.path.join(out_dir, name)
    with open(path, "w") as fh:
        yaml.safe_dump(doc, fh, sort_keys=False)
    return path, alerts


def start_prometheus(ns, tmp, rule_files, job, target_port, port):
    """Prometheus in namespace NS on 127.0.0.1:PORT, scraping job JOB at
    127.0.0.1:TARGET_PORT and evaluating RULE_FILES every second; config,
    storage and prometheus.log under TMP. Returns the Popen."""
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as fh:
        fh.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                 "  evaluation_interval: 1s\nrule_files:\n%s"
                 "scrape_configs:\n  - job_name: %s\n    static_configs:\n"
                 "      - targets: ['127.0.0.1:%d']\n"
                 % ("".join("  - %s\n" % p for p in rule_files), job, target_port))
    with open(os.path.join(tmp, "prometheus.log"), "w") as plog:
        return subprocess.Popen(
            ["ip", "netns", "exec", ns, "prometheus", "--config.file=" + cfg,
             "--storage.tsdb.path=" + os.path.join(tmp, "data"),
             "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"],
            stdout=plog, stderr=subprocess.STDOUT)


def stop(proc, name="", log=None):
    """SIGTERM PROC if it runs; kill it if it has not exited 10 s later (and
    say so through LOG)."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        if log:
            log("%s did not exit on SIGTERM, killing pid %d" % (name, proc.pid))
        proc.kill()
        proc.wait(timeout=10)


def print_log_tails(tmp, names, size):
    """Print the last SIZE characters of each log file NAMES under TMP."""
    for name in names:
        p = os.path.join(tmp, name)
        if os.path.exists(p):
            with open(p) as fh:
                tail = fh.read()[-size:]
            if tail.strip():
                print("---- %s (tail)\n%s" % (name, tail))

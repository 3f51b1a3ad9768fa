#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Quiet on a healthy host: a real Prometheus evaluates every shipped alert
on the real daemon in an idle network namespace, and none may be pending.

Usage: test_alerts_idle.py <path-to-netstack_exporter> <source-dir>

A fresh namespace (loopback up, nothing else running) holds the daemon
(every collector the alerts read: tcp udp conntrack qdisc ethtool on) and
Prometheus (scrape and evaluation every second). The rules of
config/prometheus/netstack-rules.yml and netstack-alerts.yml are loaded
with every range and offset shortened to 20s (so rates exist after a few
seconds) but each alert's `for:` kept: an alert whose expression matches
anything on an idle host turns pending at once and fails the test. After
IDLE_SECONDS (twice the shortened window) every alert must have been
evaluated, without error, and be inactive. The opt-in tuning advice
(netstack-tuning.yml) is evaluated too and what it finds is printed, not
asserted (it describes settings, true on many healthy hosts).

Exit status: 0 passed, 1 failed, 77 skipped (not root, a tool missing).
"""
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dashboards  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check, skip_all  # noqa: E402

NS = "nsidle-%d" % os.getpid()
JOB = "netstack-idle"
RANGE = "20s"
IDLE_SECONDS = 45
ALARM = 150
DUR = r"(?:\d+(?:ms|[smhdwy]))+"
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
t0 = time.monotonic()


def log(msg):
    print("[%6.1fs] %s" % (time.monotonic() - t0, msg), flush=True)


class Timeout(Exception):
    pass


def on_signal(signum, frame):
    raise Timeout("stopped by signal %d" % signum)


class netns:
    """This thread in the namespace for the block (to reach 127.0.0.1 there)."""

    def __enter__(self):
        self.orig = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        fd = os.open("/run/netns/" + NS, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + NS)
        finally:
            os.close(fd)

    def __exit__(self, *exc):
        try:
            if _libc.setns(self.orig, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
        finally:
            os.close(self.orig)
        return False


def get(base, path, params=None):
    with netns():
        return test_dashboards.prom_get(base, path, params or {})


def http_ok(url):
    with netns():
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False


def wait_for(pred, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.5)
    raise RuntimeError("timed out after %d s waiting for %s" % (seconds, what))


def render(src, name, out_dir):
    """The rule file with ranges and offsets shortened, `for:` kept."""
    import yaml
    with open(os.path.join(src, "config", "prometheus", name)) as fh:
        doc = yaml.safe_load(fh)
    alerts = []
    for g in doc.get("groups", []):
        g["interval"] = "1s"
        for r in g.get("rules", []):
            e = str(r["expr"])
            e = re.sub(r"\[%s(:%s)?\]" % (DUR, DUR),
                       lambda m: "[%s%s]" % (RANGE, ":1s" if m.group(1) else ""), e)
            r["expr"] = re.sub(r"\boffset\s+%s" % DUR, "offset " + RANGE, e)
            if "alert" in r:
                alerts.append(r["alert"])
    path = os.path.join(out_dir, name)
    with open(path, "w") as fh:
        yaml.safe_dump(doc, fh, sort_keys=False)
    return path, alerts


def stop(proc):
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    daemon, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if os.geteuid() != 0:
        skip_all("needs root (a network namespace)")
    for tool in ("ip", "prometheus"):
        if not shutil.which(tool):
            skip_all("%s not installed" % tool)
    try:
        import yaml  # noqa: F401
    except ImportError:
        skip_all("python3-yaml not installed")
    helptext = subprocess.run([daemon, "--help"], capture_output=True, text=True).stdout
    collectors = [c for c in ("tcp", "udp", "conntrack", "qdisc", "ethtool")
                  if "--collector.%s" % c in helptext]

    signal.signal(signal.SIGALRM, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.alarm(ALARM)
    tmp = tempfile.mkdtemp(prefix="netstack-idle-")
    daemon_p = prom_p = None
    try:
        subprocess.run(["ip", "netns", "add", NS], check=True)
        subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"], check=True)
        with netns():
            dport = nstest.free_port()
            pport = nstest.free_port()
            while pport == dport:
                pport = nstest.free_port()
        files = {}
        for name in ("netstack-rules.yml", "netstack-alerts.yml", "netstack-tuning.yml"):
            files[name] = render(src, name, tmp)
        daemon_p = subprocess.Popen(
            ["ip", "netns", "exec", NS, daemon, "--web.listen-address=127.0.0.1:%d" % dport,
             "--log.level=warn"] + ["--collector." + c for c in collectors],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "daemon.log"), "w"))
        wait_for(lambda: http_ok("http://127.0.0.1:%d/-/healthy" % dport), 20, "the daemon")
        with open(os.path.join(tmp, "prometheus.yml"), "w") as fh:
            fh.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                     "  evaluation_interval: 1s\nrule_files:\n%s"
                     "scrape_configs:\n  - job_name: %s\n    static_configs:\n"
                     "      - targets: ['127.0.0.1:%d']\n"
                     % ("".join("  - %s\n" % p for p, _ in files.values()), JOB, dport))
        prom_p = subprocess.Popen(
            ["ip", "netns", "exec", NS, "prometheus",
             "--config.file=" + os.path.join(tmp, "prometheus.yml"),
             "--storage.tsdb.path=" + os.path.join(tmp, "data"),
             "--web.listen-address=127.0.0.1:%d" % pport, "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "prometheus.log"), "w"))
        base = "http://127.0.0.1:%d" % pport
        wait_for(lambda: http_ok(base + "/-/ready"), 30, "Prometheus")
        log("idle namespace %s: daemon (%s) and Prometheus, %d s"
            % (NS, " ".join(collectors), IDLE_SECONDS))
        time.sleep(IDLE_SECONDS)

        up = get(base, "/api/v1/query", {"query": 'min(netstack_scrape_collector_success{job="%s"})'
                                         % JOB}).get("data", {}).get("result", [])
        check("the daemon is scraped and every collector succeeds",
              bool(up) and float(up[0]["value"][1]) == 1, str(up))
        groups = get(base, "/api/v1/rules").get("data", {}).get("groups", [])
        rules = {}
        for g in groups:
            for r in g.get("rules", []):
                rules[r.get("name")] = dict(r, file=os.path.basename(g.get("file", "")))
        default = files["netstack-alerts.yml"][1]
        tuning = files["netstack-tuning.yml"][1]
        missing = [a for a in default + tuning if a not in rules]
        check("Prometheus loaded every alert (%d, and %d tuning)" % (len(default), len(tuning)),
              not missing, str(missing))
        bad = ["%s: %s" % (n, r.get("lastError")) for n, r in rules.items()
               if r.get("health") != "ok"]
        check("every rule evaluates without error", not bad, "; ".join(bad[:5]))
        unevaluated = [a for a in default if a in rules and
                       rules[a].get("lastEvaluation", "").startswith("0001")]
        check("every alert was evaluated", not unevaluated, str(unevaluated))
        active = {a: rules[a].get("state") for a in default
                  if a in rules and rules[a].get("state") != "inactive"}
        check("idle namespace: no alert pending or firing (%d alerts)" % len(default),
              not active, str(active))
        for a in tuning:
            if a in rules and rules[a].get("state") != "inactive":
                log("tuning advice (opt-in, not asserted): %s %s" % (a, rules[a].get("state")))
    except Timeout as e:
        check("finished in time", False, str(e))
    except Exception as e:
        check("ran to the end", False, "%s: %s" % (type(e).__name__, e))
    finally:
        signal.alarm(0)
        stop(prom_p)
        stop(daemon_p)
        if nstest.failed:
            for name in ("daemon.log", "prometheus.log"):
                p = os.path.join(tmp, name)
                if os.path.exists(p):
                    tail = open(p).read()[-1500:]
                    if tail.strip():
                        print("---- %s (tail)\n%s" % (name, tail))
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())

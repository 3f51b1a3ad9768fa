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
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dashboards  # noqa: E402
from labkit import (  # noqa: E402
    Timeout, lab_args, log, in_netns, http_ok, wait_for, shorten_rules, start_prometheus, stop,
    print_log_tails)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check  # noqa: E402

NS = "nsidle-%d" % os.getpid()
JOB = "netstack-idle"
RANGE = "20s"
IDLE_SECONDS = 45
ALARM = 150


def on_signal(signum, frame):
    raise Timeout("stopped by signal %d" % signum)


def get(base, path, params=None):
    with in_netns(NS):
        return test_dashboards.prom_get(base, path, params or {})


def main():
    daemon, src = lab_args(__doc__, "a network namespace", ("ip", "prometheus"))
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
        with in_netns(NS):
            dport = nstest.free_port()
            pport = nstest.free_port()
            while pport == dport:
                pport = nstest.free_port()
        files = {}
        for name in ("netstack-rules.yml", "netstack-alerts.yml", "netstack-tuning.yml"):
            files[name] = shorten_rules(src, name, tmp, RANGE)
        daemon_p = subprocess.Popen(
            ["ip", "netns", "exec", NS, daemon, "--web.listen-address=127.0.0.1:%d" % dport,
             "--log.level=warn"] + ["--collector." + c for c in collectors],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "daemon.log"), "w"))
        wait_for(lambda: http_ok(NS, "http://127.0.0.1:%d/-/healthy" % dport), 20, "the daemon")
        prom_p = start_prometheus(NS, tmp, [p for p, _ in files.values()], JOB, dport, pport)
        base = "http://127.0.0.1:%d" % pport
        wait_for(lambda: http_ok(NS, base + "/-/ready"), 30, "Prometheus")
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
            print_log_tails(tmp, ("daemon.log", "prometheus.log"), 1500)
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())

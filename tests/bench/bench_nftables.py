#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Benchmark: the nftables collector against `nft -j list ruleset`, side by side.

Usage: bench_nftables.py --exporter PATH [--rules 10000] [--chains 100]
                         [--set-elements 100000] [--rounds 9]

In a fresh network namespace (deleted at the end): one table with --rules
rules (each `udp dport N counter comment "rN"`) over --chains chains, and a
named set of --set-elements addresses. Interleaved rounds, each one:
  nft     `nft -j list ruleset` as a whole process (CPU = user + sys of the
          finished process, from wait4; wall time)
  once    `netstack_exporter --once --collector.disable-defaults
          --collector.nftables` as a whole process, the same figures
          (rule-series-max and set-elements-max above the ruleset's size:
          every rule and every element, as nft lists them)
  warm    one scrape of a running daemon (collect[]=nftables): the CPU
          time of its threads over the scrape (schedstat) and its own
          netstack_scrape_collector_duration_seconds, with and without
          counting the set's elements (set-elements-max=0): the difference
          is what counting --set-elements elements costs
Prints the medians, and the median of the per-round ratios once/nft.
Not part of `meson test`: run it with `meson test --benchmark nftables`.
"""
import argparse
import ctypes
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import http.client

NS = "nsnftb-%d" % os.getpid()


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600, **kw)


def timed(cmd):
    """(cpu seconds, wall seconds) of one whole process, from wait4's rusage."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d" % (" ".join(cmd), p.returncode))
    return ru.ru_utime + ru.ru_stime, wall


def enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:
        raise OSError(ctypes.get_errno(), "setns")
    os.close(fd)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(exporter, *extra):
    port = free_port()
    p = subprocess.Popen([exporter, "--web.listen-address=127.0.0.1:%d" % port,
                          "--collector.disable-defaults", "--collector.nftables",
                          "--log.level=error"] + list(extra))
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("daemon did not listen")


def cpu_ns(pid):
    """CPU time of every thread of @pid so far (schedstat, nanoseconds)."""
    total = 0
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            total += int(open("/proc/%d/task/%s/schedstat" % (pid, t)).read().split()[0])
        except (OSError, ValueError):
            pass
    return total


CONN = {}


def scrape_seconds(port):
    """One scrape on a kept connection (the same daemon thread serves it every
    time, so its schedstat holds the scrape's CPU time)."""
    if port not in CONN:
        CONN[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    CONN[port].request("GET", "/metrics?collect[]=nftables")
    body = CONN[port].getresponse().read().decode()
    m = re.search(r'^netstack_scrape_collector_duration_seconds\{collector="nftables"\} (\S+)$',
                  body, re.M)
    if not m or 'netstack_scrape_collector_success{collector="nftables"} 1' not in body:
        raise RuntimeError("scrape failed")
    return float(m.group(1)), body


def build(rules, chains, elements):
    lines = ["add table inet bench"]
    for c in range(chains):
        lines.append("add chain inet bench c%d" % c)
    lines.append("add chain inet bench input { type filter hook input priority 0; }")
    for c in range(chains):
        lines.append("add rule inet bench input jump c%d" % c)
    for i in range(rules):
        lines.append('add rule inet bench c%d udp dport %d counter comment "r%d"' %
                     (i % chains, 1024 + i % 60000, i))
    lines.append("add set inet bench big { type ipv4_addr; size %d; }" % max(elements, 1))
    for start in range(0, elements, 5000):
        lines.append("add element inet bench big { %s }" % ", ".join(
            "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
            for i in range(start, min(start + 5000, elements))))
    run(["nft", "-f", "-"], input="\n".join(lines) + "\n")


def med(xs):
    return statistics.median(xs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exporter", required=True)
    ap.add_argument("--rules", type=int, default=10000)
    ap.add_argument("--chains", type=int, default=100)
    ap.add_argument("--set-elements", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=9)
    a = ap.parse_args()
    exporter = os.path.abspath(a.exporter)
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces, nf_tables)")
        return 77
    subprocess.run(["ip", "netns", "add", NS], check=True)
    daemons = []
    try:
        enter_netns(NS)
        run(["ip", "link", "set", "lo", "up"])
        t0 = time.monotonic()
        build(a.rules, a.chains, a.set_elements)
        print("ruleset: %d counter rules in %d chains, a set of %d elements (built in %.1f s)"
              % (a.rules, a.chains, a.set_elements, time.monotonic() - t0))
        # every rule series and every element counted, as nft lists them all
        full = ["--collector.nftables.rule-series-max=%d" % a.rules,
                "--collector.nftables.set-elements-max=%d" % (a.set_elements + 1)]
        once = [exporter, "--once", "--collector.disable-defaults",
                "--collector.nftables"] + full
        nft = ["nft", "-j", "list", "ruleset"]
        d_on, port_on = serve(exporter, *full)
        d_off, port_off = serve(exporter, "--collector.nftables.rule-series-max=%d" % a.rules,
                                "--collector.nftables.set-elements-max=0")
        daemons = [d_on, d_off]
        _, body = scrape_seconds(port_on)  # warm up both, and check what they see
        scrape_seconds(port_off)
        series = sum(1 for l in body.splitlines()
                     if l.startswith("netstack_nftables_rule_packets_total{"))
        m = re.search(r'^netstack_nftables_set_elements\{[^}]*set="big"\} (\d+)$', body, re.M)
        print("the daemon sees %d rule series and %s set elements" %
              (series, m.group(1) if m else "no"))
        timed(nft)
        timed(once)
        r = {k: [] for k in ("nft_cpu", "nft_wall", "once_cpu", "once_wall", "warm", "warm_noset",
                             "ratio_cpu", "ratio_wall", "warm_cpu", "warm_noset_cpu")}
        for _ in range(a.rounds):
            nc, nw = timed(nft)
            oc, ow = timed(once)
            c = cpu_ns(d_on.pid)
            w1, _ = scrape_seconds(port_on)
            c1 = (cpu_ns(d_on.pid) - c) / 1e9
            c = cpu_ns(d_off.pid)
            w0, _ = scrape_seconds(port_off)
            c0 = (cpu_ns(d_off.pid) - c) / 1e9
            for k, v in (("nft_cpu", nc), ("nft_wall", nw), ("once_cpu", oc), ("once_wall", ow),
                         ("warm", w1), ("warm_noset", w0), ("ratio_cpu", oc / nc),
                         ("ratio_wall", ow / nw), ("warm_cpu", c1), ("warm_noset_cpu", c0)):
                r[k].append(v)
        print("%d interleaved rounds, medians (ms):" % a.rounds)
        print("  nft -j list ruleset          cpu %8.1f  wall %8.1f" %
              (med(r["nft_cpu"]) * 1e3, med(r["nft_wall"]) * 1e3))
        print("  netstack_exporter --once     cpu %8.1f  wall %8.1f" %
              (med(r["once_cpu"]) * 1e3, med(r["once_wall"]) * 1e3))
        print("  ratio once/nft (per round)   cpu %8.3f  wall %8.3f" %
              (med(r["ratio_cpu"]), med(r["ratio_wall"])))
        print("  warm scrape of the daemon    cpu %8.1f  wall %8.1f  (set elements counted)" %
              (med(r["warm_cpu"]) * 1e3, med(r["warm"]) * 1e3))
        print("  warm scrape of the daemon    cpu %8.1f  wall %8.1f  (set-elements-max=0)" %
              (med(r["warm_noset_cpu"]) * 1e3, med(r["warm_noset"]) * 1e3))
        print("  counting %d set elements cpu %8.1f  wall %8.1f  (difference of the medians)" %
              (a.set_elements, (med(r["warm_cpu"]) - med(r["warm_noset_cpu"])) * 1e3,
               (med(r["warm"]) - med(r["warm_noset"])) * 1e3))
        ok = med(r["ratio_cpu"]) < 1 and med(r["ratio_wall"]) < 1
        print("result: our scrape costs %s than nft" % ("less" if ok else "NOT less"))
        return 0 if ok else 1
    finally:
        for d in daemons:
            d.terminate()
            d.wait(timeout=10)
        subprocess.run(["ip", "netns", "del", NS])


if __name__ == "__main__":
    sys.exit(main())

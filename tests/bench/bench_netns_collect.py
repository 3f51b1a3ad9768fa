#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench_netns_collect.py - what 100 other network namespaces cost a scrape
(issue 10's performance targets). A benchmark, not a test.

    sudo /usr/bin/python3 tests/bench/bench_netns_collect.py \
        --exporter build/netstack_exporter --floor build/sd_floor \
        [--node-exporter /usr/bin/prometheus-node-exporter] \
        [--pods 100] [--conns 100000] [--ct 250000] [--rounds 15] \
        [--exporter-old OLD_BUILD/netstack_exporter] [--skip-full]

The world, built for the run and deleted in a finally block:
  * a "host" namespace (netns2b-PID-host) where every daemon runs: --conns
    established loopback TCP connections (2 sockets each, held by worker
    processes of at most 9000 connections) and --ct conntrack entries (one
    UDP datagram per flow, tracked by an nftables output chain, dropped on
    input, nf_conntrack_udp_timeout 900 s so the table holds still; the
    global nf_conntrack_max is raised if needed and restored);
  * --pods pod-like named namespaces (netns2b-PID-pK): loopback, a veth to
    the host namespace, one listener, 2 connections to it, 3 conntrack
    flows (an nftables ct chain), made by one process that setns()es into
    each in turn.

Daemons, all in the host namespace, started once and scraped over HTTP in
alternation (A B C D A B C D ...), --rounds each after one warm-up:
  off      netstack_exporter, default collectors, multi-namespace off
  curated  the same with --netns.sources=named (the curated profile)
  full     the same with --netns.profile=full (full TCP dumps, conntrack
           breakdown per namespace)
  node     prometheus-node-exporter, default collectors (it sees only the
           namespace it runs in: its cost is the per-scrape reference)

Reported per daemon: median and p90 client-side wall time, CPU time per
scrape (utime+stime of /proc/PID/stat over the rounds; the kernel's dump
work runs in the receiving thread, so it is included), VmHWM and VmRSS
after the rounds, series (sample lines) per scrape. Then what the pods add
(curated - off, full - off) against the targets (50 ms, 8 MB, 15,000
series), and the full profile's tcp and conntrack collector time against
the raw floor measured in the same run: sd_floor (one bare legacy
TCPDIAG_GETSOCK dump) run --floor-rounds times inside each pod namespace,
median per namespace, summed over the pods.
"""
import argparse
import ctypes
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import urllib.request

PID = os.getpid()
PREFIX = "netns2b-%d-" % PID
HOST = PREFIX + "host"
PY = "/usr/bin/python3"
MAX_PATH = "/proc/sys/net/netfilter/nf_conntrack_max"
WORKER_CONNS = 9000
CLONE_NEWNET = 0x40000000

WORKER = r"""
import resource, socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port)); ls.listen(4096)
held = []
while len(held) < n:
    cl = []
    for _ in range(min(1000, n - len(held))):
        c = socket.socket(); c.connect(("127.0.0.1", port)); cl.append(c)
    for c in cl:
        s, _ = ls.accept(); held.append((c, s))
print("ready", flush=True)
sys.stdin.read()
"""

CTGEN = r"""
import socket, sys
n = int(sys.argv[1]); base = 1024; per = 65536 - base
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 999))
for i in range(n):
    try:
        s.sendto(b"x", ("127.0.0.%d" % (1 + i // per), base + i % per))
    except OSError:
        pass
"""

PODS = r"""
import ctypes, json, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
keep = []
home = os.open("/proc/self/ns/net", os.O_RDONLY)
for path in json.loads(sys.argv[1]):
    fd = os.open(path, os.O_RDONLY)
    if libc.setns(fd, 0x40000000):
        raise OSError(ctypes.get_errno(), "setns")
    os.close(fd)
    ls = socket.socket(); ls.bind(("127.0.0.1", 8080)); ls.listen(128); keep.append(ls)
    for _ in range(2):
        c = socket.create_connection(("127.0.0.1", 8080)); a, _ = ls.accept(); keep += [c, a]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); keep.append(u)
    for p in range(3):
        u.sendto(b"x", ("127.0.0.1", 9000 + p))
libc.setns(home, 0x40000000)
print("ready", flush=True)
sys.stdin.read()
"""

CT_RULES = """
table inet netns2b {
    chain out { type filter hook output priority 0; policy accept; ct state new counter; }
    chain in { type filter hook input priority 0; policy accept; udp sport 999 drop; }
}
"""


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, check=True, **kw)


def nsx(ns, *cmd, **kw):
    return run(["ip", "netns", "exec", ns] + list(cmd), **kw)


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def scrape(port):
    t0 = time.monotonic()
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=120) as r:
        body = r.read().decode()
    return time.monotonic() - t0, body


def series(body):
    return sum(1 for line in body.splitlines() if line and line[0] != "#")


def coll_dur(body, name):
    m = re.search(r'^netstack_scrape_collector_duration_seconds\{collector="%s"\} (\S+)$' % name,
                  body, re.M)
    return float(m.group(1)) if m else float("nan")


def setns(path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET):
            raise OSError(ctypes.get_errno(), "setns " + path)
    finally:
        os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exporter", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--node-exporter", default="/usr/bin/prometheus-node-exporter")
    ap.add_argument("--pods", type=int, default=100)
    ap.add_argument("--conns", type=int, default=100000)
    ap.add_argument("--ct", type=int, default=250000)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--floor-rounds", type=int, default=5)
    ap.add_argument("--exporter-old", help="an older build: off-old and curated-old daemons "
                    "too, side by side (before/after figures of a change)")
    ap.add_argument("--skip-full", action="store_true", help="no full-profile daemon")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    pods = [PREFIX + "p%d" % i for i in range(a.pods)]
    procs, daemons = [], {}
    saved_max = open(MAX_PATH).read().strip()
    # opened here, in the initial namespace: once this process has entered the
    # world's host namespace, nf_conntrack_max is read-only through /proc/sys
    max_fd = os.open(MAX_PATH, os.O_WRONLY)
    try:
        t0 = time.monotonic()
        run(["ip", "netns", "add", HOST])
        nsx(HOST, "ip", "link", "set", "lo", "up")
        nsx(HOST, "sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout=900")
        nsx(HOST, "nft", "-f", "-", input=CT_RULES)
        need = a.ct + a.pods * 10 + 100000
        if int(saved_max) < need:
            os.pwrite(max_fd, str(need).encode(), 0)
        left, port = a.conns, 20000
        while left > 0:
            n = min(WORKER_CONNS, left)
            w = subprocess.Popen(["ip", "netns", "exec", HOST, PY, "-c", WORKER, str(port),
                                  str(n)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True)
            procs.append(w)
            if w.stdout.readline().strip() != "ready":
                raise RuntimeError("connection worker failed")
            left -= n
            port += 1
        nsx(HOST, PY, "-c", CTGEN, str(a.ct), timeout=1800)
        for i, p in enumerate(pods):
            run(["ip", "netns", "add", p])
            run(["ip", "-n", HOST, "link", "add", "h%d" % i, "type", "veth", "peer", "name",
                 "eth0", "netns", p])
            nsx(p, "ip", "link", "set", "lo", "up")
            nsx(p, "nft", "-f", "-", input=CT_RULES)
        pp = subprocess.Popen([PY, "-c", PODS, json.dumps(["/run/netns/" + p for p in pods])],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(pp)
        if pp.stdout.readline().strip() != "ready":
            raise RuntimeError("pod helper failed")
        host_ct = int(nsx(HOST, "conntrack", "-C").stdout)
        host_tcp = len(nsx(HOST, "ss", "-Htn", "state", "established").stdout.splitlines())
        print("world: %d established TCP sockets and %d conntrack entries in the host "
              "namespace, %d pod namespaces; built in %.0f s" %
              (host_tcp, host_ct, a.pods, time.monotonic() - t0), flush=True)

        # floor: one bare full TCP dump inside each pod namespace
        per_ns = []
        for p in pods:
            out = nsx(p, a.floor, "legacy", str(a.floor_rounds)).stdout.split("\n")
            per_ns.append(statistics.median(float(x.split()[1]) for x in out if x.strip()))
        floor_s = sum(per_ns)

        base = ["--collector.disable-defaults"] + [
            "--collector." + c for c in ("netdev", "snmp", "sockstat", "softnet", "sysctl",
                                         "tcp", "udp", "conntrack", "qdisc", "ethtool",
                                         "nftables")]
        nsopt = ["--netns.sources=named", "--netns.include=^" + PREFIX + "p"]
        variants = {
            "off": [a.exporter] + base,
            "curated": [a.exporter] + base + nsopt,
            "full": [a.exporter] + base + nsopt + ["--netns.profile=full"],
            "node": [a.node_exporter],
        }
        if a.exporter_old:
            variants["off-old"] = [a.exporter_old] + base
            variants["curated-old"] = [a.exporter_old] + base + nsopt
        if a.skip_full:
            del variants["full"]
        setns("/run/netns/" + HOST)
        ports = {}
        for i, (name, cmd) in enumerate(variants.items()):
            port = 19900 + i
            flag = "--web.listen-address=127.0.0.1:%d" % port
            daemons[name] = subprocess.Popen(cmd + [flag], stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL)
            ports[name] = port
        time.sleep(1.5)
        res = {n: {"wall": [], "series": 0, "body": ""} for n in variants}
        for n in variants:  # warm-up
            scrape(ports[n])
        cpu0 = {n: cpu_s(d.pid) for n, d in daemons.items()}
        for _ in range(a.rounds):
            for n in variants:
                w, body = scrape(ports[n])
                res[n]["wall"].append(w)
                res[n]["body"] = body
        for n, d in daemons.items():
            r = res[n]
            r["cpu"] = (cpu_s(d.pid) - cpu0[n]) / a.rounds
            r["hwm"] = status_kb(d.pid, "VmHWM") / 1024
            r["rss"] = status_kb(d.pid, "VmRSS") / 1024
            r["series"] = series(r["body"])
            r["med"] = statistics.median(r["wall"])
            r["p90"] = sorted(r["wall"])[int(0.9 * (len(r["wall"]) - 1))]
        print("\n%-8s %10s %10s %10s %9s %9s %8s" %
              ("daemon", "wall med", "wall p90", "cpu/scr", "VmHWM", "VmRSS", "series"))
        for n, r in res.items():
            print("%-8s %8.1fms %8.1fms %8.1fms %7.1fMB %7.1fMB %8d" %
                  (n, r["med"] * 1e3, r["p90"] * 1e3, r["cpu"] * 1e3, r["hwm"], r["rss"],
                   r["series"]))
        off = res["off"]
        for n, o in (("curated", "off"), ("full", "off"), ("curated-old", "off-old")):
            if n not in res:
                continue
            r, off = res[n], res[o]
            print("%s - %s: wall %+.1f ms (target 50), VmHWM %+.1f MB (target 8), "
                  "series %+d (target 15000), %.0f series per pod" %
                  (n, o, (r["med"] - off["med"]) * 1e3, r["hwm"] - off["hwm"],
                   r["series"] - off["series"], (r["series"] - off["series"]) / a.pods))
        off = res["off"]
        for n in ("curated", "full"):
            if n not in res:
                continue
            print("%s / node_exporter: wall %.2fx, cpu %.2fx" %
                  (n, res[n]["med"] / res["node"]["med"],
                   res[n]["cpu"] / res["node"]["cpu"] if res["node"]["cpu"] else float("nan")))
        if "full" not in res:
            return 0
        tcp_full = coll_dur(res["full"]["body"], "tcp") - coll_dur(off["body"], "tcp")
        tcp_cur = coll_dur(res["curated"]["body"], "tcp") - coll_dur(off["body"], "tcp")
        ct_full = coll_dur(res["full"]["body"], "conntrack") - coll_dur(off["body"],
                                                                        "conntrack")
        ct_cur = coll_dur(res["curated"]["body"], "conntrack") - coll_dur(off["body"],
                                                                          "conntrack")
        print("tcp in %d pods: full %.1f ms, curated (listen-only) %.1f ms; raw floor of the "
              "full dumps (sd_floor, sum of per-namespace medians) %.1f ms: full / floor %.2fx "
              "(target 1.2)" % (a.pods, tcp_full * 1e3, tcp_cur * 1e3, floor_s * 1e3,
                                tcp_full / floor_s if floor_s else float("nan")))
        print("conntrack in %d pods (last scrape): full (breakdown, cached 60 s after the "
              "first) %.1f ms, curated %.1f ms" % (a.pods, ct_full * 1e3, ct_cur * 1e3))
        return 0
    finally:
        for d in daemons.values():
            d.terminate()
            d.wait()
        for p in procs:
            try:
                p.stdin.close()
            except OSError:
                pass
            p.wait()
        for p in pods:
            subprocess.run(["ip", "netns", "del", p], capture_output=True)
        subprocess.run(["ip", "netns", "del", HOST], capture_output=True)
        os.pwrite(max_fd, saved_max.encode(), 0)
        os.close(max_fd)


if __name__ == "__main__":
    sys.exit(main())

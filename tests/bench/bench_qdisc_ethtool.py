#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Benchmark (not a test): the qdisc and ethtool collectors against their raw
kernel floor and against node_exporter, on one world built for the run.

Usage: bench_qdisc_ethtool.py <netstack_exporter> [node_exporter] [scrapes]

World: a fresh network namespace with 128 veth pairs (256 devices). On
the 'a' ends, by pair number modulo 4: htb with two classes and pfifo
leaves; pfifo; bfifo; mq (veth with 4 tx queues). 'b' ends keep noqueue.
Floor: tests/bench/qdisc_floor.c (compiled here with cc -O2 -lmnl) makes
the same netlink requests / ioctls with libmnl and no parsing.
Ours: the daemon over HTTP, ?collect[]=X, its own
netstack_scrape_collector_duration_seconds.
The two are measured in N interleaved rounds (one floor iteration, then
one scrape of ours), so both run in the same cache and CPU state; medians
of each, and the median of the per-round ratio. The client, the floor and our
daemon are pinned to one CPU (the highest this process may use);
node_exporter keeps all CPUs.
node_exporter: --collector.disable-defaults --collector.X, median of
node_scrape_collector_duration_seconds over N scrapes.
Prints one table; exit 77 without root.
"""
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

NS = "nsbench-%d" % os.getpid()
HERE = os.path.dirname(os.path.abspath(__file__))
PAIRS = 128


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, check=True, **kw)


def nsx(*cmd, **kw):
    return run(["ip", "netns", "exec", NS] + list(cmd), **kw)


def batch(ns_cmds, tool):
    subprocess.run(["ip", "netns", "exec", NS, tool, "-batch", "-"], input="\n".join(ns_cmds) + "\n",
                   text=True, check=True, capture_output=True)


def build():
    run(["ip", "netns", "add", NS])
    links, tcs = ["link set lo up"], []
    for i in range(PAIRS):
        q = 4 if i % 4 == 3 else 1
        links.append("link add va%d numtxqueues %d type veth peer name vb%d" % (i, q, i))
        links.append("link set va%d up" % i)
        links.append("link set vb%d up" % i)
        k = i % 4
        if k == 0:
            tcs += ["qdisc add dev va%d root handle 1: htb default 20" % i,
                    "class add dev va%d parent 1: classid 1:1 htb rate 100mbit" % i,
                    "class add dev va%d parent 1:1 classid 1:10 htb rate 10mbit ceil 50mbit" % i,
                    "class add dev va%d parent 1:1 classid 1:20 htb rate 10mbit" % i,
                    "qdisc add dev va%d parent 1:10 handle 10: pfifo limit 100" % i,
                    "qdisc add dev va%d parent 1:20 handle 20: pfifo limit 100" % i]
        elif k == 1:
            tcs.append("qdisc add dev va%d root pfifo limit 500" % i)
        elif k == 2:
            tcs.append("qdisc add dev va%d root bfifo limit 100000" % i)
        else:
            tcs.append("qdisc add dev va%d root handle 1: mq" % i)
    batch(links, "ip")
    batch(tcs, "tc")


CLONE_NEWNET = 0x40000000


def enter_netns(name):
    """Move this process into the namespace (children inherit it)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + name)
    finally:
        os.close(fd)


def collector_seconds(port, c, metric):
    url = "http://127.0.0.1:%d/metrics?collect[]=%s" % (port, c)
    with urllib.request.urlopen(url, timeout=60) as r:
        body = r.read().decode()
    return float(re.search(r'^%s\{collector="%s"\} (\S+)$' % (metric, c), body, re.M).group(1))


def serve(cmd, port):
    # Through ip netns exec: it also mounts the namespace's own /sys, where
    # node_exporter finds its devices.
    p = subprocess.Popen(["ip", "netns", "exec", NS] + cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5).read()
            return p
        except OSError:
            if p.poll() is not None:
                break
            time.sleep(0.1)
    p.kill()
    raise RuntimeError("%s did not start" % cmd[0])


def main():
    ours = os.path.abspath(sys.argv[1])
    node = sys.argv[2] if len(sys.argv) > 2 else "/usr/bin/prometheus-node-exporter"
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    floor_bin = "/tmp/qdisc_floor.%d" % os.getpid()
    run(["cc", "-O2", "-o", floor_bin, os.path.join(HERE, "qdisc_floor.c"), "-lmnl"])
    procs = []
    host_ns = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        build()
        enter_netns(NS)  # the floor and our HTTP client run in it, as do the daemons
        # node_exporter (Go, many threads) keeps every CPU: it starts before the pinning.
        procs.append(serve([node, "--web.listen-address=127.0.0.1:19301",
                            "--collector.disable-defaults", "--collector.qdisc",
                            "--collector.ethtool"], 19301))
        # One CPU for everything that follows (inherited by our daemon and
        # the floor): the rounds are sequential anyway, and neither side then
        # gets a less loaded core than the other.
        cpu = max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        procs.append(serve([ours, "--web.listen-address=127.0.0.1:19300",
                            "--collector.disable-defaults", "--collector.qdisc",
                            "--collector.ethtool"], 19300))
        res = {}
        for c in ("qdisc", "ethtool"):
            floor = subprocess.Popen([floor_bin, c, "-"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
            procs.append(floor)
            fl, us = [], []
            # Rounds interleave one floor iteration and one scrape of ours, so
            # both see the same cache and CPU state; round 0 is warm-up.
            for i in range(n + 1):
                floor.stdin.write("\n")
                f = float(floor.stdout.readline())
                o = collector_seconds(19300, c, "netstack_scrape_collector_duration_seconds")
                if i:
                    fl.append(f)
                    us.append(o)
            floor.stdin.close()
            floor.wait(timeout=10)
            nd = [collector_seconds(19301, c, "node_scrape_collector_duration_seconds")
                  for _ in range(n + 1)][1:]
            res[c] = {"floor": statistics.median(fl), "ours": statistics.median(us),
                      "node": statistics.median(nd),
                      "ratio": statistics.median(o / f for o, f in zip(us, fl))}
        print("world: %d veth pairs (%d devices), %d interleaved rounds on CPU %d, medians"
              % (PAIRS, 2 * PAIRS, n, cpu))
        print("| collector | raw floor | netstack_exporter | node_exporter | ours/floor | "
              "per-round ours/floor | node/ours |")
        print("|---|---|---|---|---|---|---|")
        for c, r in res.items():
            print("| %s | %.3f ms | %.3f ms | %.3f ms | %.2fx | %.2fx | %.1fx |" % (
                c, r["floor"] * 1e3, r["ours"] * 1e3, r["node"] * 1e3, r["ours"] / r["floor"],
                r["ratio"], r["node"] / r["ours"]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        import ctypes
        ctypes.CDLL(None).setns(host_ns, CLONE_NEWNET)
        os.close(host_ns)
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)
        if os.path.exists(floor_bin):
            os.unlink(floor_bin)
    return 0


if __name__ == "__main__":
    sys.exit(main())

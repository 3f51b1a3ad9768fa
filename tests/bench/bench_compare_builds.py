#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark (not a test): two builds of the daemon side by side, for a refactoring.

Usage: bench_compare_builds.py OLD_BUILD_DIR NEW_BUILD_DIR [ROUNDS]

World (root): namespace kit-bench with 128 veth pairs (htb + class + pfifo
leaf, pfifo, bfifo, mq on the 'a' ends by pair number modulo 4) and 3,000
established loopback TCP connections to one port (6,000 sockets, all
ephemeral toward one destination). For qdisc, ethtool and tcp: each
build's tests/collect_loop (median seconds per collect()), ROUNDS rounds
interleaved old/new and the median of the per-round ratio; then the
instructions (callgrind Ir) of 20 collections plus start-up of each, the
figure that is not noise on a shared machine. Prints one table."""
import os, re, statistics, subprocess, sys, time, socket
NS = "kit-bench"
OLD, NEW = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 7
ITER = {"qdisc": 200, "ethtool": 100, "tcp": 100}
def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True, **kw)
def world():
    subprocess.run(f"ip netns del {NS}", shell=True, capture_output=True)
    sh(f"ip netns add {NS}")
    sh(f"ip -n {NS} link set lo up")
    links, tcs = [], []
    for i in range(128):
        links.append(f"link add kva{i} numtxqueues 4 type veth peer name kvb{i}")
        links.append(f"link set kva{i} up")
        links.append(f"link set kvb{i} up")
        m = i % 4
        if m == 0:
            tcs += [f"qdisc add dev kva{i} root handle 1: htb default 20",
                    f"class add dev kva{i} parent 1: classid 1:1 htb rate 100mbit",
                    f"class add dev kva{i} parent 1:1 classid 1:20 htb rate 10mbit ceil 100mbit",
                    f"qdisc add dev kva{i} parent 1:20 handle 20: pfifo limit 10"]
        elif m == 1:
            tcs.append(f"qdisc add dev kva{i} root pfifo limit 100")
        elif m == 2:
            tcs.append(f"qdisc add dev kva{i} root bfifo limit 10000")
        else:
            tcs.append(f"qdisc add dev kva{i} root handle 1: mq")
    subprocess.run(["ip", "-n", NS, "-batch", "-"], input="\n".join(links) + "\n", text=True, check=True)
    subprocess.run(["ip", "netns", "exec", NS, "tc", "-batch", "-"], input="\n".join(tcs) + "\n", text=True, check=True)
    # 3000 established TCP connections on loopback (6000 sockets), held by a child
    holder = subprocess.Popen(["ip", "netns", "exec", NS, "/usr/bin/python3", "-c", """
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 5432)); l.listen(4096)
cs, ss = [], []
for i in range(3000):
    c = socket.create_connection(("127.0.0.1", 5432)); cs.append(c); ss.append(l.accept()[0])
print("ready", flush=True); sys.stdin.read()
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    holder.stdout.readline()
    return holder
def loop(build, c, n):
    out = sh(f"ip netns exec {NS} {build}/tests/collect_loop {c} {n}").stdout.split()
    return float(out[0]), int(out[1])
def ir(build, c, n):
    p = subprocess.run(f"ip netns exec {NS} valgrind --tool=callgrind --callgrind-out-file=/dev/null {build}/tests/collect_loop {c} {n}",
                       shell=True, capture_output=True, text=True)
    m = re.search(r"Collected : (\d+)", p.stderr)
    return int(m.group(1))
holder = world()
try:
    print("collector  samples(old/new)  median s/collect old  new   ratio new/old (median of per-round)  callgrind Ir old  new  ratio")
    for c in ("qdisc", "ethtool", "tcp"):
        o, nn, ratios = [], [], []
        for r in range(ROUNDS):
            to, so = loop(OLD, c, ITER[c])
            tn, sn = loop(NEW, c, ITER[c])
            o.append(to); nn.append(tn); ratios.append(tn / to)
        io = ir(OLD, c, 20); inew = ir(NEW, c, 20)
        print("%-8s %6d/%-6d %10.6f %10.6f %6.3f   %12d %12d %6.3f" % (
            c, so, sn, statistics.median(o), statistics.median(nn), statistics.median(ratios), io, inew, inew / io))
finally:
    holder.stdin.close(); holder.wait()
    subprocess.run(f"ip netns del {NS}", shell=True)

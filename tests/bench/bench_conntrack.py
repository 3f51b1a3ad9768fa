#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench_conntrack.py - cost of the conntrack collector on a large table.
A benchmark, not a test.

    sudo /usr/bin/python3 tests/bench/bench_conntrack.py \
        --exporter build/netstack_exporter [--entries 250000] [--rounds 7]

A fresh network namespace (deleted in a finally block) gets an nftables
ruleset that tracks connections and drops UDP to the sink port on input
(after the entry was confirmed on output, so no socket or ICMP work), and
nf_conntrack_udp_timeout = 900 s (a per-namespace sysctl) so the table holds
still. One process sends one datagram per flow from 127.0.0.1 to
127.0.0.{1..8}:{1024..} until --entries flows exist (checked with
`conntrack -C`). The global nf_conntrack_max must allow the table; it is
raised if needed and restored in a finally block.

Then, one daemon at a time inside the namespace, each scraped over HTTP
--rounds times by one client process in the namespace:

  cheap      breakdown=false                    count, limit, per-CPU stats only
  cached     default (interval 60 s)            first scrape dumps, the rest reuse
  full       breakdown-interval=0               a full table dump every scrape
  capped     interval 0, max-entries=50000      parse 50k, drain the rest

Reported per variant: median and max client-side scrape wall time, median
netstack_scrape_collector_duration_seconds{collector="conntrack"},
netstack_conntrack_breakdown_duration_seconds, CPU time of the daemon per
scrape (utime + stime from /proc/PID/stat, which includes the kernel's dump
work done in the receiving thread, 10 ms ticks), and its VmHWM. For reference, the wall
time of `conntrack -C` and of `conntrack -L > /dev/null` on the same table.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

PID = os.getpid()
NS = "nsctb-%d" % PID
MAX_PATH = "/proc/sys/net/netfilter/nf_conntrack_max"
PY = "/usr/bin/python3"
SINK_PORT_BASE = 1024


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, check=True, **kw)


def nsx(*cmd, **kw):
    return run(["ip", "netns", "exec", NS] + list(cmd), **kw)


GEN = r"""
import socket, sys
n = int(sys.argv[1]); base = int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 999))
per = 65536 - base
sent = 0
for i in range(n):
    dst = "127.0.0.%d" % (1 + i // per)
    try:
        s.sendto(b"x", (dst, base + i % per))
        sent += 1
    except OSError:
        pass
print(sent)
"""

CLIENT = r"""
import json, re, sys, time, urllib.request
port, rounds = int(sys.argv[1]), int(sys.argv[2])
pat = {
 "coll": re.compile(r'^netstack_scrape_collector_duration_seconds\{collector="conntrack"\} (\S+)$', re.M),
 "dump": re.compile(r'^netstack_conntrack_breakdown_duration_seconds (\S+)$', re.M),
 "scanned": re.compile(r'^netstack_conntrack_breakdown_scanned_entries (\S+)$', re.M),
 "truncated": re.compile(r'^netstack_conntrack_breakdown_truncated (\S+)$', re.M),
 "runs": re.compile(r'^netstack_conntrack_breakdown_runs_total (\S+)$', re.M),
 "entries": re.compile(r'^netstack_conntrack_entries (\S+)$', re.M),
}
for _ in range(100):
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5).read()
        break
    except OSError:
        time.sleep(0.1)
out = []
for _ in range(rounds):
    t0 = time.perf_counter()
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=60).read().decode()
    wall = time.perf_counter() - t0
    r = {"wall": wall}
    for k, p in pat.items():
        m = p.search(body)
        r[k] = float(m.group(1)) if m else None
    out.append(r)
print(json.dumps(out))
"""


def cpu_ns(pid):
    """utime + stime of the whole process, including threads that exited
    (libmicrohttpd may serve each connection on its own thread)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1e9 / os.sysconf("SC_CLK_TCK")


def vmhwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def bench_variant(exporter, name, opts, port, rounds):
    # Options through a config file: one place for all of them.
    cfg = "/tmp/%s-%s.yml" % (NS, name)
    with open(cfg, "w") as f:
        f.write("collectors:\n  conntrack:\n    enabled: true\n")
        for o in opts:
            k, v = o.split("=", 1)
            f.write("    %s: %s\n" % (k, v))
    args = ["ip", "netns", "exec", NS, exporter, "--collector.disable-defaults",
            "--collector.conntrack", "--web.listen-address=127.0.0.1:%d" % port,
            "--config.file=" + cfg]
    d = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # wait for the listener (the client also waits), then measure
        time.sleep(0.3)
        c0 = cpu_ns(d.pid)
        res = json.loads(nsx(PY, "-c", CLIENT, str(port), str(rounds), timeout=600).stdout)
        c1 = cpu_ns(d.pid)
        hwm = vmhwm_kib(d.pid)
    finally:
        d.terminate()
        d.wait(timeout=10)
        os.unlink(cfg)
    walls = [r["wall"] for r in res]
    colls = [r["coll"] for r in res]
    dumps = [r["dump"] for r in res if r["dump"] is not None]
    row = {
        "variant": name,
        "opts": " ".join(opts) or "(none)",
        "entries": res[-1]["entries"],
        "wall_med_ms": statistics.median(walls) * 1e3,
        "wall_max_ms": max(walls) * 1e3,
        "wall_first_ms": walls[0] * 1e3,
        "coll_med_ms": statistics.median(colls) * 1e3,
        "dump_med_ms": statistics.median(dumps) * 1e3 if dumps else None,
        "scanned": res[-1]["scanned"],
        "truncated": res[-1]["truncated"],
        "runs": res[-1]["runs"],
        "cpu_ms_per_scrape": (c1 - c0) / 1e6 / rounds,
        "vmhwm_kib": hwm,
    }
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exporter", required=True)
    ap.add_argument("--entries", type=int, default=250000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="print the rows as JSON too")
    a = ap.parse_args()
    exporter = os.path.abspath(a.exporter)
    if os.geteuid() != 0:
        print("SKIP: needs root")
        sys.exit(77)

    saved_max = open(MAX_PATH).read().strip()
    need = a.entries + 10000
    rows = []
    run(["ip", "netns", "add", NS])
    try:
        if int(saved_max) < need:
            with open(MAX_PATH, "w") as f:
                f.write(str(need))
        nsx("ip", "link", "set", "lo", "up")
        nsx("sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout=900")
        nsx("nft", "-f", "-", input="""
table inet ct_bench {
    chain out { type filter hook output priority 0; policy accept; ct state new counter; }
    chain in { type filter hook input priority 0; policy accept; udp sport 999 drop; }
}
""")
        t0 = time.perf_counter()
        sent = int(nsx(PY, "-c", GEN, str(a.entries), str(SINK_PORT_BASE), timeout=900).stdout)
        gen_s = time.perf_counter() - t0
        count = int(nsx("conntrack", "-C").stdout)
        print("table: sent %d datagrams in %.1f s, conntrack -C = %d" % (sent, gen_s, count))

        t0 = time.perf_counter()
        nsx("conntrack", "-C")
        ref_count_ms = (time.perf_counter() - t0) * 1e3
        t0 = time.perf_counter()
        subprocess.run(["ip", "netns", "exec", NS, "conntrack", "-L"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        ref_list_ms = (time.perf_counter() - t0) * 1e3
        print("reference: conntrack -C %.1f ms, conntrack -L >/dev/null %.0f ms" %
              (ref_count_ms, ref_list_ms))

        variants = [
            ("cheap", ["breakdown=false"]),
            ("cached", []),
            ("full", ["breakdown-interval=0"]),
            ("capped", ["breakdown-interval=0", "breakdown-max-entries=50000"]),
        ]
        for i, (name, opts) in enumerate(variants):
            rows.append(bench_variant(exporter, name, opts, 19900 + PID % 50 + i, a.rounds))
            r = rows[-1]
            print("%-7s entries %-7d wall med %8.2f ms max %8.2f ms first %8.2f ms | "
                  "collector med %8.2f ms | dump med %s | scanned %s truncated %s runs %s | "
                  "cpu %.2f ms/scrape | VmHWM %d KiB" %
                  (r["variant"], r["entries"], r["wall_med_ms"], r["wall_max_ms"],
                   r["wall_first_ms"], r["coll_med_ms"],
                   "%8.2f ms" % r["dump_med_ms"] if r["dump_med_ms"] is not None else "-",
                   r["scanned"], r["truncated"], r["runs"], r["cpu_ms_per_scrape"],
                   r["vmhwm_kib"]))
        full = [r for r in rows if r["variant"] == "full"][0]
        if full["scanned"]:
            print("full dump: %.3f us per entry (dump duration / scanned)" %
                  (full["dump_med_ms"] * 1e3 / full["scanned"]))
        if a.json:
            print(json.dumps(rows, indent=1))
    finally:
        run(["ip", "netns", "del", NS])
        with open(MAX_PATH, "w") as f:
            f.write(saved_max)


if __name__ == "__main__":
    main()

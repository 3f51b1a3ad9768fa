#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""HTTP load: N clients scraping as fast as they can for S seconds, each on
its own keep-alive connection, against one or more daemon builds side by side.

Usage: bench_http_load.py [--clients 16] [--seconds 120] [--idle 5]
                          NAME=DAEMON [NAME=DAEMON ...]

For each build: scrapes/s, latency p50/p99, RSS before the load, right after
it and after --idle seconds idle, open fds and threads after the load (and
after idle). The daemon serves the fixtures (snmp, sockstat), as the http
tests do, so the figures are the front end's, not the kernel's.
"""

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nstest import free_port, stop  # noqa: E402

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")


def proc_stat(pid):
    rss = thr = 0
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
        elif line.startswith("Threads:"):
            thr = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd")), thr


def run_one(exe, clients, seconds, idle):
    port = free_port()
    p = subprocess.Popen([exe, f"--web.listen-address=127.0.0.1:{port}",
                          f"--path.procfs={FIX}/proc/debian12", f"--path.sysfs={FIX}/sys/debian12",
                          "--collector.disable-defaults", "--collector.snmp",
                          "--collector.sockstat"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/metrics")
                c.getresponse().read()
                c.close()
                break
            except OSError:
                time.sleep(0.05)
        before = proc_stat(p.pid)
        lat = [[] for _ in range(clients)]
        errors = [0]
        end = time.monotonic() + seconds

        def client(i):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            while time.monotonic() < end:
                t0 = time.monotonic()
                try:
                    c.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
                    r = c.getresponse()
                    r.read()
                    if r.status != 200:
                        errors[0] += 1
                    lat[i].append(time.monotonic() - t0)
                except (OSError, http.client.HTTPException):
                    errors[0] += 1
                    c.close()
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.close()

        ts = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        t0 = time.monotonic()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        wall = time.monotonic() - t0
        after = proc_stat(p.pid)
        time.sleep(idle)
        idle_s = proc_stat(p.pid)
        all_lat = sorted(x for l in lat for x in l)
        return {
            "scrapes/s": len(all_lat) / wall,
            "p50 ms": statistics.median(all_lat) * 1000,
            "p99 ms": all_lat[int(len(all_lat) * 0.99)] * 1000,
            "errors": errors[0],
            "RSS before MiB": before[0], "RSS after MiB": after[0], "RSS idle MiB": idle_s[0],
            "fds before": before[1], "fds after": after[1], "fds idle": idle_s[1],
            "threads before": before[2], "threads after": after[2], "threads idle": idle_s[2],
        }
    finally:
        stop(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--idle", type=float, default=5)
    ap.add_argument("builds", nargs="+")
    a = ap.parse_args()
    res = {}
    for b in a.builds:
        name, exe = b.split("=", 1)
        res[name] = run_one(exe, a.clients, a.seconds, a.idle)
        print(f"{name}: done", flush=True)
    names = list(res)
    print(f"\n{a.clients} clients x {a.seconds:.0f} s, fixtures (snmp, sockstat), gzip, keep-alive")
    print("| | " + " | ".join(names) + (" | ratio |" if len(names) == 2 else " |"))
    print("|---" * (len(names) + 1 + (len(names) == 2)) + "|")
    for k in res[names[0]]:
        vals = [res[n][k] for n in names]
        row = f"| {k} | " + " | ".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in vals)
        if len(names) == 2:
            row += " | " + (f"{vals[1] / vals[0]:.2f}" if vals[0] else "-")
        print(row + " |")


if __name__ == "__main__":
    main()

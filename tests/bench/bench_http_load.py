#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""HTTP load: N clients scraping as fast as they can for S seconds, each with
its own http.client connection (one process each, so the client is not the
bottleneck), against one or more daemon builds side by side. The client
keeps the connection alive when the server allows it; since the request
gate, the daemon answers one request per plaintext connection
(Connection: close) and the client reconnects, which the figures include.

Usage: bench_http_load.py [--clients 16] [--seconds 120] [--idle 5]
                          NAME=DAEMON [NAME=DAEMON ...]

For each build: scrapes/s, latency p50/p99, RSS before the load, right after
it and after --idle seconds idle, open fds and threads after the load (and
after idle). The daemon serves the fixtures (snmp, sockstat), as the http
tests do, so the figures are the front end's, not the kernel's.
"""

import argparse
import http.client
import multiprocessing
import os
import statistics
import subprocess
import sys
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


def client(port, start, end, q):
    """One client process (no shared GIL): scrape on one connection object
    (kept alive if the server allows) from @start to @end (CLOCK_MONOTONIC,
    shared by the processes)."""
    lat, errors = [], 0
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    time.sleep(max(0.0, start - time.monotonic()))
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            c.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                errors += 1
            lat.append(time.monotonic() - t0)
        except (OSError, http.client.HTTPException):
            errors += 1
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.close()
    q.put((lat, errors))


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
        start = time.monotonic() + 1.0
        end = start + seconds
        q = multiprocessing.Queue()
        ts = [multiprocessing.Process(target=client, args=(port, start, end, q))
              for _ in range(clients)]
        for t in ts:
            t.start()
        res = [q.get() for _ in ts]
        wall = seconds
        for t in ts:
            t.join()
        lat = [r[0] for r in res]
        errors = [sum(r[1] for r in res)]
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
    ap.add_argument("--rounds", type=int, default=4,
                    help="interleave the builds in this many rounds of SECONDS/ROUNDS each "
                         "(the machine's noise hits every build alike)")
    ap.add_argument("builds", nargs="+")
    a = ap.parse_args()
    rounds = {}
    for r in range(a.rounds):
        for b in a.builds:
            name, exe = b.split("=", 1)
            rounds.setdefault(name, []).append(
                run_one(exe, a.clients, a.seconds / a.rounds, a.idle))
            print(f"round {r + 1}: {name}: {rounds[name][-1]['scrapes/s']:.1f} scrapes/s",
                  flush=True)
    # Medians over the rounds (the RSS, fds and threads of the last round).
    res = {}
    for name, rs in rounds.items():
        res[name] = dict(rs[-1])
        for k in ("scrapes/s", "p50 ms", "p99 ms"):
            res[name][k] = statistics.median(x[k] for x in rs)
        res[name]["errors"] = sum(x["errors"] for x in rs)
    names = list(res)
    print(f"\n{a.clients} clients x {a.seconds:.0f} s ({a.rounds} interleaved rounds; scrapes/s, "
          f"p50, p99: median of the rounds), fixtures (snmp, sockstat), gzip, "
          f"keep-alive client")
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

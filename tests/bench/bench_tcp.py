#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench_tcp.py - the tcp collector against node_exporter's tcpstat and the
raw sock_diag floor, in worlds of 1k, 20k and 100k established loopback
connections plus a few thousand TIME_WAIT sockets. A benchmark, not a test.

    sudo /usr/bin/python3 tests/bench/bench_tcp.py \
        --exporter build/netstack_exporter --floor build/sd_floor \
        [--sizes 1000,20000,100000] [--rounds 15] [--timewait 3000]

Each world lives in a fresh network namespace (deleted in a finally block).
A connection is a client socket and the server socket accept() gave for it
(so N connections are 2N ESTABLISHED sockets), held by worker processes of
at most WORKER_CONNS connections each (the open-file hard limit here is
20000 per process). Then, inside the namespace, rounds alternate A B C A B C:
one HTTP scrape of netstack_exporter (--collector.disable-defaults
--collector.tcp), one of prometheus-node-exporter (--collector.disable-defaults
--collector.tcpstat), and one dump of sd_floor (a bare TCPDIAG_GETSOCK dump,
AF_UNSPEC, read into a 32 KiB buffer and counted). Reported per world:

  wall   median and p90 of the HTTP scrape (client side), and for ours also of
         netstack_scrape_collector_duration_seconds{collector="tcp"}
  cpu    CPU time of the server process per scrape: utime+stime of
         /proc/<pid>/stat (exited threads included) over all rounds, divided
         by the rounds; the kernel's dump work runs in the receiving thread,
         so it is included. The floor's is its CLOCK_PROCESS_CPUTIME_ID.
  rss    VmHWM of the server process after the world's rounds
  ratios ours / floor, node_exporter / floor, node_exporter cpu / ours

With --tcp-info, a second netstack_exporter with --collector.tcp.tcp-info=true
joins the alternation (A B C D ...), to measure what tcp_info costs.

Also (--compare-requests) the two ways of asking: one legacy request for
both families vs one SOCK_DIAG_BY_FAMILY request per family (sd_floor
legacy|family), alternating.
"""
import argparse
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

WORKER_CONNS = 9000  # 2 fds per connection, below the 20000 hard limit
NS_PREFIX = "nsbench"
PORT_BASE = 20000


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- worker


def worker(port, nconn, ntw):
    """Hold @nconn established connections to a listener on 127.0.0.1:@port,
    after making @ntw TIME_WAIT sockets; print 'ready' and wait for stdin EOF."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4096)
    held = []
    deadline = time.monotonic() + 300
    done = 0
    while done < nconn + ntw:
        if time.monotonic() > deadline:
            die("worker: timeout building connections")
        batch = min(1000, nconn + ntw - done)
        clients = []
        for _ in range(batch):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.connect(("127.0.0.1", port))
            clients.append(c)
        for c in clients:
            s, _ = ls.accept()
            if done < ntw:
                c.close()  # active close: the client side ends in TIME_WAIT
                s.close()
            else:
                held.append((c, s))
            done += 1
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the parent closes our stdin
    return 0


# ---------------------------------------------------------------- helpers


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def cpu_s(pid):
    """utime + stime of @pid, threads that already exited included, seconds
    (clock ticks: the benchmark divides a whole series of scrapes)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def wait_port(port, proc, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            die(f"server on port {port} exited: {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    die(f"nothing listens on {port}")


def scrape(port):
    t0 = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60) as r:
        body = r.read().decode()
    return time.monotonic() - t0, body


def metric(body, prefix):
    for line in body.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    return None


def pct(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


# ---------------------------------------------------------------- inner


class Server:
    def __init__(self, name, argv, port):
        self.name = name
        self.port = port
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port, self.proc)
        self.wall = []
        self.coll = []
        self.cpu = []

    def once(self):
        wall, body = scrape(self.port)
        return wall, body

    def cpu_mark(self):
        self.cpu0 = cpu_s(self.proc.pid)

    def cpu_per_scrape(self, n):
        return (cpu_s(self.proc.pid) - self.cpu0) / n

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Floor:
    def __init__(self, path, mode):
        self.proc = subprocess.Popen([path, mode, "0"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.wall = []
        self.cpu = []

    def once(self):
        self.proc.stdin.write("x\n")
        self.proc.stdin.flush()
        n, wall, cpu = self.proc.stdout.readline().split()
        return int(n), float(wall), float(cpu)

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(5)


def start_worker(port, nconn, ntw):
    return subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", str(port),
                             str(nconn), str(ntw)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


def wait_ready(workers):
    for p in workers:
        if p.stdout.readline().strip() != "ready":
            die("a worker failed to build its connections")


def build_world(size, ntw):
    """@size connections over workers, then @ntw TIME_WAIT sockets last (they
    expire after 60 s, so they are made once the slow part is done)."""
    workers = []
    nworkers = max(1, -(-size // WORKER_CONNS))
    left = size
    for i in range(nworkers):
        n = min(WORKER_CONNS, left)
        left -= n
        workers.append(start_worker(PORT_BASE + i, n, 0))
    wait_ready(workers)
    if ntw:
        workers.append(start_worker(PORT_BASE + nworkers, 0, ntw))
        wait_ready(workers[-1:])
    return workers


def drop_world(workers):
    for p in workers:
        try:
            p.stdin.close()
        except OSError:
            pass
    for p in workers:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def count_states():
    out = sh("ss", "-Htan").stdout.splitlines()
    est = sum(1 for l in out if l.startswith("ESTAB"))
    tw = sum(1 for l in out if l.startswith("TIME-WAIT"))
    return est, tw


def inner(args):
    sh("ip", "link", "set", "lo", "up")
    # Room for the connections of one world: ports and queues of this namespace only.
    sh("sysctl", "-qw", "net.ipv4.ip_local_port_range=30000 65000")
    sh("sysctl", "-qw", "net.core.somaxconn=8192")
    results = []
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.compare_requests:
        compare_requests(args, sizes)
        return 0
    for size in sizes:
        workers = build_world(size, args.timewait)
        servers = []
        floor = None
        try:
            est, tw = count_states()
            ours = Server("netstack_exporter",
                          [args.exporter, "--web.listen-address=127.0.0.1:19101",
                           "--collector.disable-defaults", "--collector.tcp"], 19101)
            servers.append(ours)
            node = Server("node_exporter",
                          [args.node_exporter, "--web.listen-address=127.0.0.1:19102",
                           "--collector.disable-defaults", "--collector.tcpstat"], 19102)
            servers.append(node)
            info = None
            if args.tcp_info:
                info = Server("netstack_exporter tcp-info",
                              [args.exporter, "--web.listen-address=127.0.0.1:19103",
                               "--collector.disable-defaults", "--collector.tcp",
                               "--collector.tcp.tcp-info=true"], 19103)
                servers.append(info)
            floor = Floor(args.floor, "legacy")
            # One warm-up each, not counted.
            for s in servers:
                s.once()
            floor.once()
            for s in servers:
                s.cpu_mark()
            nfloor = 0
            for _ in range(args.rounds):
                for s in servers:
                    wall, body = s.once()
                    s.wall.append(wall)
                    if s is not node:
                        s.coll.append(metric(body, 'netstack_scrape_collector_duration_seconds'
                                                   '{collector="tcp"}'))
                nfloor, wall, cpu = floor.once()
                floor.wall.append(wall)
                floor.cpu.append(cpu)
            for s in servers:
                s.cpu = s.cpu_per_scrape(args.rounds)
            res = {
                "size": size, "est": est, "tw": tw, "dumped": nfloor,
                "ours": ours, "node": node, "floor": floor,
                "ours_rss": vm_hwm_kb(ours.proc.pid), "node_rss": vm_hwm_kb(node.proc.pid),
                "info": info, "info_rss": vm_hwm_kb(info.proc.pid) if info else 0,
            }
            report_world(res)
            print("RESULT " + json.dumps({"size": size, "ours_rss": res["ours_rss"],
                                          "node_rss": res["node_rss"]}), flush=True)
        finally:
            for s in servers:
                s.stop()
            if floor:
                floor.stop()
            drop_world(workers)
    return 0


def ms(x):
    return f"{x * 1000:8.2f}"


def report_world(r):
    o, n, f = r["ours"], r["node"], r["floor"]
    print(f"\n== {r['size']} connections: {r['est']} ESTABLISHED + {r['tw']} TIME-WAIT sockets "
          f"(ss), {r['dumped']} sockets in one dump", flush=True)
    print(f"{'':34} {'median ms':>9} {'p90 ms':>8} {'cpu ms/scrape':>13} {'peak RSS':>10}")
    print(f"{'floor: one bare sock_diag dump':34} {ms(statistics.median(f.wall))} "
          f"{ms(pct(f.wall, .9))} {ms(statistics.mean(f.cpu)):>13} {'-':>10}")
    print(f"{'netstack_exporter tcp collector':34} {ms(statistics.median(o.coll))} "
          f"{ms(pct(o.coll, .9))} {'':>13} {'':>10}")
    print(f"{'netstack_exporter HTTP scrape':34} {ms(statistics.median(o.wall))} "
          f"{ms(pct(o.wall, .9))} {ms(o.cpu):>13} "
          f"{r['ours_rss'] / 1024:8.1f}MB")
    print(f"{'node_exporter tcpstat HTTP scrape':34} {ms(statistics.median(n.wall))} "
          f"{ms(pct(n.wall, .9))} {ms(n.cpu):>13} "
          f"{r['node_rss'] / 1024:8.1f}MB")
    i = r["info"]
    if i:
        print(f"{'  same, tcp-info=true: collector':34} {ms(statistics.median(i.coll))} "
              f"{ms(pct(i.coll, .9))} {'':>13} {'':>10}")
        print(f"{'  same, tcp-info=true: HTTP scrape':34} {ms(statistics.median(i.wall))} "
              f"{ms(pct(i.wall, .9))} {ms(i.cpu):>13} {r['info_rss'] / 1024:8.1f}MB")
    fl = statistics.median(f.wall)
    print(f"ratios: ours collector/floor {statistics.median(o.coll) / fl:.2f}x, "
          f"ours HTTP/floor {statistics.median(o.wall) / fl:.2f}x, "
          f"node/floor {statistics.median(n.wall) / fl:.2f}x, "
          f"node cpu/ours cpu {n.cpu / o.cpu if o.cpu else float('inf'):.1f}x",
          flush=True)


def summary(results):
    if len(results) < 2:
        return
    lo = min(results, key=lambda r: r["size"])
    hi = max(results, key=lambda r: r["size"])
    print(f"\nRSS growth {lo['size']} -> {hi['size']} connections: ours "
          f"{(hi['ours_rss'] - lo['ours_rss']) / 1024:+.2f} MB, node_exporter "
          f"{(hi['node_rss'] - lo['node_rss']) / 1024:+.2f} MB")


def compare_requests(args, sizes):
    for size in sizes:
        workers = build_world(size, args.timewait)
        try:
            a = Floor(args.floor, "legacy")
            b = Floor(args.floor, "family")
            a.once()
            b.once()
            wa, wb, ca, cb = [], [], [], []
            for _ in range(args.rounds):
                n1, w, c = a.once()
                wa.append(w)
                ca.append(c)
                n2, w, c = b.once()
                wb.append(w)
                cb.append(c)
            a.stop()
            b.stop()
            print(f"{size} connections ({n1} / {n2} sockets dumped): "
                  f"legacy AF_UNSPEC median {ms(statistics.median(wa))} ms p90 {ms(pct(wa, .9))}"
                  f" | per family median {ms(statistics.median(wb))} ms p90 {ms(pct(wb, .9))}"
                  f" | ratio {statistics.median(wb) / statistics.median(wa):.2f}", flush=True)
        finally:
            drop_world(workers)


# ---------------------------------------------------------------- outer


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        return worker(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exporter", default="build/netstack_exporter")
    ap.add_argument("--node-exporter", default="/usr/bin/prometheus-node-exporter")
    ap.add_argument("--floor", default="build/sd_floor")
    ap.add_argument("--sizes", default="1000,20000,100000")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--timewait", type=int, default=3000)
    ap.add_argument("--compare-requests", action="store_true")
    ap.add_argument("--tcp-info", action="store_true",
                    help="also scrape a second daemon with --collector.tcp.tcp-info=true")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    for p in (args.exporter, args.floor) + (() if args.compare_requests else (args.node_exporter,)):
        if not os.access(p, os.X_OK):
            print(f"SKIP: {p} is not an executable")
            return 77
    args.exporter = os.path.abspath(args.exporter)
    args.floor = os.path.abspath(args.floor)
    if args.inner:
        return inner(args)
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces)")
        return 77
    print(f"# {' '.join(sys.argv)}\n# kernel {os.uname().release}, {os.cpu_count()} CPUs, "
          f"{args.rounds} rounds per world, alternating ours / node_exporter / floor", flush=True)
    results = []
    rc = 0
    # Every world gets a fresh namespace, so no TIME_WAIT survives into the next.
    for size in args.sizes.split(","):
        ns = f"{NS_PREFIX}{os.getpid()}-{size}"
        if subprocess.run(["ip", "netns", "add", ns]).returncode != 0:
            print("SKIP: cannot create a network namespace")
            return 77
        try:
            argv = ["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__),
                    "--inner", "--exporter", args.exporter, "--node-exporter",
                    args.node_exporter, "--floor", args.floor, "--rounds", str(args.rounds),
                    "--timewait", str(args.timewait), "--sizes", size]
            if args.compare_requests:
                argv.append("--compare-requests")
            if args.tcp_info:
                argv.append("--tcp-info")
            p = subprocess.run(argv, timeout=1800, stdout=subprocess.PIPE, text=True)
            for line in p.stdout.splitlines():
                if line.startswith("RESULT "):
                    results.append(json.loads(line[7:]))
                else:
                    print(line, flush=True)
            rc = rc or p.returncode
        finally:
            subprocess.run(["ip", "netns", "del", ns])
    summary(results)
    return rc


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())

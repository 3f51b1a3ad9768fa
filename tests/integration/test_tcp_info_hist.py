#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
tcp_info histograms (tcp collector, tcp-info=true) against `ss -tni`, over a
veth pair between two fresh namespaces (deep13-tia-<pid>, deep13-tib-<pid>).

Usage: test_tcp_info_hist.py <path-to-netstack_exporter>

The server namespace listens on two ports; the client namespace opens 6 and
4 connections to them over the veth (no qdisc delay: small but real RTTs),
and every connection moves some data both ways (different sizes, so
congestion windows and delivery rates differ), then stays idle. With the
server namespace's `ss -tni` read just before and just after a `--once`
scrape (and equal), checks:

  * every histogram's _count (host-wide and per listening port) is the
    number of established sockets ss lists (host-wide and per port);
  * congestion window: _sum == sum of cwnd, and every cumulative bucket ==
    the number of sockets whose cwnd is at most its bound;
  * RTO: _sum == sum of rto (ss prints milliseconds with %g), buckets from
    the same values;
  * delivery rate: _sum * 8 == sum of delivery_rate (ss -n prints bits per
    second exactly), buckets likewise;
  * bytes retransmitted == sum of bytes_retrans (nftables drops one in 8
    packets toward the clients of one port while data moves, so that
    port's server sockets retransmit; the rule is removed before the
    scrape); busy,
    rwnd_limited and sndbuf_limited seconds within the truncation of ss's
    whole milliseconds.

Exit status: 0 passed, 1 failed, 77 skipped (not root, no ss).
"""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import (  # noqa: E402
    check, exporter_as_root, run, parse_exposition, add_netns, del_netns)

PID = os.getpid()
NA, NB = "deep13-tia-%d" % PID, "deep13-tib-%d" % PID
VA, VB = "d13a%d" % (PID % 100000), "d13b%d" % (PID % 100000)
ADDR_A, ADDR_B = "10.213.%d.1" % (PID % 250), "10.213.%d.2" % (PID % 250)
PORTS = {5601: 6, 5602: 4}
PY = "/usr/bin/python3"

SERVER = r"""
import selectors, socket, sys, time
ports = [int(p) for p in sys.argv[1:]]
sel = selectors.DefaultSelector()
for p in ports:
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", p)); l.listen(64); sel.register(l, selectors.EVENT_READ, "l")
print("listening", flush=True)
bufs = {}
while True:
    for key, _ in sel.select():
        if key.data == "l":
            c, _ = key.fileobj.accept(); bufs[c] = b""
            sel.register(c, selectors.EVENT_READ, "c")
        else:
            c = key.fileobj
            d = c.recv(1 << 20)
            if not d:
                sel.unregister(c); continue
            bufs[c] = (bufs[c] + d)[-32:]
            if bufs[c].endswith(b"!"):
                n = int(bufs[c][:-1].split(b"#")[-1])
                c.sendall(b"y" * n)
"""

CLIENT = r"""
import socket, sys, time
host = sys.argv[1]; spec = sys.argv[2:]
socks = []
i = 0
for item in spec:
    port, n = (int(x) for x in item.split(":"))
    for k in range(n):
        i += 1
        s = socket.create_connection((host, port), timeout=10)
        size = 20000 * i * i
        s.sendall(b"x" * (size // 3) + b"#%d!" % size)
        got = 0
        while got < size:
            got += len(s.recv(1 << 20))
        socks.append(s)
print("ready", flush=True)
time.sleep(600)
"""




def ss_sockets():
    """[(local_port, {field: value})] of the server namespace's established sockets."""
    p = run(["ip", "netns", "exec", NB, "ss", "-tniH", "state", "established"])
    out, cur = [], None
    for line in p.stdout.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            f = line.split()
            # Recv-Q Send-Q Local Peer (state column dropped by the state filter)
            local = f[2]
            cur = {}
            out.append((int(local.rsplit(":", 1)[1]), cur))
            continue
        m = re.search(r"\brto:([\d.]+)", line)
        cur["rto_ms"] = float(m.group(1)) if m else None
        m = re.search(r"\bcwnd:(\d+)", line)
        cur["cwnd"] = int(m.group(1)) if m else None
        m = re.search(r"\bdelivery_rate (\d+)bps", line)
        cur["rate_bps"] = int(m.group(1)) if m else 0
        m = re.search(r"\bbytes_retrans:(\d+)", line)
        cur["bytes_retrans"] = int(m.group(1)) if m else 0
        for k in ("busy", "rwnd_limited", "sndbuf_limited"):
            m = re.search(r"\b%s:(\d+)ms" % k, line)
            cur[k + "_ms"] = int(m.group(1)) if m else 0
    return out


def hist(s, name, **labels):
    """(count, sum, {le: cumulative}) of one histogram series."""
    lab = frozenset(labels.items())
    count = s.get((name + "_count", lab))
    total = s.get((name + "_sum", lab))
    buckets = {}
    for (n, l), v in s.items():
        if n == name + "_bucket" and (l - {("le", dict(l).get("le"))}) == lab:
            buckets[dict(l)["le"]] = v
    return count, total, buckets


def check_buckets(what, buckets, values):
    bad = []
    for le, v in buckets.items():
        bound = float("inf") if le == "+Inf" else float(le)
        want = sum(1 for x in values if x <= bound + 1e-12)
        if v != want:
            bad.append((le, v, want))
    check("%s: every bucket == ss values <= bound" % what, buckets and not bad, "%r" % bad)


def check_scope(s, socks, prefix, labels, what):
    n = len(socks)
    cwnds = [x["cwnd"] for _, x in socks]
    rtos = [x["rto_ms"] / 1000 for _, x in socks]
    rates = [x["rate_bps"] / 8 for _, x in socks]

    c, total, b = hist(s, prefix + "congestion_window_segments", **labels)
    check("%s cwnd _count == established sockets (%d)" % (what, n), c == n, "got %r" % c)
    check("%s cwnd _sum == sum(ss cwnd) (%d)" % (what, sum(cwnds)), total == sum(cwnds),
          "got %r" % total)
    check_buckets(what + " cwnd", b, cwnds)

    c, total, b = hist(s, prefix + "rto_seconds", **labels)
    check("%s rto _count == %d" % (what, n), c == n, "got %r" % c)
    # ss prints tcpi_rto / 1000 with %g: 6 significant digits.
    check("%s rto _sum == sum(ss rto) (%.6f s)" % (what, sum(rtos)),
          total is not None and abs(total - sum(rtos)) <= n * 0.0005e-3 + 1e-9,
          "got %r" % total)
    check_buckets(what + " rto", b, rtos)

    c, total, b = hist(s, prefix + "delivery_rate_bytes_per_second", **labels)
    check("%s delivery rate _count == %d" % (what, n), c == n, "got %r" % c)
    check("%s delivery rate _sum == sum(ss delivery_rate)/8 (%d)" % (what, sum(rates)),
          total == sum(rates), "got %r" % total)
    check("%s some delivery rate is nonzero" % what, sum(rates) > 0)
    check_buckets(what + " delivery rate", b, rates)

    v = s.get((prefix + "retransmitted_bytes", frozenset(labels.items())))
    want = sum(x["bytes_retrans"] for _, x in socks)
    check("%s retransmitted bytes == sum(ss bytes_retrans) (%d)" % (what, want), v == want,
          "got %r" % v)
    for k in ("busy", "rwnd_limited", "sndbuf_limited"):
        v = s.get((prefix + k + "_seconds", frozenset(labels.items())))
        ms = sum(x[k + "_ms"] for _, x in socks)
        check("%s %s seconds within ss's truncated ms (%d ms, %d sockets)" % (what, k, ms, n),
              v is not None and ms / 1000 - 1e-9 <= v < (ms + n) / 1000 + 1e-9, "got %r" % v)


def main():
    exporter = exporter_as_root("network namespaces, veth", ("ss",))
    procs = []
    try:
        add_netns(NA, NB)
        run(["ip", "link", "add", VA, "netns", NA, "type", "veth", "peer", "name", VB,
             "netns", NB])
        for ns, dev, addr in ((NA, VA, ADDR_A), (NB, VB, ADDR_B)):
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
            run(["ip", "-n", ns, "addr", "add", addr + "/24", "dev", dev])
            run(["ip", "-n", ns, "link", "set", dev, "up"])
        # Losses toward the clients of port 5602, so the server retransmits.
        lossy = shutil.which("nft") is not None
        if lossy:
            run(["ip", "netns", "exec", NA, "nft", "add table ip d13; "
                 "add chain ip d13 in { type filter hook input priority 0; }; "
                 "add rule ip d13 in tcp sport 5602 tcp flags & ack == ack "
                 "numgen random mod 8 == 0 drop"])
        srv = subprocess.Popen(["ip", "netns", "exec", NB, PY, "-c", SERVER] +
                               [str(p) for p in PORTS], stdout=subprocess.PIPE, text=True)
        procs.append(srv)
        check("server listening", srv.stdout.readline().strip() == "listening")
        cli = subprocess.Popen(["ip", "netns", "exec", NA, PY, "-c", CLIENT, ADDR_B] +
                               ["%d:%d" % kv for kv in PORTS.items()],
                               stdout=subprocess.PIPE, text=True)
        procs.append(cli)
        check("clients connected and exchanged data", cli.stdout.readline().strip() == "ready")
        if lossy:
            run(["ip", "netns", "exec", NA, "nft", "delete table ip d13"])

        for attempt in range(5):
            time.sleep(0.5)
            before = ss_sockets()
            p = run(["ip", "netns", "exec", NB, exporter, "--collector.disable-defaults",
                     "--collector.tcp", "--collector.tcp.tcp-info=true", "--once"])
            after = ss_sockets()
            if before == after:
                break
        check("ss -tni unchanged across the scrape", before == after)
        s = parse_exposition(p.stdout)
        socks = before
        check("ss lists %d established sockets" % sum(PORTS.values()),
              len(socks) == sum(PORTS.values()), "%r" % socks)
        check_scope(s, socks, "netstack_tcp_established_", {}, "host")
        for port, n in PORTS.items():
            mine = [x for x in socks if x[0] == port]
            check("port %d: ss lists %d" % (port, n), len(mine) == n)
            check_scope(s, mine, "netstack_tcp_local_port_established_", {"port": str(port)},
                        "port %d" % port)
        if lossy:
            check("port 5602 saw retransmissions (ss bytes_retrans > 0)",
                  sum(x["bytes_retrans"] for p_, x in socks if p_ == 5602) > 0)

        # Off by default: none of the new families.
        p = run(["ip", "netns", "exec", NB, exporter, "--collector.disable-defaults",
                 "--collector.tcp", "--once"])
        check("tcp-info off: no histogram families",
              "congestion_window" not in p.stdout and "rto_seconds" not in p.stdout
              and "delivery_rate" not in p.stdout and "busy_seconds" not in p.stdout)
    finally:
        for pr in procs:
            pr.kill()
            pr.wait()
        del_netns(NA, NB)
    sys.exit(nstest.summary())


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
The tcp collector against the real kernel, each scenario in a fresh network
namespace (created and deleted here), with exact expectations that are also
checked against what `ss` reports for the same sockets.

Usage: test_tcp.py <path-to-netstack_exporter>

The daemon runs with --once inside the namespace, so no scrape connection
of its own is counted. Scenarios:

  established  25 IPv4 and 15 IPv6 connections over loopback: 50 and 30
               ESTABLISHED sockets (both ends), 1 listener per family
  backlog      listen(4), no accept(), 10 non-blocking connect()s: the accept
               queue holds 5 (queue_length 5, queue_max 4), the other 5
               clients stay in SYN_SENT
  closing      7 connections closed by the client first (7 TIME_WAIT) and 3
               CLOSE_WAIT server sockets: one with 5 unread bytes, one that
               never read the FIN, one that read it (unread sockets 2, bytes 5)
  syn_recv     nftables drops the final ACK of the handshake: the server
               keeps a request socket (new_syn_recv, counted as syn_recv)
  ports        listeners on two ports with 3 and 5 accepted connections, one
               configured remote port, 60 connections to one destination for
               the ephemeral-port metric, and max-ports=2 with 4 listening
               ports (overflow bucket, no more series)

Exit status: 0 all passed, 1 some check failed, 77 skipped (no privileges).
"""
import errno
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check, skip, skip_all  # noqa: E402

PY = "/usr/bin/python3"
PID = os.getpid()


def eq(name, got, want):
    return check("%s == %r" % (name, want), got == want, "got %r" % (got,))


# ---------------------------------------------------------------- inside


def scrape(exporter, *flags):
    p = subprocess.run([exporter, "--collector.disable-defaults", "--collector.tcp", "--once"]
                       + list(flags), capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        check("exporter --once exit status", False, p.stderr.strip())
    m = {}
    for line in p.stdout.splitlines():
        if line.startswith("#") or not line:
            continue
        k, v = line.rsplit(" ", 1)
        m[k] = float(v)
    return m


def conns(m, fam, state):
    return m.get('netstack_tcp_connections{family="%s",state="%s"}' % (fam, state))


def ss(*args):
    return subprocess.run(["ss", "-Hn"] + list(args), capture_output=True, text=True,
                          check=True).stdout.splitlines()


def listener(fam, addr, port, backlog):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    s.listen(backlog)
    return s


def connect_accept(ls, addr, n, held):
    for _ in range(n):
        c = socket.create_connection(addr, timeout=5)
        s, _ = ls.accept()
        held += [c, s]


def sc_established(exporter):
    held = []
    l4 = listener(socket.AF_INET, "127.0.0.1", 5001, 64)
    l6 = listener(socket.AF_INET6, "::1", 5002, 64)
    held += [l4, l6]
    connect_accept(l4, ("127.0.0.1", 5001), 25, held)
    connect_accept(l6, ("::1", 5002), 15, held)
    m = scrape(exporter)
    eq("established ipv4", conns(m, "ipv4", "established"), 50)
    eq("established ipv6", conns(m, "ipv6", "established"), 30)
    eq("listen ipv4", conns(m, "ipv4", "listen"), 1)
    eq("listen ipv6", conns(m, "ipv6", "listen"), 1)
    eq("ss -4 agrees", len(ss("-t4", "state", "established")), 50)
    eq("ss -6 agrees", len(ss("-t6", "state", "established")), 30)
    states = ["established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2", "time_wait",
              "close", "close_wait", "last_ack", "listen", "closing"]
    present = [conns(m, f, s) is not None for f in ("ipv4", "ipv6") for s in states]
    check("every (family, state) present", all(present))
    zero = [conns(m, f, s) for f in ("ipv4", "ipv6") for s in states
            if s not in ("established", "listen")]
    check("other states 0", all(v == 0 for v in zero), str(zero))
    # Addresses as conntrack prints them: inet_ntop() text, no brackets.
    eq("ipv6 listener ::1 queue_max",
       m.get('netstack_tcp_listener_queue_max{family="ipv6",address="::1",port="5002"}'), 64)
    eq("ephemeral ports toward ::1:5002",
       m.get('netstack_tcp_ephemeral_ports_in_use{family="ipv6",destination="::1",'
             'port="5002"}'), 15)
    check("no bracketed address label", not any('="[' in k for k in m),
          str([k for k in m if '="[' in k]))


def sc_backlog(exporter):
    ls = listener(socket.AF_INET, "127.0.0.1", 5010, 4)
    clients = []
    for _ in range(10):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        rc = c.connect_ex(("127.0.0.1", 5010))
        check("non-blocking connect started", rc in (0, errno.EINPROGRESS), os.strerror(rc))
        clients.append(c)
        time.sleep(0.02)
    time.sleep(0.3)
    m = scrape(exporter)
    key = '{family="ipv4",address="127.0.0.1",port="5010"}'
    eq("queue_length", m.get("netstack_tcp_listener_queue_length" + key), 5)
    eq("queue_max", m.get("netstack_tcp_listener_queue_max" + key), 4)
    row = ss("-tl", "sport", "= :5010")
    fields = row[0].split() if row else []
    eq("ss Recv-Q/Send-Q of the listener", fields[1:3], ["5", "4"])
    eq("syn_sent (SYNs dropped by the full queue)", conns(m, "ipv4", "syn_sent"), 5)
    eq("ss syn-sent agrees", len(ss("-t", "state", "syn-sent")), 5)
    # Both ends of the 5 queued connections are ESTABLISHED.
    eq("established", conns(m, "ipv4", "established"), 10)
    del clients, ls


def sc_closing(exporter):
    held = []
    ls = listener(socket.AF_INET, "127.0.0.1", 5020, 64)
    held.append(ls)
    for _ in range(7):
        c = socket.create_connection(("127.0.0.1", 5020))
        s, _ = ls.accept()
        c.close()
        s.recv(1)
        s.close()
    cw = []
    for kind in ("data", "fin", "eof-read"):
        c = socket.create_connection(("127.0.0.1", 5020))
        s, _ = ls.accept()
        if kind == "data":
            c.sendall(b"hello")
        c.close()
        cw.append((kind, s))
        held.append(s)
    time.sleep(0.2)
    for kind, s in cw:
        if kind == "eof-read":
            eq("EOF read", s.recv(10), b"")
    m = scrape(exporter)
    eq("time_wait", conns(m, "ipv4", "time_wait"), 7)
    eq("ss time-wait agrees", len(ss("-t", "state", "time-wait")), 7)
    eq("close_wait", conns(m, "ipv4", "close_wait"), 3)
    eq("fin_wait2 (their peers)", conns(m, "ipv4", "fin_wait2"), 3)
    rq = sorted(int(l.split()[0]) for l in ss("-t", "state", "close-wait"))
    eq("ss Recv-Q of the CLOSE_WAIT sockets", rq, [0, 1, 6])
    eq("receive_queue_bytes close_wait",
       m.get('netstack_tcp_receive_queue_bytes{family="ipv4",state="close_wait"}'), 7)
    eq("close_wait_unread_sockets",
       m.get('netstack_tcp_close_wait_unread_sockets{family="ipv4"}'), 2)
    eq("close_wait_unread_bytes", m.get('netstack_tcp_close_wait_unread_bytes{family="ipv4"}'),
       5)
    del held


def sc_syn_recv(exporter):
    rules = ("table inet nstest {\n chain input {\n  type filter hook input priority 0;\n"
             "  tcp dport 5030 tcp flags & (syn | ack | fin | rst) == ack drop\n }\n}\n")
    p = subprocess.run(["nft", "-f", "-"], input=rules, capture_output=True, text=True)
    if p.returncode != 0:
        skip("syn_recv scenario: nft failed: %s" % p.stderr.strip())
        return
    ls = listener(socket.AF_INET, "127.0.0.1", 5030, 16)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(5)
    c.connect(("127.0.0.1", 5030))  # the client sees the SYN-ACK and is ESTABLISHED
    time.sleep(0.2)
    m = scrape(exporter)
    eq("syn_recv (request socket)", conns(m, "ipv4", "syn_recv"), 1)
    eq("ss syn-recv agrees", len(ss("-t", "state", "syn-recv")), 1)
    eq("established (the client only)", conns(m, "ipv4", "established"), 1)
    eq("queue_length (nothing completed)",
       m.get('netstack_tcp_listener_queue_length{family="ipv4",address="127.0.0.1",'
             'port="5030"}'), 0)
    eq("local_port syn_recv",
       m.get('netstack_tcp_local_port_connections{port="5030",state="syn_recv"}'), 1)
    del c, ls


def sc_ports(exporter):
    held = []
    a = listener(socket.AF_INET, "0.0.0.0", 5041, 64)
    b = listener(socket.AF_INET, "0.0.0.0", 5042, 64)
    d = listener(socket.AF_INET, "0.0.0.0", 9000, 128)
    held += [a, b, d]
    connect_accept(a, ("127.0.0.1", 5041), 3, held)
    connect_accept(b, ("127.0.0.1", 5042), 5, held)
    connect_accept(d, ("127.0.0.2", 9000), 60, held)
    m = scrape(exporter, "--collector.tcp.remote-ports=5042")
    eq("local port 5041 established",
       m.get('netstack_tcp_local_port_connections{port="5041",state="established"}'), 3)
    eq("local port 5042 established",
       m.get('netstack_tcp_local_port_connections{port="5042",state="established"}'), 5)
    eq("remote port 5042 established",
       m.get('netstack_tcp_remote_port_connections{port="5042",state="established"}'), 5)
    eq("listening ports", m.get("netstack_tcp_listening_ports"), 3)
    key = 'netstack_tcp_ephemeral_ports_in_use{family="ipv4",destination="127.0.0.2",port="9000"}'
    eq("ephemeral ports toward 127.0.0.2:9000", m.get(key), 60)
    lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
    n = sum(1 for l in ss("-t", "dst", "127.0.0.2:9000")
            if lo <= int(l.split()[3].rsplit(":", 1)[1]) <= hi)
    eq("ss: client sockets to 127.0.0.2:9000 on ephemeral ports", n, 60)
    eq("range size", m.get("netstack_tcp_ephemeral_port_range_size"), hi - lo + 1)

    # Cap: 4 listening ports, max-ports=2 -> 2 ports + overflow.
    e = listener(socket.AF_INET, "0.0.0.0", 5043, 8)
    held.append(e)
    connect_accept(e, ("127.0.0.1", 5043), 2, held)
    m = scrape(exporter, "--collector.tcp.max-ports=2")
    ports = {k for k in m if k.startswith("netstack_tcp_local_port_connections{")}
    port_labels = {re.search(r'port="([^"]+)"', k).group(1) for k in ports}
    eq("tracked ports + overflow", len(port_labels), 3)
    check("overflow bucket present", "overflow" in port_labels, str(port_labels))
    total = sum(v for k, v in m.items()
                if k.startswith("netstack_tcp_local_port_connections{")
                and 'state="established"' in k)
    eq("server-side established over all buckets", total, 3 + 5 + 60 + 2)
    eq("listeners exposed (2 tracked + 1 overflow)",
       len([k for k in m if k.startswith("netstack_tcp_listener_queue_length{")]), 3)
    eq("the listeners' overflow row names itself in address and port",
       m.get('netstack_tcp_listener_queue_max{family="ipv4",address="overflow",'
             'port="overflow"}') is not None, True)
    del held


SCENARIOS = {
    "established": sc_established,
    "backlog": sc_backlog,
    "closing": sc_closing,
    "syn_recv": sc_syn_recv,
    "ports": sc_ports,
}


def inner(name, exporter):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", "127.0.0.2/8", "dev", "lo"], capture_output=True)
    SCENARIOS[name](exporter)
    print("RESULT %d %d %d" % (nstest.passed, nstest.failed, nstest.skipped), flush=True)
    return 0


# ---------------------------------------------------------------- outside


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--inner":
        return inner(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 2:
        print("usage: test_tcp.py <netstack_exporter>", file=sys.stderr)
        return 2
    exporter = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        skip_all("needs root to create network namespaces")
    for name in SCENARIOS:
        ns = "nstcp-%d-%s" % (PID, name.replace("_", ""))
        if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode != 0:
            skip_all("cannot create a network namespace")
        try:
            print("--- %s" % name, flush=True)
            p = subprocess.run(["ip", "netns", "exec", ns, PY, os.path.abspath(__file__),
                                "--inner", name, exporter], capture_output=True, text=True,
                               timeout=120)
            for line in p.stdout.splitlines():
                if line.startswith("RESULT "):
                    a, b, c = line.split()[1:]
                    nstest.passed += int(a)
                    nstest.failed += int(b)
                    nstest.skipped += int(c)
                else:
                    print(line, flush=True)
            if p.returncode != 0:
                check("scenario %s ran" % name, False, p.stderr.strip()[-2000:])
        finally:
            subprocess.run(["ip", "netns", "del", ns])
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())

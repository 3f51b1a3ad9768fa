#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
The udp collector against the real kernel, in a fresh network namespace
(created and deleted here), checked against `ss -uamn` for the same sockets.

Usage: test_udp.py <path-to-netstack_exporter>

  * a socket on 127.0.0.1:6000 with the smallest receive buffer is flooded
    with 100 datagrams of 200 bytes from a connected client: drops > 0 and
    netstack_udp_drops_total equals the d<N> that `ss -uamn` shows for it,
    the receive queue its Recv-Q, the buffer its rb<N>; datagrams received
    + dropped = 100
  * two SO_REUSEPORT sockets on 0.0.0.0:5353 are one series with sockets 2
  * a dual-stack [::]:5354 socket is address="*", an IPV6_V6ONLY one "::"
    (inet_ntop() text without brackets, as conntrack prints addresses)
  * the connected client (ephemeral local port) is in address="ephemeral",
    port="ephemeral"
  * max-ports=2 with more bound pairs: an overflow bucket
    (address="overflow", port="overflow"), not more series

Exit status: 0 all passed, 1 some check failed, 77 skipped (no privileges).
"""
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check, skip_all  # noqa: E402

PY = "/usr/bin/python3"
PID = os.getpid()
N_DGRAMS = 100


def eq(name, got, want):
    return check("%s == %r" % (name, want), got == want, "got %r" % (got,))


def scrape(exporter, *flags):
    p = subprocess.run([exporter, "--collector.disable-defaults", "--collector.udp", "--once"]
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


def series(m, name, fam, addr, port):
    return m.get('%s{family="%s",address="%s",port="%s"}' % (name, fam, addr, port))


def ss_skmem(local):
    """Recv-Q and the skmem fields of the UDP socket bound to @local."""
    out = subprocess.run(["ss", "-Huamn", "src", local], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r"^\S+\s+(\d+)\s+\d+\s+\S+\s+\S+\s*\n?\s*skmem:\(([^)]*)\)", out, re.M)
    if not m:
        return None
    fields = {}
    for f in m.group(2).split(","):
        k = re.match(r"[a-z]+", f).group(0)
        fields[k] = int(f[len(k):])
    fields["recvq"] = int(m.group(1))
    return fields


def inner(exporter):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    held = []
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    r.bind(("127.0.0.1", 6000))
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.connect(("127.0.0.1", 6000))
    for _ in range(N_DGRAMS):
        c.send(b"x" * 200)
    held += [r, c]
    for _ in range(2):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        u.bind(("0.0.0.0", 5353))
        held.append(u)
    d = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    d.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    d.bind(("::", 5354))
    v = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    v.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    v.bind(("::", 5355))
    held += [d, v]
    time.sleep(0.1)

    m = scrape(exporter)
    sk = ss_skmem("127.0.0.1:6000")
    if not check("ss -uamn shows the flooded socket", sk is not None):
        return
    drops = series(m, "netstack_udp_drops_total", "ipv4", "127.0.0.1", "6000")
    check("drops > 0", (drops or 0) > 0, str(drops))
    eq("drops == ss d", drops, sk["d"])
    eq("receive queue == ss Recv-Q",
       series(m, "netstack_udp_receive_queue_bytes", "ipv4", "127.0.0.1", "6000"), sk["recvq"])
    eq("receive buffer == ss rb",
       series(m, "netstack_udp_receive_buffer_bytes", "ipv4", "127.0.0.1", "6000"), sk["rb"])
    r.setblocking(False)
    got = 0
    for _ in range(N_DGRAMS + 1):
        try:
            r.recv(500)
            got += 1
        except BlockingIOError:
            break
    eq("received + dropped", got + int(drops or 0), N_DGRAMS)
    eq("sockets on 127.0.0.1:6000",
       series(m, "netstack_udp_sockets", "ipv4", "127.0.0.1", "6000"), 1)
    eq("reuseport pair is one series",
       series(m, "netstack_udp_sockets", "ipv4", "0.0.0.0", "5353"), 2)
    eq("dual-stack is *", series(m, "netstack_udp_sockets", "ipv6", "*", "5354"), 1)
    eq("v6only is ::", series(m, "netstack_udp_sockets", "ipv6", "::", "5355"), 1)
    eq("connected client in the ephemeral bucket",
       series(m, "netstack_udp_sockets", "ipv4", "ephemeral", "ephemeral"), 1)
    check("no bracketed address label", not any('="[' in k for k in m),
          str([k for k in m if '="[' in k]))
    eq("series", len([k for k in m if k.startswith("netstack_udp_sockets{")]), 5)

    m = scrape(exporter, "--collector.udp.max-ports=2")
    names = [k for k in m if k.startswith("netstack_udp_sockets{")]
    total = sum(m[k] for k in names)
    eq("all sockets counted under the cap", total, 6)
    check("overflow bucket present", any('port="overflow"' in k for k in names), str(names))
    check("overflow bucket is address=\"overflow\",port=\"overflow\"",
          any('address="overflow",port="overflow"' in k for k in names), str(names))
    check("no more than 2 pairs + buckets", len(names) <= 2 + 3, str(names))
    print("RESULT %d %d" % (nstest.passed, nstest.failed), flush=True)
    del held
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--inner":
        return inner(sys.argv[2])
    if len(sys.argv) != 2:
        print("usage: test_udp.py <netstack_exporter>", file=sys.stderr)
        return 2
    exporter = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        skip_all("needs root to create network namespaces")
    ns = "nsudp-%d" % PID
    if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode != 0:
        skip_all("cannot create a network namespace")
    try:
        p = subprocess.run(["ip", "netns", "exec", ns, PY, os.path.abspath(__file__), "--inner",
                            exporter], capture_output=True, text=True, timeout=120)
        for line in p.stdout.splitlines():
            if line.startswith("RESULT "):
                a, b = line.split()[1:]
                nstest.passed += int(a)
                nstest.failed += int(b)
            else:
                print(line, flush=True)
        if p.returncode != 0 or "RESULT" not in p.stdout:
            check("scenario ran", False, p.stderr.strip()[-2000:])
    finally:
        subprocess.run(["ip", "netns", "del", ns])
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())

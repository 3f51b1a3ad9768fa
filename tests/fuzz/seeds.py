#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Seed corpus for tests/fuzz/fuzz_collectors.c, in its input layout: byte 0
the target, then for each of the target's files a 32-bit little-endian
length and the bytes.

Usage: seeds.py FIXTURES OUTDIR [--live]
  FIXTURES  tests/fixtures (procfs trees, recorded sock_diag and ctnetlink dumps)
  --live    also record RTM_GETLINK / RTM_GETQDISC / RTM_GETTCLASS / RTM_GETTFILTER
            dumps of the current network namespace (run it inside one with htb
            classes and a u32 filter on 1:)
"""
import glob
import os
import socket
import struct
import sys

# The order of targets[] in fuzz_collectors.c.
NETDEV, QDISC, TCP, UDP, CONNTRACK, SNMP, SOCKSTAT, SOFTNET, NFTABLES, TCP_INFO = range(10)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def seed(target, parts):
    out = bytes([target])
    for p in parts:
        if p is None:
            break  # this file and the ones after it do not exist
        out += struct.pack("<I", len(p)) + p
    return out


def dump(sock, msg_type, ifindex=0, parent=0):
    """One rtnetlink dump, returned as the concatenated messages."""
    if msg_type == 18:  # RTM_GETLINK: struct ifinfomsg
        body = struct.pack("<BxHiII", 0, 0, 0, 0, 0)
    else:  # RTM_GETQDISC / RTM_GETTCLASS: struct tcmsg
        body = struct.pack("<BxxxiIII", 0, ifindex, 0, parent, 0)
    sock.send(struct.pack("<IHHII", 16 + len(body), msg_type, 0x301, 1, 0) + body)
    data = b""
    while True:
        chunk = sock.recv(1 << 20)
        data += chunk
        off, done = 0, False
        while off + 16 <= len(chunk):
            ln, typ = struct.unpack_from("<IH", chunk, off)
            if typ == 3 or typ == 2:  # NLMSG_DONE, NLMSG_ERROR
                done = True
            off += (ln + 3) & ~3
            if ln < 16:
                break
        if done:
            return data


def nla(t, payload):
    a = struct.pack("<HH", 4 + len(payload), t) + payload
    return a + b"\0" * (-len(a) % 4)


def nlmsg(t, payload, flags=2):
    m = struct.pack("<IHHII", 16 + len(payload), t, flags, 0, 0) + payload
    return m + b"\0" * (-len(m) % 4)


def done():
    return nlmsg(3, struct.pack("<i", 0))


def tcp_info_seed():
    """A sock_diag dump: a listener on 80 and established sockets with tcp_info of
    three lengths (old kernel, this one, a newer one)."""
    def sock(state, sport, info=None):
        idm = struct.pack("<BBBB", 2, state, 0, 0) + struct.pack(">HH", sport, 40000)
        idm += b"\x0a\0\0\x01" + b"\0" * 12 + b"\x0a\0\0\x02" + b"\0" * 12
        idm += struct.pack("<IIII", 0, 0, 0, 0) + struct.pack("<IIII", 0, 0, 0, 0)
        return nlmsg(18, idm + (nla(2, info) if info is not None else b""))
    ti = bytearray(232)
    struct.pack_into("<I", ti, 8, 204000)           # tcpi_rto
    struct.pack_into("<I", ti, 80, 10)              # tcpi_snd_cwnd
    struct.pack_into("<Q", ti, 160, 125000000)      # tcpi_delivery_rate
    struct.pack_into("<QQQ", ti, 168, 1000, 20, 3)  # busy, rwnd, sndbuf
    struct.pack_into("<Q", ti, 208, 1448)           # tcpi_bytes_retrans
    msgs = sock(10, 80) + sock(1, 80, bytes(ti)) + sock(1, 80, bytes(ti[:104]))
    msgs += sock(1, 33000, bytes(ti) + b"\1" * 40) + done()
    return seed(TCP_INFO, [msgs, b"32768\t60999\n"])


def qdisc_filter_seed():
    """Links, an htb root with a class, clsact, and u32/basic filters with actions."""
    def tcmsg(t, ifindex, handle, parent, info, kind, extra=b""):
        return nlmsg(t, struct.pack("<BxxxiIII", 0, ifindex, handle, parent, info) +
                     nla(1, kind + b"\0") + extra)
    links = nlmsg(16, struct.pack("<BxHiII", 0, 0, 2, 0, 0) + nla(3, b"eth0\0")) + done()
    qd = tcmsg(36, 2, 0x10000, 0xffffffff, 0, b"htb") + \
        tcmsg(36, 2, 0xffff0000, 0xfffffff1, 0, b"clsact") + done()
    cl = tcmsg(40, 2, 0x10010, 0xffffffff, 0, b"htb") + done()
    stats = nla(4, nla(1, struct.pack("<QI4x", 6000, 40)) +
                nla(3, struct.pack("<IIIII", 0, 0, 5, 0, 12)))
    act = nla(1, nla(1, b"police\0") + stats) + nla(2, nla(1, b"gact\0") + stats)
    opts = nla(2, nla(9, struct.pack("<QQ", 100, 40)) + nla(7, act))
    filt = tcmsg(44, 2, 0, 0x10000, 0x10008, b"u32") + \
        tcmsg(44, 2, 0x80000000, 0x10000, 0x10008, b"u32") + \
        tcmsg(44, 2, 0x80000800, 0x10000, 0x10008, b"u32", opts) + \
        tcmsg(44, 2, 1, 0x10010, 0x50008, b"basic", nla(2, nla(3, act))) + \
        tcmsg(44, 2, 1, 0xfffffff2, 0x10300, b"matchall", nla(2, nla(2, act))) + done()
    return seed(QDISC, [links, qd, cl, filt])


def conntrack_zone_seed():
    """Global stats, empty per-CPU dumps, entries in zones 0/7 with helpers, 2 expectations."""
    def entry(src, zone, helper):
        ip = nla(1 | 0x8000, nla(1, socket.inet_aton(src)) + nla(2, socket.inet_aton("10.9.0.1")))
        proto = nla(2 | 0x8000, nla(1, b"\x06") + nla(2, b"\x9c\x40") + nla(3, b"\x00\x50"))
        p = struct.pack("<BBH", 2, 0, 0) + nla(1 | 0x8000, ip + proto)
        if zone is not None:
            p += nla(18, struct.pack(">H", zone))
        if helper:
            p += nla(5 | 0x8000, nla(1, helper + b"\0"))
        return nlmsg(0x100, p)
    stats = nlmsg(0x105, struct.pack("<BBH", 0, 0, 0) + nla(1, struct.pack(">I", 3)), 0)
    dump = entry("10.0.0.1", None, None) + entry("10.0.0.2", 7, b"ftp") + \
        entry("10.0.0.2", 7, None) + done()
    exp = nlmsg(0x200, struct.pack("<BBH", 2, 0, 0) + nla(7, struct.pack(">I", 300))) * 2 + done()
    return seed(CONNTRACK, [dump, done(), stats, done(), exp])


def live_seeds():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    links = dump(s, 18)
    qdiscs = dump(s, 38)
    classes = filters = b""
    for name in os.listdir("/sys/class/net"):
        try:
            idx = int(open("/sys/class/net/%s/ifindex" % name).read())
        except (OSError, ValueError):
            continue
        c = dump(s, 42, idx)
        if len(c) > len(classes):
            classes = c
        f = dump(s, 46, idx, 0x10000)
        if len(f) > len(filters):
            filters = f
    return [seed(NETDEV, [links]), seed(QDISC, [links, qdiscs, classes, filters]),
            seed(QDISC, [links, qdiscs])]


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    fx, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    seeds = []
    sd = os.path.join(fx, "sockdiag", "recorded")
    seeds.append(seed(TCP, [read(os.path.join(sd, "4-18.nl")), b"32768\t60999\n"]))
    seeds.append(seed(UDP, [read(os.path.join(sd, "inet-udp", "4-20.nl")),
                            read(os.path.join(sd, "inet6-udp", "4-20.nl"))]))
    for d in sorted(glob.glob(os.path.join(fx, "conntrack", "replay-*"))):
        seeds.append(seed(CONNTRACK, [read(os.path.join(d, n)) for n in
                                      ("12-257.nl", "12-260.nl", "12-261.nl", "12-515.nl")]))
    for d in sorted(glob.glob(os.path.join(fx, "nftables", "replay-*"))):
        seeds.append(seed(NFTABLES, [read(os.path.join(d, "12-%d.nl" % t)) for t in
                                     (2576, 2561, 2564, 2567, 2570, 2579, 2573)]))
    for d in sorted(glob.glob(os.path.join(fx, "proc", "*"))):
        net = os.path.join(d, "net")
        seeds.append(seed(SNMP, [read(os.path.join(net, n)) for n in ("snmp", "netstat", "snmp6")]))
        seeds.append(seed(SOCKSTAT, [read(os.path.join(net, n)) for n in ("sockstat", "sockstat6")]))
        seeds.append(seed(SOFTNET, [read(os.path.join(net, "softnet_stat")), b"0-3\n"]))
    seeds += [tcp_info_seed(), qdisc_filter_seed(), conntrack_zone_seed()]
    qf = os.path.join(fx, "qdisc-filters", "recorded")
    seeds.append(seed(QDISC, [read(os.path.join(qf, "0-%d.nl" % t)) for t in (18, 38, 42, 46)]))
    if "--live" in sys.argv[3:]:
        seeds += live_seeds()
    n = 0
    for i, s in enumerate(seeds):
        if 1 < len(s) <= 65536:  # larger ones slow every mutation down
            with open(os.path.join(out, "seed-%03d" % i), "wb") as f:
                f.write(s)
            n += 1
    print("%d seeds in %s" % (n, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Seed corpus for tests/fuzz/fuzz_collectors.c, in its input layout: byte 0
the target, then for each of the target's files a 32-bit little-endian
length and the bytes.

Usage: seeds.py FIXTURES OUTDIR [--live]
  FIXTURES  tests/fixtures (procfs trees, recorded sock_diag and ctnetlink dumps)
  --live    also record RTM_GETLINK / RTM_GETQDISC / RTM_GETTCLASS dumps of the
            current network namespace (run it inside one with htb classes)
"""
import glob
import os
import socket
import struct
import sys

# The order of targets[] in fuzz_collectors.c.
NETDEV, QDISC, TCP, UDP, CONNTRACK, SNMP, SOCKSTAT, SOFTNET, NFTABLES = range(9)


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


def dump(sock, msg_type, ifindex=0):
    """One rtnetlink dump, returned as the concatenated messages."""
    if msg_type == 18:  # RTM_GETLINK: struct ifinfomsg
        body = struct.pack("<BxHiII", 0, 0, 0, 0, 0)
    else:  # RTM_GETQDISC / RTM_GETTCLASS: struct tcmsg
        body = struct.pack("<BxxxiIII", 0, ifindex, 0, 0, 0)
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


def live_seeds():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    links = dump(s, 18)
    qdiscs = dump(s, 38)
    classes = b""
    for name in os.listdir("/sys/class/net"):
        try:
            idx = int(open("/sys/class/net/%s/ifindex" % name).read())
        except (OSError, ValueError):
            continue
        c = dump(s, 42, idx)
        if len(c) > len(classes):
            classes = c
    return [seed(NETDEV, [links]), seed(QDISC, [links, qdiscs, classes]),
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

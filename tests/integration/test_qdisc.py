#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
The qdisc collector against tc, in fresh network namespaces.

Usage: test_qdisc.py <path-to-netstack_exporter>

Namespaces A and B joined by a veth pair (IPv6 off, static neighbours).
On A's veth: htb 1: (default 1:20) with classes 1:1 (rate 400kbit),
1:10 (rate 80kbit, ceil 160kbit) and 1:20 (rate 80kbit), pfifo leaves
10: (limit 5 packets) and bfifo 20: (limit 8000 bytes); a u32 filter (if
the kernel has it) sends port 40000 to 1:10, the rest goes to 1:20. A
bounded burst of 300 UDP datagrams goes out far faster than the rates, so
the leaves drop and htb counts overlimits.
After the queues drained and the tokens refilled (so nothing moves), the
daemon's --once output is compared series by series with
`tc -s -j qdisc show` (JSON) and `tc -s -d class show` (text: iproute2
6.1 does not print htb classes in JSON). Drops and overlimits must be
non-zero. Exit 0 pass, 1 fail, 77 skip. The namespaces are always deleted.
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check, skip_all  # noqa: E402

PID = os.getpid()
NSA, NSB = "nsq-%d-a" % PID, "nsq-%d-b" % PID
R = PID % 250 + 1
IPA, IPB = "10.201.%d.1" % R, "10.201.%d.2" % R
MACA = "02:c9:%02x:%02x:00:01" % ((PID >> 8) & 0xFF, PID & 0xFF)
MACB = "02:c9:%02x:%02x:00:02" % ((PID >> 8) & 0xFF, PID & 0xFF)


def run(cmd, check_rc=True, timeout=30):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check_rc and p.returncode != 0:
        raise RuntimeError("%s: %s%s" % (" ".join(cmd), p.stdout, p.stderr))
    return p


def nsx(ns, *cmd, **kw):
    return run(["ip", "netns", "exec", ns] + list(cmd), **kw)


def parse(text):
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return out


def get(series, name, **labels):
    return series.get((name, frozenset(labels.items())))


def tc_classes(text):
    """Parse `tc -s -d class show dev X` (htb) into dicts."""
    classes = []
    cur = None
    for line in text.splitlines():
        m = re.match(r"^class (\S+) (\S+) (root|parent (\S+))", line)
        if m:
            cur = {"kind": m.group(1), "classid": m.group(2),
                   "parent": "root" if m.group(3) == "root" else m.group(4)}
            m2 = re.search(r"\brate (\S+) ceil (\S+)", line)
            if m2:
                cur["rate"], cur["ceil"] = m2.group(1), m2.group(2)
            classes.append(cur)
            continue
        if cur is None:
            continue
        m = re.search(r"Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+) requeues (\d+)\)",
                      line)
        if m:
            cur.update(bytes=int(m.group(1)), packets=int(m.group(2)), drops=int(m.group(3)),
                       overlimits=int(m.group(4)), requeues=int(m.group(5)))
        m = re.search(r"backlog (\d+)b (\d+)p", line)
        if m:
            cur.update(backlog=int(m.group(1)), qlen=int(m.group(2)))
        m = re.search(r"lended: (\d+) borrowed: (\d+) giants: (\d+)", line)
        if m:
            cur.update(lends=int(m.group(1)), borrows=int(m.group(2)), giants=int(m.group(3)))
        m = re.search(r"tokens: (-?\d+) ctokens: (-?\d+)", line)
        if m:
            cur.update(tokens=int(m.group(1)), ctokens=int(m.group(2)))
    return classes


def tc_rate(s):
    """tc's rate text ('80Kbit', '1Mbit') to bytes per second."""
    m = re.match(r"^(\d+(?:\.\d+)?)([KMG]?)bit$", s)
    mult = {"": 1, "K": 1000, "M": 1000000, "G": 1000000000}[m.group(2)]
    return float(m.group(1)) * mult / 8


SENDER = r"""
import socket, sys
ip, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
sent = 0
for i in range(n):
    try:
        s.sendto(b"Q" * size, (ip, 40000 + (i % 2)))
        sent += 1
    except OSError:
        pass
print(sent)
"""


def main():
    if len(sys.argv) != 2:
        print("usage: test_qdisc.py EXPORTER", file=sys.stderr)
        return 2
    exporter = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        skip_all("needs root for network namespaces")
    try:
        run(["ip", "netns", "add", NSA])
    except Exception as e:  # noqa: BLE001
        skip_all("cannot create a network namespace: %s" % e)
    try:
        run(["ip", "netns", "add", NSB])
        for ns in (NSA, NSB):
            nsx(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1")
            nsx(ns, "ip", "link", "set", "lo", "up")
        run(["ip", "link", "add", "qa", "netns", NSA, "address", MACA, "type", "veth", "peer",
             "name", "qb", "netns", NSB, "address", MACB])
        nsx(NSA, "ip", "addr", "add", IPA + "/24", "dev", "qa")
        nsx(NSB, "ip", "addr", "add", IPB + "/24", "dev", "qb")
        nsx(NSA, "ip", "link", "set", "qa", "up")
        nsx(NSB, "ip", "link", "set", "qb", "up")
        nsx(NSA, "ip", "neigh", "replace", IPB, "lladdr", MACB, "dev", "qa", "nud", "permanent")
        nsx(NSB, "ip", "neigh", "replace", IPA, "lladdr", MACA, "dev", "qb", "nud", "permanent")
        tc = ["tc"]
        try:
            nsx(NSA, *tc, "qdisc", "add", "dev", "qa", "root", "handle", "1:", "htb", "default", "20")
        except RuntimeError as e:
            skip_all("htb not available: %s" % e)
        nsx(NSA, *tc, "class", "add", "dev", "qa", "parent", "1:", "classid", "1:1", "htb",
            "rate", "400kbit")
        nsx(NSA, *tc, "class", "add", "dev", "qa", "parent", "1:1", "classid", "1:10", "htb",
            "rate", "80kbit", "ceil", "160kbit")
        nsx(NSA, *tc, "class", "add", "dev", "qa", "parent", "1:1", "classid", "1:20", "htb",
            "rate", "80kbit")
        nsx(NSA, *tc, "qdisc", "add", "dev", "qa", "parent", "1:10", "handle", "10:", "pfifo",
            "limit", "5")
        nsx(NSA, *tc, "qdisc", "add", "dev", "qa", "parent", "1:20", "handle", "20:", "bfifo",
            "limit", "8000")
        # port 40000 -> 1:10, everything else -> default 1:20
        nsx(NSA, *tc, "filter", "add", "dev", "qa", "parent", "1:", "protocol", "ip", "prio", "1",
            "u32", "match", "ip", "dport", "40000", "0xffff", "flowid", "1:10", check_rc=False)
        # qb (B's side): a plain pfifo as root, to have a second device
        nsx(NSB, *tc, "qdisc", "add", "dev", "qb", "root", "handle", "5:", "pfifo", "limit", "100")

        # A bounded burst: 300 datagrams of 1000 bytes at once.
        sent = int(nsx(NSA, "/usr/bin/python3", "-c", SENDER, IPB, "300", "1000").stdout)
        check("burst sent", sent > 0, str(sent))
        # Wait (bounded) until every queue is empty, then until the tokens are full.
        for _ in range(100):
            q = json.loads(nsx(NSA, *tc, "-s", "-j", "qdisc", "show", "dev", "qa").stdout)
            if all(x.get("qlen", 0) == 0 for x in q):
                break
            time.sleep(0.2)
        time.sleep(2.5)

        out = nsx(NSA, exporter, "--collector.disable-defaults", "--collector.qdisc",
                  "--once").stdout
        qd = json.loads(nsx(NSA, *tc, "-s", "-j", "qdisc", "show").stdout)
        cl = tc_classes(nsx(NSA, *tc, "-s", "-d", "class", "show", "dev", "qa").stdout)
        s = parse(out)
        check("collector success",
              get(s, "netstack_scrape_collector_success", collector="qdisc") == 1)

        # Every qdisc tc shows, every counter equal.
        fields = {"bytes": "bytes_total", "packets": "packets_total", "drops": "drops_total",
                  "overlimits": "overlimits_total", "requeues": "requeues_total",
                  "backlog": "backlog_bytes", "qlen": "queue_length"}
        n = 0
        for x in qd:
            parent = "root" if x.get("root") else x.get("parent")
            if parent == "ffff:fff1":
                parent = "ingress"
            lab = dict(device=x["dev"], kind=x["kind"], handle=x["handle"], parent=parent)
            for k, m in fields.items():
                v = get(s, "netstack_qdisc_" + m, **lab)
                check("qdisc %s %s" % (lab, m), v == x[k], "daemon %s tc %s" % (v, x[k]))
                n += 1
            if x["kind"] == "htb":
                v = get(s, "netstack_qdisc_htb_direct_packets_total", **lab)
                check("htb direct packets", v == x["options"]["direct_packets_stat"], str(v))
        check("qdiscs compared", len(qd) >= 4 and n == 7 * len(qd), str(n))
        leaves = [x for x in qd if x["dev"] == "qa" and x["kind"] in ("pfifo", "bfifo")]
        check("leaf drops > 0", sum(x["drops"] for x in leaves) > 0,
              str([(x["handle"], x["drops"]) for x in leaves]))
        root = [x for x in qd if x["dev"] == "qa" and x["kind"] == "htb"][0]
        check("htb overlimits > 0", root["overlimits"] > 0, str(root["overlimits"]))
        check("root info qa", get(s, "netstack_qdisc_root_info", device="qa", kind="htb") == 1)
        check("root info lo", get(s, "netstack_qdisc_root_info", device="lo", kind="noqueue") == 1)
        check("other namespace absent",
              not any(dict(k[1]).get("device") == "qb" for k in s))

        # Every class, every counter, rates and htb extended stats.
        m = 0
        for c in cl:
            lab = dict(device="qa", kind=c["kind"], classid=c["classid"], parent=c["parent"])
            for k, mname in fields.items():
                v = get(s, "netstack_qdisc_class_" + mname, **lab)
                check("class %s %s" % (c["classid"], mname), v == c[k],
                      "daemon %s tc %s" % (v, c[k]))
                m += 1
            for k in ("lends", "borrows", "giants"):
                v = get(s, "netstack_qdisc_htb_class_%s_total" % k, **lab)
                check("class %s %s" % (c["classid"], k), v == c[k], "daemon %s tc %s" % (v, c[k]))
            for k in ("tokens", "ctokens"):
                v = get(s, "netstack_qdisc_htb_class_%s_seconds" % k, **lab)
                ok = v is not None and abs(v * 1e9 / 64 - c[k]) < 0.5
                check("class %s %s" % (c["classid"], k), ok, "daemon %s tc %s" % (v, c[k]))
            for k in ("rate", "ceil"):
                v = get(s, "netstack_qdisc_htb_class_%s_bytes_per_second" % k, **lab)
                check("class %s %s" % (c["classid"], k), v == tc_rate(c[k]),
                      "daemon %s tc %s" % (v, c[k]))
        check("classes compared", len(cl) == 3 and m == 3 * 7, "%d classes" % len(cl))
        print("compared %d qdisc and %d class series with tc; leaf drops %s, htb overlimits %d"
              % (n, m, [x["drops"] for x in leaves], root["overlimits"]))
    finally:
        for ns in (NSA, NSB):
            run(["ip", "netns", "del", ns], check_rc=False)
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
The ethtool collector against ethtool(8), in a fresh network namespace.

Usage: test_ethtool.py <path-to-netstack_exporter>

A veth pair with 3 rx/tx queues, IPv6 off (no background traffic). After a
bounded burst of UDP over the pair, the daemon's --once output must hold,
for each device, exactly what `ethtool -S` prints (per-queue statistics as
netstack_ethtool_queue_<stat>{queue,direction}, the others as
netstack_ethtool_driver_<stat>), the driver from `ethtool -i`, the channel
counts from `ethtool -l`, and the speed from `ethtool` (Mb/s * 125000).
Exit 0 pass, 1 fail, 77 skip. The namespace is always deleted.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check, skip_all  # noqa: E402

NS = "nse-%d" % os.getpid()


def run(cmd, check_rc=True):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if check_rc and p.returncode != 0:
        raise RuntimeError("%s: %s%s" % (" ".join(cmd), p.stdout, p.stderr))
    return p


def nsx(*cmd, **kw):
    return run(["ip", "netns", "exec", NS] + list(cmd), **kw)


def parse(text):
    out = {}
    for line in text.splitlines():
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if m and not line.startswith("#"):
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
            out[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return out


def main():
    exporter = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0 or subprocess.run(["which", "ethtool"], capture_output=True).returncode:
        skip_all("needs root and ethtool")
    try:
        run(["ip", "netns", "add", NS])
    except RuntimeError as e:
        skip_all("cannot create a network namespace: %s" % e)
    try:
        nsx("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1")
        nsx("ip", "link", "add", "ea", "numtxqueues", "3", "numrxqueues", "3",
            "address", "02:ca:00:00:00:01", "type", "veth", "peer", "name", "eb",
            "numtxqueues", "3", "numrxqueues", "3", "address", "02:ca:00:00:00:02")
        nsx("ip", "addr", "add", "10.202.0.1/24", "dev", "ea")
        nsx("ip", "addr", "add", "10.202.0.2/24", "dev", "eb")
        for d in ("lo", "ea", "eb"):
            nsx("ip", "link", "set", d, "up")
        nsx("ethtool", "-K", "eb", "gro", "on", check_rc=False)
        nsx("ip", "neigh", "replace", "10.202.0.2", "lladdr", "02:ca:00:00:00:02", "dev", "ea",
            "nud", "permanent")
        nsx("/usr/bin/python3", "-c",
            "import socket,time\nr=socket.socket(2,2);r.bind(('10.202.0.2',40001))\n"
            "s=socket.socket(2,2)\nfor i in range(100): s.sendto(b'e'*300,('10.202.0.2',40001))\n"
            "time.sleep(0.3)")
        out = nsx(exporter, "--collector.disable-defaults", "--collector.ethtool", "--once").stdout
        s = parse(out)
        check("collector success",
              s.get(("netstack_scrape_collector_success",
                     frozenset({"collector": "ethtool"}.items()))) == 1)
        nq = 0
        for dev in ("ea", "eb"):
            for line in nsx("ethtool", "-S", dev).stdout.splitlines()[1:]:
                name, _, val = line.strip().rpartition(": ")
                m = re.match(r"^(rx|tx)_queue_(\d+)_(.+)$", name)
                if m:
                    key = ("netstack_ethtool_queue_" + m.group(3), frozenset(
                        {"device": dev, "queue": m.group(2), "direction": m.group(1)}.items()))
                    nq += 1
                else:
                    key = ("netstack_ethtool_driver_" + name, frozenset({"device": dev}.items()))
                check("%s %s" % (dev, name), s.get(key) == int(val),
                      "daemon %s ethtool %s" % (s.get(key), val))
            info = dict(re.findall(r"^([\w-]+): ?(.*)$", nsx("ethtool", "-i", dev).stdout, re.M))
            key = ("netstack_ethtool_info", frozenset(
                {"device": dev, "driver": info["driver"], "version": info["version"],
                 "firmware_version": info["firmware-version"],
                 "bus_info": info["bus-info"]}.items()))
            check("%s info" % dev, s.get(key) == 1)
            ch = nsx("ethtool", "-l", dev).stdout.split("Current hardware settings:")
            for part, metric in ((ch[0], "netstack_ethtool_channels_max"),
                                 (ch[1], "netstack_ethtool_channels")):
                for typ in ("RX", "TX"):
                    v = re.search(r"^%s:\s+(\d+)" % typ, part, re.M)
                    key = (metric, frozenset({"device": dev, "type": typ.lower()}.items()))
                    check("%s %s %s" % (dev, metric, typ), v and s.get(key) == int(v.group(1)),
                          "daemon %s ethtool %s" % (s.get(key), v and v.group(1)))
            sp = re.search(r"Speed: (\d+)Mb/s", nsx("ethtool", dev).stdout)
            key = ("netstack_netdev_speed_bytes", frozenset({"device": dev}.items()))
            if sp:
                check("%s speed" % dev, s.get(key) == int(sp.group(1)) * 125000, str(s.get(key)))
            else:
                check("%s no speed" % dev, key not in s)
        check("per-queue lines", nq >= 2 * (3 * 7 + 3 * 2), str(nq))
        print("%d ethtool -S per-queue statistics compared" % nq)
    finally:
        run(["ip", "netns", "del", NS], check_rc=False)
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
The conntrack breakdown by zone against the real kernel, in a fresh namespace.

Usage: test_conntrack_zone.py <path-to-netstack_exporter>

A namespace deep13-ctz-<pid> (conntrack turned on by an nftables rule on
`ct state`) gets entries made with `conntrack -I ... -w N` in zones 0, 7
and 9, from several sources. One `--once` scrape must then give, per zone,
netstack_conntrack_zone_entries == `conntrack -L -w N | wc -l` (read just
before and just after, and equal), per-zone top sources and destinations
equal to what `conntrack -L -w N` lists, netstack_conntrack_zones 3, and
netstack_conntrack_expect_entries == `conntrack -L expect` (0 here). With
zone-max=2 the smallest zone goes to zone="other"; with top-k=1 each zone
has one source and one destination. Then an nftables `ct helper` assigns the
ftp helper to connections to port 21: three loopback connections, each
sending a USER line and then an active-mode PORT command, give 3 entries with helper=ftp and 3
expectations: netstack_conntrack_helper_entries{helper="ftp"} and
netstack_conntrack_expect_entries must equal `conntrack -L` / `conntrack -L
expect` (read before and after, unchanged).

Exit status: 0 passed, 1 failed, 77 skipped (not root, no conntrack/nft).
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import (  # noqa: E402
    check, skip_all, exporter_as_root, run, parse_exposition, series, add_netns,
    del_netns, enable_conntrack)

NS = "deep13-ctz-%d" % os.getpid()



def nsx(*cmd, **kw):
    return run(["ip", "netns", "exec", NS] + list(cmd), **kw)




def once(exporter, *opts):
    args = [exporter, "--collector.disable-defaults", "--collector.conntrack", "--once",
            "--collector.conntrack.breakdown-interval=0"]
    args += ["--collector.conntrack.%s" % o for o in opts]
    p = nsx(*args, check_rc=False)
    if p.returncode != 0:
        raise RuntimeError("exporter --once rc=%d: %s" % (p.returncode, p.stderr.strip()))
    return parse_exposition(p.stdout)


def listing(zone):
    """`conntrack -L -w ZONE` lines (only entries of that zone, as the tool filters),
    sorted, without the remaining-timeout column (it counts down between reads)."""
    p = nsx("conntrack", "-L", "-w", str(zone), check_rc=False)
    out = []
    for l in p.stdout.splitlines():
        f = l.split()
        if len(f) > 2:
            out.append(" ".join(f[:2] + f[3:]))
    return sorted(out)


# zone -> [(source, destination, protocol, dport)], one entry each
ENTRIES = {
    0: [("10.1.0.1", "10.2.0.1", "tcp", 80), ("10.1.0.1", "10.2.0.1", "tcp", 80),
        ("10.1.0.2", "10.2.0.53", "udp", 53)],
    7: [("10.7.0.1", "10.2.0.1", "tcp", 443)] * 3 + [("10.7.0.2", "10.2.0.1", "tcp", 443),
                                                   ("10.7.0.3", "10.2.0.53", "udp", 53)],
    9: [("10.9.0.1", "10.9.9.9", "udp", 123), ("10.9.0.2", "10.9.9.9", "udp", 123)],
}


def insert_all():
    n = 0
    for zone, ents in ENTRIES.items():
        for src, dst, proto, dport in ents:
            n += 1
            a = ["conntrack", "-I", "-t", "600", "-s", src, "-d", dst, "-p", proto,
                 "--sport", str(20000 + n), "--dport", str(dport), "-w", str(zone)]
            if proto == "tcp":
                a += ["--state", "ESTABLISHED", "-u", "SEEN_REPLY,ASSURED"]
            nsx(*a)


def want_tops(lines):
    src, dst = {}, {}
    for l in lines:
        proto = l.split()[0]
        s = re.search(r"src=(\S+)", l).group(1)
        d = re.search(r"dst=(\S+)", l).group(1)
        dp = re.search(r"dport=(\d+)", l).group(1)
        src[s] = src.get(s, 0) + 1
        dst[(proto, d, dp)] = dst.get((proto, d, dp), 0) + 1
    return src, dst


def test_zones(exporter):
    insert_all()
    before = {z: listing(z) for z in ENTRIES}
    s = once(exporter)
    after = {z: listing(z) for z in ENTRIES}
    exp_lines = nsx("conntrack", "-L", "expect", check_rc=False).stdout.splitlines()

    check("conntrack -L -w N unchanged across the scrape", before == after)
    zones = series(s, "netstack_conntrack_zone_entries")
    got = {dict(k)["zone"]: int(v) for k, v in zones.items()}
    for z in ENTRIES:
        check("zone %d entries == conntrack -L -w %d | wc -l (%d)" % (z, z, len(before[z])),
              got.get(str(z)) == len(before[z]) == len(ENTRIES[z]), "got %r" % got)
    check("no zone=\"other\" with the default zone-max", "other" not in got, "%r" % got)
    check("netstack_conntrack_zones == 3",
          s.get(("netstack_conntrack_zones", frozenset())) == 3)
    check("zone entries add up to the breakdown's scanned entries",
          sum(got.values()) == s.get(("netstack_conntrack_breakdown_scanned_entries",
                                      frozenset())))

    tsrc = series(s, "netstack_conntrack_zone_top_source_entries")
    tdst = series(s, "netstack_conntrack_zone_top_destination_entries")
    for z in ENTRIES:
        wsrc, wdst = want_tops(before[z])
        gsrc = {dict(k)["address"]: int(v) for k, v in tsrc.items() if dict(k)["zone"] == str(z)}
        gdst = {(dict(k)["protocol"], dict(k)["address"], dict(k)["port"]): int(v)
                for k, v in tdst.items() if dict(k)["zone"] == str(z)}
        check("zone %d top sources == conntrack -L -w %d" % (z, z), gsrc == wsrc,
              "got %r want %r" % (gsrc, wsrc))
        check("zone %d top destinations == conntrack -L -w %d" % (z, z), gdst == wdst,
              "got %r want %r" % (gdst, wdst))
    ex = series(s, "netstack_conntrack_zone_top_exact")
    check("per-zone tops exact", sorted(ex.values()) == [1, 1], "%r" % ex)

    n_exp = len([l for l in exp_lines if l.strip() and "expectations have been" not in l])
    check("expect_entries == conntrack -L expect (%d)" % n_exp,
          s.get(("netstack_conntrack_expect_entries", frozenset())) == n_exp)

    # Caps: zone-max=2 keeps 7 (5) and 0 (3); 9 (2) goes to other. top-k=1.
    s = once(exporter, "zone-max=2", "top-k=1")
    got = {dict(k)["zone"]: int(v) for k, v in
           series(s, "netstack_conntrack_zone_entries").items()}
    check("zone-max=2: zones 7, 0 and other", got == {"7": 5, "0": 3, "other": 2}, "%r" % got)
    tsrc = series(s, "netstack_conntrack_zone_top_source_entries")
    gs = {dict(k)["zone"]: (dict(k)["address"], int(v)) for k, v in tsrc.items()}
    check("top-k=1: one source per exposed zone, the largest",
          len(tsrc) == 2 and gs == {"7": ("10.7.0.1", 3), "0": ("10.1.0.1", 2)}, "%r" % gs)
    check("zone-max=2 still counts 3 zones",
          s.get(("netstack_conntrack_zones", frozenset())) == 3)

    # Only zone 0: no zone series at all.
    for z in (7, 9):
        nsx("conntrack", "-D", "-w", str(z), check_rc=False)
    s = once(exporter)
    check("only zone 0 left: no zone families",
          not series(s, "netstack_conntrack_zone_entries") and
          ("netstack_conntrack_zones", frozenset()) not in s)


FTP_PEER = r"""
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 21)); l.listen(8)
keep = []
for i in range(int(sys.argv[1])):
    c = socket.create_connection(("127.0.0.1", 21)); s, _ = l.accept()
    # The helper parses a line only where an earlier one ended: a USER line
    # first, then an active-mode data port, whose connection it expects.
    c.sendall(b"USER anonymous\r\n")
    s.recv(100)
    time.sleep(0.05)
    c.sendall(b"PORT 127,0,0,1,%d,%d\r\n" % (120 + i, 10))
    s.recv(100)
    keep += [c, s]
print("ready", flush=True)
time.sleep(600)
"""


def count_lines(text, needle):
    return len([l for l in text.splitlines() if needle in l])


def test_helpers_and_expectations(exporter):
    """Entries with the ftp helper (nftables ct helper) and the expectations its
    PORT commands create, against conntrack -L and conntrack -L expect."""
    p = nsx("nft", "-f", "-", check_rc=False, input_text="""
table inet ctz_helper {
    ct helper ftp-standard {
        type "ftp" protocol tcp;
    }
    chain out {
        type filter hook output priority 0;
        tcp dport 21 ct helper set "ftp-standard";
    }
}
""")
    if p.returncode != 0:
        nstest.skip("no ftp conntrack helper: %s" % p.stderr.strip())
        return
    peer = subprocess.Popen(["ip", "netns", "exec", NS, "/usr/bin/python3", "-c", FTP_PEER, "3"],
                            stdout=subprocess.PIPE, text=True)
    try:
        check("ftp peers connected", peer.stdout.readline().strip() == "ready")
        before = (nsx("conntrack", "-L", check_rc=False).stdout,
                  nsx("conntrack", "-L", "expect", check_rc=False).stdout)
        s = once(exporter)
        after = (nsx("conntrack", "-L", check_rc=False).stdout,
                 nsx("conntrack", "-L", "expect", check_rc=False).stdout)
        n_help = count_lines(before[0], "helper=ftp")
        n_exp = count_lines(before[1], "proto=")
        check("conntrack -L lists 3 entries with helper=ftp", n_help == 3, before[0])
        check("conntrack -L expect lists 3 expectations", n_exp == 3, before[1])
        check("helper and expectation counts unchanged across the scrape",
              (count_lines(after[0], "helper=ftp"), count_lines(after[1], "proto=")) ==
              (n_help, n_exp))
        v = s.get(("netstack_conntrack_helper_entries", frozenset({"helper": "ftp"}.items())))
        check("helper_entries{helper=ftp} == conntrack -L helper=ftp (%d)" % n_help,
              v == n_help, "got %r" % v)
        check("only the ftp helper",
              len(series(s, "netstack_conntrack_helper_entries")) == 1)
        v = s.get(("netstack_conntrack_expect_entries", frozenset()))
        check("expect_entries == conntrack -L expect (%d)" % n_exp, v == n_exp, "got %r" % v)
    finally:
        peer.kill()
        peer.wait()


def main():
    exporter = exporter_as_root("network namespaces, nftables, conntrack -I",
                                ("ip", "nft", "conntrack"))
    if not os.path.exists("/proc/sys/net/netfilter/nf_conntrack_max"):
        skip_all("nf_conntrack is not available on this kernel")
    add_netns(NS)
    try:
        enable_conntrack(NS, "ctz_test")
        test_zones(exporter)
        test_helpers_and_expectations(exporter)
    finally:
        del_netns(NS)
    sys.exit(nstest.summary())


if __name__ == "__main__":
    main()

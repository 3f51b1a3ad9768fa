#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
The conntrack collector against the real kernel, in a private network namespace.

Usage: test_conntrack.py <path-to-netstack_exporter>

A fresh namespace gets an nftables rule that matches on `ct state` (which
turns connection tracking on for that namespace). Then:

  1. exact table: 14 entries made with `conntrack -I` (IPv4 TCP in three
     states, UDP, ICMP, IPv6 TCP) plus 20 UDP flows sent over loopback from
     20 distinct source ports. `--once` must report entries == 34 ==
     `conntrack -C`, a breakdown that sums to 34 with the protocol and TCP
     state split of `conntrack -L`, top source 127.0.0.1 (20) and top
     destination 127.0.0.1 udp/9999 (20), and per-CPU counters equal to
     `conntrack -S` / `conntrack -S expect` read just before and just after
     (and equal to each other, so nothing moved in between).
  2. breakdown cap: breakdown-max-entries=10 -> scanned 10, truncated 1;
     interval: a running daemon scraped three times with the default 60 s
     interval dumps the table once (runs_total 1, same timestamp), with
     interval 0 three times.
  3. fallback: the same daemon under `capsh --drop=cap_net_admin` reports
     source="procfs", the same entries and the same per-CPU counters (from
     /proc/net/stat/nf_conntrack), and no breakdown.
  4. table full: the GLOBAL net.netfilter.nf_conntrack_max is lowered to 200
     (restored in a finally block, even on failure), 300 new UDP flows are
     sent: entries reach the limit (200 == entries_limit), and
     drop + early_drop rise by exactly the 100 flows that did not fit, as
     `conntrack -S` says.

Exit status: 0 passed, 1 failed, 77 skipped (not root, no conntrack/nft/capsh).
Traffic stays on the namespace's loopback; the namespace is deleted on exit.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import (  # noqa: E402
    check, skip_all, exporter_as_root, run, parse_exposition, series, sample, add_netns,
    del_netns, enable_conntrack)

PID = os.getpid()
NS = "nsct-%d" % PID
PORT = 19300 + PID % 500
PY = "/usr/bin/python3"
MAX_PATH = "/proc/sys/net/netfilter/nf_conntrack_max"



def nsx(*cmd, **kw):
    return run(["ip", "netns", "exec", NS] + list(cmd), **kw)





def once(exporter, *opts, drop_cap=False):
    args = [exporter, "--collector.disable-defaults", "--collector.conntrack", "--once"]
    args += ["--collector.conntrack.%s" % o for o in opts]
    if drop_cap:
        p = nsx("capsh", "--drop=cap_net_admin", "--", "-c",
                " ".join("'%s'" % a for a in args), check_rc=False)
    else:
        p = nsx(*args, check_rc=False)
    if p.returncode != 0:
        raise RuntimeError("exporter --once rc=%d: %s" % (p.returncode, p.stderr.strip()))
    return parse_exposition(p.stdout)


def conntrack_S(expect=False):
    """{cpu: {field: value}} from `conntrack -S` (or `-S expect`) in the namespace."""
    out = {}
    p = nsx("conntrack", "-S", *(["expect"] if expect else []))
    for line in p.stdout.splitlines():
        fields = dict(re.findall(r"(\w+)=(\d+)", line))
        if "cpu" in fields:
            cpu = fields.pop("cpu")
            out[cpu] = {k: int(v) for k, v in fields.items()}
    return out


def scraped_cpu_stats(samples, fields, prefix="netstack_conntrack_"):
    out = {}
    for f in fields:
        for labels, v in series(samples, prefix + f + "_total").items():
            out.setdefault(dict(labels)["cpu"], {})[f] = int(v)
    return out


def send_udp(n, base_port, dport=9999):
    """n datagrams from 127.0.0.1:base_port+i to 127.0.0.1:dport, one flow each."""
    code = r"""
import socket, sys
n, base, dport = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", dport))
sent = refused = 0
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", base + i))
    try:
        s.sendto(b"x", ("127.0.0.1", dport))
        sent += 1
    except OSError:
        refused += 1   # dropped by conntrack on the output hook: EPERM
    s.close()
print(sent, refused)
"""
    p = nsx(PY, "-c", code, str(n), str(base_port), str(dport))
    return [int(x) for x in p.stdout.split()]


def conntrack_L():
    p = nsx("conntrack", "-L", check_rc=False)
    return [l for l in p.stdout.splitlines() if l.strip()]


def scrape_http(port):
    code = ("import urllib.request,sys;"
            "print(urllib.request.urlopen('http://127.0.0.1:%d/metrics',timeout=10).read().decode())"
            % port)
    return parse_exposition(nsx(PY, "-c", code).stdout)


def test_exact_table(exporter):
    ins = [
        ("-s 10.1.0.1 -d 10.2.0.1 -p tcp --sport %d --dport 80 --state ESTABLISHED "
         "-u SEEN_REPLY,ASSURED" % (1000 + i)) for i in range(5)
    ] + [
        "-s 10.1.0.1 -d 10.2.0.1 -p tcp --sport 1100 --dport 80 --state TIME_WAIT",
        "-s 10.1.0.4 -d 10.2.0.1 -p tcp --sport 1101 --dport 80 --state SYN_SENT",
    ] + [
        "-s 10.1.0.2 -d 10.2.0.53 -p udp --sport %d --dport 53" % (2000 + i) for i in range(3)
    ] + [
        "-s 10.1.0.3 -d 10.2.0.1 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id %d" % (7 + i)
        for i in range(2)
    ] + [
        "-s fd00::1 -d fd00::2 -p tcp --sport %d --dport 443 --state ESTABLISHED "
        "-u SEEN_REPLY,ASSURED" % (3000 + i) for i in range(2)
    ]
    for a in ins:
        nsx(*("conntrack -I -t 600 " + a).split())
    sent, refused = send_udp(20, 21000)
    check("20 UDP flows sent", (sent, refused) == (20, 0), "%r" % ((sent, refused),))

    count = int(nsx("conntrack", "-C").stdout.strip())
    before, before_exp = conntrack_S(), conntrack_S(True)
    s = once(exporter, "breakdown-interval=0")
    after, after_exp = conntrack_S(), conntrack_S(True)
    lines = conntrack_L()

    check("conntrack -C == 34", count == 34, "got %d" % count)
    check("enabled 1", sample(s, "netstack_conntrack_enabled") == 1)
    check("source netlink", sample(s, "netstack_conntrack_source_info", source="netlink") == 1)
    check("entries == conntrack -C", sample(s, "netstack_conntrack_entries") == count,
          "%r" % sample(s, "netstack_conntrack_entries"))
    check("limit == nf_conntrack_max",
          sample(s, "netstack_conntrack_entries_limit") == int(open(MAX_PATH).read()))
    check("breakdown scanned 34", sample(s, "netstack_conntrack_breakdown_scanned_entries") == 34)
    check("breakdown not truncated", sample(s, "netstack_conntrack_breakdown_truncated") == 0)
    table = series(s, "netstack_conntrack_table_entries")
    check("breakdown sums to 34", sum(table.values()) == 34, "%r" % table)

    # The split that conntrack -L shows.
    want = {}
    for l in lines:
        proto = l.split()[0]
        fam = "ipv6" if re.search(r"src=[0-9a-f:]*:", l) else "ipv4"
        want[(fam, proto)] = want.get((fam, proto), 0) + 1
    got = {(dict(k)["family"], dict(k)["protocol"]): int(v) for k, v in table.items() if v}
    check("protocol split == conntrack -L", got == want, "got %r want %r" % (got, want))
    check("protocol split as made",
          got == {("ipv4", "tcp"): 7, ("ipv4", "udp"): 23, ("ipv4", "icmp"): 2,
                  ("ipv6", "tcp"): 2}, "%r" % got)
    states = {dict(k)["state"]: int(v)
              for k, v in series(s, "netstack_conntrack_table_tcp_entries").items() if v}
    want_states = {}
    for l in lines:
        if l.startswith("tcp"):
            st = l.split()[3].lower()
            want_states[st] = want_states.get(st, 0) + 1
    check("tcp states == conntrack -L", states == want_states,
          "got %r want %r" % (states, want_states))
    check("tcp states as made", states == {"established": 7, "time_wait": 1, "syn_sent": 1},
          "%r" % states)
    top = series(s, "netstack_conntrack_top_source_entries")
    best = max(top.items(), key=lambda kv: kv[1])
    check("top source 127.0.0.1 with 20", dict(best[0]).get("address") == "127.0.0.1"
          and best[1] == 20, "%r" % top)
    check("second source 10.1.0.1 with 6",
          sample(s, "netstack_conntrack_top_source_entries", family="ipv4",
              address="10.1.0.1") == 6)
    check("top destination 127.0.0.1 udp/9999 with 20",
          sample(s, "netstack_conntrack_top_destination_entries", family="ipv4", protocol="udp",
              address="127.0.0.1", port="9999") == 20)
    check("top destination 10.2.0.1 tcp/80 with 7",
          sample(s, "netstack_conntrack_top_destination_entries", family="ipv4", protocol="tcp",
              address="10.2.0.1", port="80") == 7)
    check("top counts exact", sample(s, "netstack_conntrack_top_exact", table="source") == 1)
    # Addresses as the tcp and udp collectors print them (docs/METRICS.md,
    # "Label conventions"): inet_ntop() text, no brackets.
    check("top source fd00::1 (ipv6, no brackets) with 2",
          sample(s, "netstack_conntrack_top_source_entries", family="ipv6",
              address="fd00::1") == 2, "%r" % top)
    check("top destination fd00::2 tcp/443 with 2",
          sample(s, "netstack_conntrack_top_destination_entries", family="ipv6", protocol="tcp",
              address="fd00::2", port="443") == 2)

    fields = sorted(next(iter(before.values())).keys())
    check("conntrack -S stable around the scrape", before == after and before_exp == after_exp)
    check("per-CPU counters == conntrack -S", scraped_cpu_stats(s, fields) == before,
          "\n got %r\nwant %r" % (scraped_cpu_stats(s, fields), before))
    # 6.x counts ctnetlink insertions (the 14 conntrack -I) in "insert", not
    # the packet path's confirmations; older kernels counted both.
    check("insert counted the conntrack -I entries",
          sum(c["insert"] for c in before.values()) in (14, 34), "%r" % before)
    exp_fields = sorted(next(iter(before_exp.values())).keys())
    check("expectation counters == conntrack -S expect",
          scraped_cpu_stats(s, exp_fields) == before_exp,
          "got %r want %r" % (scraped_cpu_stats(s, exp_fields), before_exp))

    s2 = once(exporter, "per-cpu=false")
    check("per-cpu=false sums over CPUs",
          sample(s2, "netstack_conntrack_insert_total") == sum(c["insert"] for c in before.values())
          and not [k for k in s2 if k[0] == "netstack_conntrack_insert_total" and k[1]])
    s2 = once(exporter, "breakdown=false")
    check("breakdown=false: no dump", not series(s2, "netstack_conntrack_breakdown_runs_total")
          and not series(s2, "netstack_conntrack_table_entries"))

    # Fallback without CAP_NET_ADMIN: same numbers from /proc.
    s3 = once(exporter, drop_cap=True)
    after2 = conntrack_S()
    check("no CAP_NET_ADMIN: source procfs",
          sample(s3, "netstack_conntrack_source_info", source="procfs") == 1)
    check("no CAP_NET_ADMIN: entries 34", sample(s3, "netstack_conntrack_entries") == 34)
    check("no CAP_NET_ADMIN: limit", sample(s3, "netstack_conntrack_entries_limit") ==
          int(open(MAX_PATH).read()))
    if os.path.exists("/proc/net/stat/nf_conntrack"):
        check("no CAP_NET_ADMIN: per-CPU counters == conntrack -S",
              scraped_cpu_stats(s3, fields) == after2,
              "\n got %r\nwant %r" % (scraped_cpu_stats(s3, fields), after2))
    else:
        print("note: no /proc/net/stat/nf_conntrack on this kernel: count and limit only")
    check("no CAP_NET_ADMIN: no breakdown",
          not series(s3, "netstack_conntrack_breakdown_scanned_entries"))
    return count


def test_breakdown_cap_and_interval(exporter, count):
    s = once(exporter, "breakdown-max-entries=10")
    check("cap 10: scanned 10", sample(s, "netstack_conntrack_breakdown_scanned_entries") == 10)
    check("cap 10: truncated", sample(s, "netstack_conntrack_breakdown_truncated") == 1)
    check("cap 10: partial table sums to 10",
          sum(series(s, "netstack_conntrack_table_entries").values()) == 10)
    s = once(exporter, "breakdown-max-entries=%d" % count)
    check("cap == entries: complete", sample(s, "netstack_conntrack_breakdown_truncated") == 0
          and sample(s, "netstack_conntrack_breakdown_scanned_entries") == count)

    for interval, want_runs in (("60", 1), ("0", 3)):
        port = PORT + (0 if interval == "60" else 1)
        args = ["ip", "netns", "exec", NS, exporter, "--collector.disable-defaults",
                "--collector.conntrack", "--web.listen-address=127.0.0.1:%d" % port,
                "--collector.conntrack.breakdown-interval=" + interval]
        d = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            got = None
            for _ in range(50):  # wait for the listener, at most 5 s
                try:
                    got = [scrape_http(port)]
                    break
                except RuntimeError:
                    time.sleep(0.1)
            if got is None:
                raise RuntimeError("daemon did not answer on port %d" % port)
            for _ in range(2):
                time.sleep(0.05)
                got.append(scrape_http(port))
            runs = [sample(g, "netstack_conntrack_breakdown_runs_total") for g in got]
            ts = {sample(g, "netstack_conntrack_breakdown_timestamp_seconds") for g in got}
            check("interval %s s: %d dump(s) in 3 scrapes" % (interval, want_runs),
                  runs[-1] == want_runs, "runs %r" % runs)
            check("interval %s s: %d distinct timestamp(s)" % (interval, want_runs),
                  len(ts) == want_runs, "%r" % ts)
            check("interval %s s: entries read every scrape" % interval,
                  all(sample(g, "netstack_conntrack_entries") is not None for g in got))
        finally:
            d.terminate()
            d.wait(timeout=10)


def test_table_full(exporter):
    limit, flows = 200, 300
    saved = open(MAX_PATH).read().strip()
    # Our namespace's table must be empty for exact arithmetic.
    nsx("conntrack", "-F", check_rc=False)
    try:
        with open(MAX_PATH, "w") as f:
            f.write(str(limit))
        before = conntrack_S()
        sent, refused = send_udp(flows, 30000)
        after = conntrack_S()
        s = once(exporter, "breakdown=false")
    finally:
        with open(MAX_PATH, "w") as f:
            f.write(saved)
    check("global nf_conntrack_max restored", open(MAX_PATH).read().strip() == saved)

    def total(st, f):
        return sum(c[f] for c in st.values())

    dropped = total(after, "drop") - total(before, "drop")
    early = total(after, "early_drop") - total(before, "early_drop")
    print("table full: sent %d refused %d, drop +%d early_drop +%d" % (sent, refused, dropped,
                                                                       early))
    check("entries reached the limit", sample(s, "netstack_conntrack_entries") == limit,
          "%r" % sample(s, "netstack_conntrack_entries"))
    check("entries_limit is the lowered value",
          sample(s, "netstack_conntrack_entries_limit") == limit)
    check("drop + early_drop rose by the flows that did not fit",
          dropped + early == flows - limit, "drop %d early_drop %d" % (dropped, early))
    scraped = scraped_cpu_stats(s, ["drop", "early_drop", "insert"])
    want = {cpu: {k: v[k] for k in ("drop", "early_drop", "insert")} for cpu, v in after.items()}
    check("drop/early_drop/insert == conntrack -S", scraped == want,
          "got %r want %r" % (scraped, want))


def main():
    exporter = exporter_as_root("network namespaces, nftables, nf_conntrack_max",
                                ("ip", "nft", "conntrack", "capsh"))
    if not os.path.exists(MAX_PATH):
        skip_all("nf_conntrack is not available on this kernel")
    add_netns(NS)
    try:
        enable_conntrack(NS, "ct_test")
        count = test_exact_table(exporter)
        test_breakdown_cap_and_interval(exporter, count)
        test_table_full(exporter)
    finally:
        del_netns(NS)
    sys.exit(nstest.summary())


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
tc filters (qdisc collector) against `tc -s filter show`, in a fresh namespace.

Usage: test_qdisc_filters.py <path-to-netstack_exporter>

Namespace deep13-tcf-<pid> gets a veth pair: on one end an htb root (1:)
with classes 1:10 and 1:20, two u32 filters on 1:, one on 1:10 and none on
1:20, and a clsact with two u32 filters on ingress (pref 1) and one on
egress (pref 3); on the other end an ingress qdisc with one u32 filter.
Traffic is sent across the pair. Checks, with tc read just before and just
after one `--once` scrape:

  * netstack_qdisc_filters{device,parent,kind="u32"} == the u32 key nodes
    `tc filter show dev D parent P` (or ingress/egress) lists, for every
    attach point, and no series where tc lists none (1:20, noqueue);
  * u32 lookups/hits series exist exactly when tc prints "(rule hit N
    success M)" (CONFIG_CLS_U32_PERF), and then equal them;
  * filter-max=1: one filter tracked, untracked == the others;
    filters=false: no filter family at all;
  * a u32 filter of the same priority on both sides of the clsact, which
    the kernel (and tc) lists under both, is counted once in all.

Action statistics (police, gact) cannot be made here (no act_* modules):
tests/unit/test_qdisc_filters.c covers them with built messages.

Exit status: 0 passed, 1 failed, 77 skipped (not root, no tc/u32).
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import (  # noqa: E402
    check, skip_all, exporter_as_root, run, parse_exposition, series, add_netns,
    del_netns)

NS = "deep13-tcf-%d" % os.getpid()
A, B = "d13fa", "d13fb"



def tc(*args, check_rc=True):
    return run(["tc", "-n", NS] + list(args), check_rc=check_rc)




def once(exporter, *opts):
    p = run(["ip", "netns", "exec", NS, exporter, "--collector.disable-defaults",
             "--collector.qdisc", "--once"] + ["--collector.qdisc.%s" % o for o in opts])
    return parse_exposition(p.stdout)


# (device, exporter parent label, tc selector)
POINTS = [(A, "1:", ["parent", "1:"]), (A, "1:10", ["parent", "1:10"]),
          (A, "1:20", ["parent", "1:20"]), (A, "ingress", ["ingress"]),
          (A, "egress", ["egress"]), (B, "ingress", ["ingress"])]


def tc_filters(dev, sel):
    """{(pref, handle): (rule_hit, success) or None} of the u32 key nodes tc lists."""
    out = {}
    text = tc("-s", "filter", "show", "dev", dev, *sel).stdout
    cur = None
    for line in text.splitlines():
        m = re.match(r"filter .*pref (\d+) u32 .*fh ([0-9a-f]*:[0-9a-f]*:[0-9a-f]+) ", line + " ")
        if m:
            cur = (m.group(1), m.group(2))
            out[cur] = None
            continue
        h = re.search(r"\(rule hit (\d+) success (\d+)\)", line)
        if h and cur:
            out[cur] = (int(h.group(1)), int(h.group(2)))
    return out


def snapshot():
    return {(dev, label): tc_filters(dev, sel) for dev, label, sel in POINTS}


def main():
    exporter = exporter_as_root("network namespaces, tc", ("tc",))
    add_netns(NS)
    try:
        run(["ip", "-n", NS, "link", "add", A, "type", "veth", "peer", "name", B])
        run(["ip", "-n", NS, "addr", "add", "10.213.9.1/24", "dev", A])
        for d in (A, B):
            run(["ip", "-n", NS, "link", "set", d, "up"])
        tc("qdisc", "add", "dev", A, "root", "handle", "1:", "htb", "default", "20")
        for c in ("1:10", "1:20"):
            tc("class", "add", "dev", A, "parent", "1:", "classid", c, "htb", "rate", "100mbit")
        p = tc("filter", "add", "dev", A, "parent", "1:", "protocol", "ip", "prio", "1", "u32",
               "match", "ip", "dst", "10.213.9.2/32", "flowid", "1:10", check_rc=False)
        if p.returncode != 0:
            skip_all("no u32 classifier: %s" % p.stderr.strip())
        tc("filter", "add", "dev", A, "parent", "1:", "protocol", "ip", "prio", "2", "u32",
           "match", "ip", "protocol", "17", "0xff", "flowid", "1:20")
        tc("filter", "add", "dev", A, "parent", "1:10", "protocol", "ip", "prio", "5", "u32",
           "match", "ip", "protocol", "1", "0xff")
        tc("qdisc", "add", "dev", A, "clsact")
        for _ in range(2):
            tc("filter", "add", "dev", A, "ingress", "protocol", "all", "prio", "1", "u32",
               "match", "u32", "0", "0")
        tc("filter", "add", "dev", A, "egress", "protocol", "all", "prio", "3", "u32",
           "match", "u32", "0", "0")
        tc("qdisc", "add", "dev", B, "ingress")
        tc("filter", "add", "dev", B, "ingress", "protocol", "all", "prio", "7", "u32",
           "match", "u32", "0", "0")
        # Traffic through every filter: neighbour discovery and UDP to the peer.
        run(["ip", "-n", NS, "addr", "add", "10.213.9.2/24", "dev", B])
        code = ("import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                "for i in range(20): s.sendto(b'x',('10.213.9.2',9))\n")
        run(["ip", "netns", "exec", NS, "/usr/bin/python3", "-c", code], check_rc=False)

        before = snapshot()
        s = once(exporter)
        after = snapshot()
        check("tc filter show unchanged across the scrape", before == after)
        got = {(dict(k)["device"], dict(k)["parent"], dict(k)["kind"]): int(v)
               for k, v in series(s, "netstack_qdisc_filters").items()}
        want_total = 0
        for dev, label, sel in POINTS:
            n = len(before[(dev, label)])
            want_total += n
            g = got.get((dev, label, "u32"))
            if n:
                check("%s %s: filters == tc (%d)" % (dev, label, n), g == n, "got %r" % g)
            else:
                check("%s %s: no series (tc lists none)" % (dev, label), g is None,
                      "got %r" % g)
        check("expected shape: 2 on 1:, 1 on 1:10, 2 ingress, 1 egress, 1 on the peer",
              [len(before[(d, l)]) for d, l, _ in POINTS] == [2, 1, 0, 2, 1, 1],
              "%r" % before)
        check("no other series", set(got) == {(d, l, "u32") for d, l, _ in POINTS
                                              if before[(d, l)]}, "%r" % got)
        check("untracked 0", s.get(("netstack_qdisc_filters_untracked", frozenset())) == 0)

        perf = [v for pt in before.values() for v in pt.values() if v is not None]
        looks = series(s, "netstack_qdisc_filter_u32_lookups_total")
        hits = series(s, "netstack_qdisc_filter_u32_hits_total")
        if not perf:
            check("tc prints no rule hits (no CONFIG_CLS_U32_PERF): no u32 hit series",
                  not looks and not hits, "%r" % looks)
        else:
            for (dev, label), pt in before.items():
                for (pref, handle), v in pt.items():
                    lab = frozenset({"device": dev, "parent": label, "pref": pref,
                                     "handle": handle}.items())
                    check("%s %s %s lookups/hits == tc rule hit/success %r" %
                          (dev, label, handle, v),
                          (looks.get(lab), hits.get(lab)) == v, "got %r %r" %
                          (looks.get(lab), hits.get(lab)))

        s = once(exporter, "filter-max=1")
        check("filter-max=1: untracked == %d" % (want_total - 1),
              s.get(("netstack_qdisc_filters_untracked", frozenset())) == want_total - 1)
        check("filter-max=1: counts unchanged",
              sum(series(s, "netstack_qdisc_filters").values()) == want_total)
        s = once(exporter, "filters=false")
        check("filters=false: no filter families",
              not any(k[0].startswith("netstack_qdisc_filter") for k in s))

        # Same priority on both clsact sides: listed twice by tc, counted once.
        tc("filter", "add", "dev", A, "egress", "protocol", "all", "prio", "1", "u32",
           "match", "u32", "0", "0")
        ing, eg = tc_filters(A, ["ingress"]), tc_filters(A, ["egress"])
        s = once(exporter)
        got = {dict(k)["parent"]: int(v) for k, v in series(s, "netstack_qdisc_filters").items()
               if dict(k)["device"] == A}
        check("same pref on both sides: tc lists the shared filters under both",
              len(set(ing) & set(eg)) == 3, "ingress %r egress %r" % (ing, eg))
        check("same pref on both sides: ingress + egress == distinct filters (4)",
              got.get("ingress", 0) + got.get("egress", 0) == len(set(ing) | set(eg)) == 4,
              "%r" % got)
    finally:
        del_netns(NS)
    sys.exit(nstest.summary())


if __name__ == "__main__":
    main()

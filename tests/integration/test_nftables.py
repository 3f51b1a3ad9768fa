#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
The nftables collector against `nft -j list ruleset`, in a fresh network namespace.

Usage: test_nftables.py <path-to-netstack_exporter>

In namespace nsnft-<pid> (loopback only): a table with commented counter
rules, a rule without comment, a named counter, a quota fed by traffic, a
set declared `size 100` filled with 90 addresses, a dynamic set (size 1000)
filled from the packet path, and a base chain created with counters (as
iptables-nft does; nft cannot), whose policy sees every input packet.
A bounded burst of UDP datagrams to loopback moves the counters; then
`nft -j list ruleset` is read just before and just after the daemon's
--once scrape and every value must equal both. Then:
  - a ruleset change moves netstack_nftables_ruleset_generation, and no
    change keeps it;
  - 5,000 more counter rules with rule-series-max=1000 give exactly 1,000
    rule series and the overflow gauge says how many were left out;
  - without CAP_NET_ADMIN the collector fails and says why.
Exit 0 pass, 1 fail, 77 skip. The namespace is always deleted.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import nstest  # noqa: E402
from nstest import check, skip_all  # noqa: E402

NS = "nsnft-%d" % os.getpid()
RECORD = os.path.join(HERE, "..", "fixtures", "nftables", "record.py")
PAYLOAD = {40001: 100, 40002: 200, 40003: 1000, 40004: 10, 40005: 50}
COUNT = {40001: 5, 40002: 3, 40003: 4, 40004: 7, 40005: 2}

RULESET = """
table inet t {
  counter cnamed { }
  quota q1 { over 100000 bytes }
  set blk { type ipv4_addr; size 100; }
  set dyn { type ipv4_addr . inet_service; flags dynamic; size 1000; }
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport 40001 counter comment "udp 40001"
    udp dport 40002 counter name cnamed
    udp dport 40003 quota name q1 counter comment "quota port"
    ip saddr @blk counter drop comment "blocked"
    udp dport 40004 add @dyn { ip saddr . udp sport } counter comment "dyn feed"
    udp dport 40005 counter
  }
}
"""

# Sends the datagrams from inside the namespace: COUNT[port] datagrams of
# PAYLOAD[port] bytes, each from its own source port, to bound receivers
# (so that no ICMP port unreachable comes back to the input hook).
SENDER = r"""
import socket, sys, json
payload, count = json.loads(sys.argv[1]), json.loads(sys.argv[2])
rx = []
for port in count:
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(("127.0.0.1", int(port)))
    rx.append(r)
for port, n in count.items():
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"x" * payload[port], ("127.0.0.1", int(port)))
        s.close()
"""


def run(cmd, check_rc=True, timeout=60, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check_rc and p.returncode != 0:
        raise RuntimeError("%s: %s%s" % (" ".join(cmd), p.stdout, p.stderr))
    return p


def nsx(*cmd, **kw):
    return run(["ip", "netns", "exec", NS] + list(cmd), **kw)


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


def get(series, metric, /, **labels):
    return series.get((metric, frozenset(labels.items())))


def nft_json():
    return json.loads(nsx("nft", "-j", "list", "ruleset").stdout)["nftables"]


def scrape(exporter, *extra, ok=True):
    p = nsx(exporter, "--once", "--collector.disable-defaults", "--collector.nftables",
            *extra, check_rc=ok)
    return p


def expected_from(js):
    """The collector's series as nft -j shows them: {(name, labels): value}."""
    exp = {}
    fam = {}
    for x in js:
        if "rule" in x:
            r = x["rule"]
            ctr = [e["counter"] for e in r["expr"]
                   if "counter" in e and isinstance(e["counter"], dict)]
            if not ctr:
                continue
            lab = {"family": r["family"], "table": r["table"], "chain": r["chain"],
                   "rule": r.get("comment") or "handle:%d" % r["handle"]}
            exp[("netstack_nftables_rule_packets_total", frozenset(lab.items()))] = \
                ctr[0]["packets"]
            exp[("netstack_nftables_rule_bytes_total", frozenset(lab.items()))] = \
                ctr[0]["bytes"]
        elif "counter" in x:
            c = x["counter"]
            lab = frozenset({"family": c["family"], "table": c["table"],
                             "name": c["name"]}.items())
            exp[("netstack_nftables_counter_packets_total", lab)] = c["packets"]
            exp[("netstack_nftables_counter_bytes_total", lab)] = c["bytes"]
        elif "quota" in x:
            q = x["quota"]
            lab = frozenset({"family": q["family"], "table": q["table"],
                             "name": q["name"]}.items())
            exp[("netstack_nftables_quota_used_bytes", lab)] = q["used"]
            exp[("netstack_nftables_quota_limit_bytes", lab)] = q["bytes"]
        elif "set" in x:
            s = x["set"]
            lab = frozenset({"family": s["family"], "table": s["table"],
                             "set": s["name"]}.items())
            exp[("netstack_nftables_set_elements", lab)] = len(s.get("elem", []))
            if "size" in s:
                exp[("netstack_nftables_set_max_elements", lab)] = s["size"]
        elif "chain" in x:
            fam.setdefault((x["chain"]["family"], x["chain"]["table"]), 0)
            fam[(x["chain"]["family"], x["chain"]["table"])] += 1
    for (f, t), n in fam.items():
        exp[("netstack_nftables_table_chains",
             frozenset({"family": f, "table": t}.items()))] = n
    return exp


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    exporter = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        skip_all("needs root (network namespaces, nf_tables)")
    if not shutil.which("nft"):
        skip_all("nft not installed (scripts/deps.sh --test)")
    try:
        run(["ip", "netns", "add", NS])
    except RuntimeError as exc:
        skip_all("cannot create a network namespace: %s" % exc)
    try:
        nsx("ip", "link", "set", "lo", "up")
        nsx("nft", "-f", "-", input=RULESET)
        nsx("nft", "add element inet t blk { %s }" %
            ", ".join("10.9.0.%d" % i for i in range(1, 91)))
        # a base chain with NFTA_CHAIN_COUNTERS: every input packet reaches its policy
        nsx(sys.executable, "-c",
            "import sys; sys.path.insert(0, %r); import record; "
            "record.add_counted_base_chain(record.NL(), 1, 't', 'pol', 1, 10, 1)"
            % os.path.dirname(RECORD))
        nsx(sys.executable, "-c", SENDER, json.dumps({str(k): v for k, v in PAYLOAD.items()}),
            json.dumps({str(k): v for k, v in COUNT.items()}))

        before = nft_json()
        p = scrape(exporter)
        after = nft_json()
        series = parse(p.stdout)
        check("scrape succeeded", get(series, "netstack_scrape_collector_success",
                                      collector="nftables") == 1, p.stderr)
        exp_b, exp_a = expected_from(before), expected_from(after)
        check("nft -j unchanged around the scrape (nothing moved)", exp_b == exp_a)
        check("nft -j shows what the test built: 5 counter rules, 2 sets, a counter, a quota",
              sum(1 for k in exp_b if k[0] == "netstack_nftables_rule_packets_total") == 5 and
              sum(1 for k in exp_b if k[0] == "netstack_nftables_set_elements") == 2, exp_b)
        bad = ["%s%s: exporter %s, nft %s" % (k[0], dict(k[1]), series.get(k), v)
               for k, v in exp_b.items() if series.get(k) != v]
        check("every series equals nft -j list ruleset (%d values)" % len(exp_b), not bad,
              "; ".join(bad))
        own = {k for k in series if k[0] in ("netstack_nftables_rule_packets_total",
                                             "netstack_nftables_set_elements")}
        check("no rule or set series beyond what nft shows",
              own <= set(exp_b), own - set(exp_b))
        # the values themselves, from the traffic sent
        lab = dict(family="inet", table="t", chain="input")
        check("rule 'udp 40001' counted the 5 datagrams",
              get(series, "netstack_nftables_rule_packets_total", rule="udp 40001", **lab) == 5)
        check("rule without comment labelled by its handle",
              any(k[0] == "netstack_nftables_rule_packets_total" and
                  dict(k[1]).get("rule", "").startswith("handle:") and v == 2
                  for k, v in series.items()))
        check("named counter counted the 3 datagrams",
              get(series, "netstack_nftables_counter_packets_total", family="inet", table="t",
                  name="cnamed") == 3)
        check("quota used = 4 datagrams of 1028 IP bytes",
              get(series, "netstack_nftables_quota_used_bytes", family="inet", table="t",
                  name="q1") == 4 * 1028)
        sl = dict(family="inet", table="t")
        check("set of size 100 holds 90",
              get(series, "netstack_nftables_set_elements", set="blk", **sl) == 90 and
              get(series, "netstack_nftables_set_max_elements", set="blk", **sl) == 100)
        check("dynamic set filled from the packet path (7 source ports)",
              get(series, "netstack_nftables_set_elements", set="dyn", **sl) == 7 and
              get(series, "netstack_nftables_set_max_elements", set="dyn", **sl) == 1000)
        npk = sum(COUNT.values())
        nbytes = sum(COUNT[p] * (28 + PAYLOAD[p]) for p in COUNT)
        cl = dict(family="inet", table="t", chain="pol")
        check("policy counter of the counted base chain: every input packet (%d)" % npk,
              get(series, "netstack_nftables_chain_policy_packets_total", **cl) == npk and
              get(series, "netstack_nftables_chain_policy_bytes_total", **cl) == nbytes,
              (get(series, "netstack_nftables_chain_policy_packets_total", **cl),
               get(series, "netstack_nftables_chain_policy_bytes_total", **cl), npk, nbytes))
        check("base chain info", get(series, "netstack_nftables_base_chain_info", family="inet",
                                     table="t", chain="input", type="filter", hook="input",
                                     priority="0", policy="accept") == 1)
        check("rules per chain", get(series, "netstack_nftables_chain_rules", **lab) == 6)

        # generation: unchanged without a change, moved by one
        g1 = get(series, "netstack_nftables_ruleset_generation")
        g2 = get(parse(scrape(exporter).stdout), "netstack_nftables_ruleset_generation")
        nsx("nft", "add rule inet t input udp dport 40009 counter")
        g3 = get(parse(scrape(exporter).stdout), "netstack_nftables_ruleset_generation")
        check("generation stays without a change and moves with one (%s, %s, %s)" %
              (g1, g2, g3), g1 is not None and g1 == g2 and g3 != g2)

        # 5,000 rules, cap 1,000
        rules = "\n".join("add rule inet big c udp dport %d counter comment \"r%d\"" %
                          (10000 + i, i) for i in range(5000))
        nsx("nft", "-f", "-", input="add table inet big\nadd chain inet big c\n" + rules)
        js = nft_json()
        total = sum(1 for x in js if "rule" in x and any(
            "counter" in e and isinstance(e["counter"], dict) for e in x["rule"]["expr"]))
        s = parse(scrape(exporter, "--collector.nftables.rule-series-max=1000").stdout)
        n = sum(1 for k in s if k[0] == "netstack_nftables_rule_packets_total")
        nb = sum(1 for k in s if k[0] == "netstack_nftables_rule_bytes_total")
        check("rule-series-max=1000: 1000 rule series, not more (%d, %d)" % (n, nb),
              n == 1000 and nb == 1000)
        check("overflow = counter rules in nft -j - 1000 (%d)" % (total - 1000),
              get(s, "netstack_nftables_rule_series_overflow") == total - 1000,
              get(s, "netstack_nftables_rule_series_overflow"))
        check("rules per chain beyond the cap still counted",
              get(s, "netstack_nftables_chain_rules", family="inet", table="big",
                  chain="c") == 5000)

        # without CAP_NET_ADMIN
        if shutil.which("setpriv"):
            p = nsx("setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin",
                    exporter, "--once", "--collector.disable-defaults", "--collector.nftables",
                    check_rc=False)
            s = parse(p.stdout)
            check("without CAP_NET_ADMIN: success 0 and the reason logged",
                  get(s, "netstack_scrape_collector_success", collector="nftables") == 0 and
                  "CAP_NET_ADMIN" in p.stderr, p.stderr)
        else:
            nstest.skip("setpriv not installed: the CAP_NET_ADMIN check")
    finally:
        run(["ip", "netns", "del", NS], check_rc=False)
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""The rules against the real daemon's output on this host.

Usage: live_check.py EXPORTER [REPO_ROOT]

Runs `EXPORTER --once`, turns every sample of the metric families the rules
use into a constant promtool input series (instance="live:9868",
job="netstack"), and checks with `promtool test rules` that the joins of the
rules work on the real label sets: the values and label sets the recording
rules and some alert expressions must give are computed here, independently,
from the scrape. Checks whose inputs this host lacks (no conntrack, no
listener, no physical device) are left out and named. Exit 77 (skip) when the
daemon cannot run here.
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_rules  # noqa: E402

INST = {"instance": "live:9868", "job": "netstack"}
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
FIFO = {"pfifo_fast", "pfifo", "bfifo", "pfifo_head_drop"}


def parse(text):
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            continue
        labels = dict(LABEL.findall(m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def sel(name, labels):
    lab = dict(labels)
    lab.update(INST)
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(lab.items())) + "}"


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    exporter = sys.argv[1]
    root = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else
                           os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    try:
        r = subprocess.run([exporter, "--once"], capture_output=True, text=True, timeout=60)
    except OSError as e:
        print(f"SKIP: cannot run {exporter}: {e}")
        return 77
    if not r.stdout:
        print(f"SKIP: {exporter} --once printed nothing (exit {r.returncode}): {r.stderr.strip()[:200]}")
        return 77
    samples = parse(r.stdout)

    # Only the families the rules read.
    used = set()
    for f in ("config/prometheus/netstack-rules.yml", "config/prometheus/netstack-alerts.yml",
              "config/prometheus/netstack-tuning.yml"):
        for g in yaml.safe_load(open(os.path.join(root, f)))["groups"]:
            for rule in g["rules"]:
                used |= check_rules.promql_metric_names(rule["expr"])
    samples = [s for s in samples if s[0] in used]

    def get(metric, **match):
        return [(lab, v) for n, lab, v in samples
                if n == metric and all(lab.get(k) == val for k, val in match.items())]

    def one(metric, **match):
        found = get(metric, **match)
        return found[0][1] if len(found) == 1 else None

    tests, skipped = [], []

    def expect(what, expr, exp):
        tests.append({"expr": expr, "eval_time": "10m", "exp_samples": exp})
        print(f"check    {what}: {len(exp)} series")

    # Port range size from the two sysctl samples.
    lo = one("netstack_sysctl_net_ipv4_ip_local_port_range", index="0")
    hi = one("netstack_sysctl_net_ipv4_ip_local_port_range", index="1")
    if lo is not None and hi is not None:
        expect("port range size", "instance:netstack_ip_local_port_range:size",
               [{"labels": sel("instance:netstack_ip_local_port_range:size", {}), "value": hi - lo + 1}])
    else:
        skipped.append("port range size (no ip_local_port_range)")

    # TCP memory against tcp_mem[1] and tcp_mem[2].
    mem = one("netstack_sockstat_tcp_mem")
    for idx, rec in (("1", "instance:netstack_tcp_memory_pressure_threshold:ratio"),
                     ("2", "instance:netstack_tcp_memory_limit:ratio")):
        lim = one("netstack_sysctl_net_ipv4_tcp_mem", index=idx)
        if mem is not None and lim:
            expect(f"tcp memory / tcp_mem[{idx}]", rec, [{"labels": sel(rec, {}), "value": mem / lim}])
        else:
            skipped.append(f"tcp memory / tcp_mem[{idx}]")

    # Conntrack usage.
    ent, lim = one("netstack_conntrack_entries"), one("netstack_conntrack_entries_limit")
    if ent is not None and lim:
        rec = "instance:netstack_conntrack_entries:ratio"
        expect("conntrack usage", rec, [{"labels": sel(rec, {}), "value": ent / lim}])
    else:
        skipped.append("conntrack usage (conntrack not loaded here)")

    # Listener accept queues, per (family, address, port).
    rec = "instance_listener:netstack_tcp_listener_queue:ratio"
    exp = []
    for lab, maxv in get("netstack_tcp_listener_queue_max"):
        ln = [v for l2, v in get("netstack_tcp_listener_queue_length") if l2 == lab]
        if maxv > 0 and ln:
            exp.append({"labels": sel(rec, lab), "value": ln[0] / maxv})
    if exp:
        expect("listener queue ratio", rec, exp)
    else:
        skipped.append("listener queue ratio (no listener)")

    # Ephemeral ports per destination against the range.
    size = one("netstack_tcp_ephemeral_port_range_size")
    rec = "instance_destination:netstack_tcp_ephemeral_ports:ratio"
    exp = [{"labels": sel(rec, lab), "value": v / size}
           for lab, v in get("netstack_tcp_ephemeral_ports_in_use")] if size else []
    if exp:
        expect("ephemeral ports ratio", rec, exp)
    else:
        skipped.append("ephemeral ports ratio (no outgoing connections)")

    # Physical Ethernet devices (kind "" and ARPHRD_ETHER) and their root qdiscs.
    physical = {lab["device"] for lab, _ in get("netstack_netdev_info", kind="")}
    ether = {lab["device"] for lab, v in get("netstack_netdev_protocol_type") if v == 1}
    roots = [lab for lab, _ in get("netstack_qdisc_root_info")]
    alerts = {rl["alert"]: rl for f in ("netstack-alerts.yml", "netstack-tuning.yml")
              for g in yaml.safe_load(open(os.path.join(root, "config/prometheus", f)))["groups"]
              for rl in g["rules"]}
    if roots and physical & ether:
        exp = [{"labels": sel("netstack_qdisc_root_info", lab), "value": 1}
               for lab in roots if lab["kind"] in FIFO and lab["device"] in physical & ether]
        expect("fair-queueing audit (NetstackQdiscNotFairQueueing expr)",
               alerts["NetstackQdiscNotFairQueueing"]["expr"], exp)
        bbr = get("netstack_sysctl_info", name="net.ipv4.tcp_congestion_control", value="bbr")
        exp = [{"labels": sel("netstack_qdisc_root_info", lab), "value": 1}
               for lab in roots if bbr and lab["kind"] != "fq" and lab["device"] in physical & ether]
        expect("bbr without fq (NetstackBBRWithoutFQ expr)", alerts["NetstackBBRWithoutFQ"]["expr"], exp)
    else:
        skipped.append("qdisc audits (no qdisc collector or no physical Ethernet device)")

    for s in skipped:
        print(f"skipped  {s}")
    if not tests:
        print("SKIP: nothing on this host to check")
        return 77

    series = [{"series": sel(n, lab), "values": f"{v!r}x15"} for n, lab, v in samples]
    with tempfile.TemporaryDirectory() as tmp:
        test = {
            "rule_files": [os.path.join(root, "config/prometheus/netstack-rules.yml"),
                           os.path.join(root, "config/prometheus/netstack-alerts.yml")],
            "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": tests}],
        }
        path = os.path.join(tmp, "live_test.yml")
        with open(path, "w") as fh:
            yaml.safe_dump(test, fh, width=1000)
        r = subprocess.run(["promtool", "test", "rules", path], capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout[-4000:], r.stderr[-2000:])
            print(f"FAIL: promtool test rules on the live scrape ({len(series)} series)")
            return 1
    print(f"live: {len(tests)} checks passed on {len(series)} real series")
    return 0


if __name__ == "__main__":
    sys.exit(main())

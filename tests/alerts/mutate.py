#!/usr/bin/python3
"""Mutation check of the promtool unit tests.

Each mutation below removes one guard or changes one threshold of the rules
(a plausible bug). The rule files are copied to a temporary tree with the
mutation applied, and the tests/alerts/*_test.yml files are run against them
with `promtool test rules` (the file expected to catch it first) until one
fails: if none fails, the tests do not pin that behaviour. A mutation whose
text is no longer in the rules is reported STALE (update this list with the
rules). Prints one line per mutation, exits 1 if any survived or is stale.

Usage: mutate.py [REPO_ROOT]
"""
import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import tempfile

A = "config/prometheus/netstack-alerts.yml"
R = "config/prometheus/netstack-rules.yml"
T = "config/prometheus/netstack-tuning.yml"

# (what it breaks, test file expected to catch it (tried first),
#  [(file, text to find, replacement, occurrences expected)])
MUTATIONS = [
    ("conntrack limit 0 guard", "conntrack",
     [(R, "/ on (instance, job, netns) (netstack_conntrack_entries_limit > 0)",
       "/ on (instance, job, netns) netstack_conntrack_entries_limit", 1)]),
    ("netns kept in the conntrack join (a pod's table vs the host's)", "conntrack",
     [(R, "/ on (instance, job, netns) (netstack_conntrack_entries_limit > 0)",
       "/ on (instance, job) group_left (netstack_conntrack_entries_limit > 0)", 1)]),
    ("netns kept in the conntrack drop sum", "conntrack",
     [(R, "sum by (instance, job, netns) (rate(netstack_conntrack_drop_total[5m]))",
       "sum by (instance, job) (rate(netstack_conntrack_drop_total[5m]))", 1)]),
    ("conntrack warning threshold", "conntrack",
     [(A, "instance:netstack_conntrack_entries:ratio > 0.75", "instance:netstack_conntrack_entries:ratio > 0.7", 1)]),
    ("forecast usage floor", "conntrack",
     [(A, "and on (instance, job, netns) (instance:netstack_conntrack_entries:ratio > 0.5)", "", 1)]),
    ("conntrack stats presence test", "conntrack",
     [(A, "unless on (instance, job, netns) netstack_conntrack_drop_total", "", 1)]),
    ("conntrack drops: early_drop added", "conntrack",
     [(R, "+ on (instance, job, netns)\n          sum by (instance, job, netns) (rate(netstack_conntrack_early_drop_total[5m]))",
       "* 1", 1)]),
    ("interface error packet floor", "interfaces",
     [(A, "+ instance_device:netstack_netdev_receive_errors:rate5m >= 10)",
       "+ instance_device:netstack_netdev_receive_errors:rate5m >= 0)", 1)]),
    ("interface drop packet floor", "interfaces",
     [(A, "+ instance_device:netstack_netdev_receive_dropped:rate5m >= 100)",
       "+ instance_device:netstack_netdev_receive_dropped:rate5m >= 0)", 1)]),
    ("interface drop ratio threshold", "interfaces",
     [(A, "+ instance_device:netstack_netdev_transmit_dropped:rate5m)\n              > 0.01",
       "+ instance_device:netstack_netdev_transmit_dropped:rate5m)\n              >= 0.01", 1)]),
    ("ring overflow: FIFO errors added", "interfaces",
     [(R, "+ rate(netstack_netdev_receive_fifo_errors_total[5m])", "* 1", 1)]),
    ("speed 0 guard (saturation)", "interfaces",
     [(R, "/ on (instance, job, netns, device) (netstack_netdev_speed_bytes > 0)",
       "/ on (instance, job, netns, device) netstack_netdev_speed_bytes", 2)]),
    ("speed 0 guard (degraded)", "interfaces",
     [(A, "(netstack_netdev_speed_bytes * 8 > 0)", "(netstack_netdev_speed_bytes * 8)", 1)]),
    ("link down: administrative state", "interfaces",
     [(A, "and on (instance, job, netns, device) netstack_netdev_up == 1\n", "\n", 1)]),
    ("link down: was up before", "interfaces",
     [(A, '\n          and on (instance, job, netns, device) max_over_time(netstack_netdev_oper_state{state="up"}[1d]) == 1',
       "", 1)]),
    ("half duplex: carrier", "interfaces",
     [(A, "and on (instance, job, netns, device) netstack_netdev_carrier == 1", "", 1)]),
    ("flapping threshold", "interfaces",
     [(A, "round(increase(netstack_netdev_carrier_changes_total[15m])) > 4",
       "round(increase(netstack_netdev_carrier_changes_total[15m])) >= 4", 1)]),
    ("qdisc drops: root only", "queueing_softnet",
     [(A, 'rate5m{parent="root"}', "rate5m", 5)]),
    ("qdisc drops: packet floor", "queueing_softnet",
     [(A, 'instance_qdisc:netstack_qdisc_drops:rate5m{parent="root"} >= 100)',
       'instance_qdisc:netstack_qdisc_drops:rate5m{parent="root"} >= 0)', 1)]),
    ("persistent backlog: minimum over the window", "queueing_softnet",
     [(A, "min_over_time(netstack_qdisc_queue_length", "max_over_time(netstack_qdisc_queue_length", 1)]),
    ("fair-queueing audit: physical devices only", "queueing_softnet",
     [(T, "netstack_netdev_info{kind=\"\"}\n          and on (instance, job, netns, device) netstack_netdev_protocol_type == 1\n        for: 1h",
       "netstack_netdev_protocol_type == 1\n        for: 1h", 1)]),
    ("bbr: fq exempt", "queueing_softnet",
     [(T, 'netstack_qdisc_root_info{kind!="fq"}', "netstack_qdisc_root_info", 1)]),
    ("bbr: only with bbr", "queueing_softnet",
     [(T, 'netstack_sysctl_info{name="net.ipv4.tcp_congestion_control", value="bbr"}',
       'netstack_sysctl_info{name="net.ipv4.tcp_congestion_control"}', 1)]),
    ("nftables set size 0 guard", "nftables",
     [(R, "(netstack_nftables_set_max_elements > 0)", "netstack_nftables_set_max_elements", 1)]),
    ("nftables set threshold", "nftables",
     [(A, "instance_set:netstack_nftables_set_elements:ratio > 0.9", "instance_set:netstack_nftables_set_elements:ratio > 0.4", 1)]),
    ("nftables drop policy only", "nftables",
     [(A, 'netstack_nftables_base_chain_info{policy="drop"}', "netstack_nftables_base_chain_info", 1)]),
    ("nftables policy spike baseline", "nftables",
     [(A, "> 3 * rate(netstack_nftables_chain_policy_packets_total", "> 0 * rate(netstack_nftables_chain_policy_packets_total", 1)]),
    ("nftables policy floor", "nftables",
     [(A, "instance_chain:netstack_nftables_chain_policy_packets:rate5m > 10\n", "instance_chain:netstack_nftables_chain_policy_packets:rate5m > 0\n", 1)]),
    ("softnet time squeeze threshold", "queueing_softnet",
     [(A, "instance:netstack_softnet_times_squeezed:rate5m > 10", "instance:netstack_softnet_times_squeezed:rate5m > 1", 1)]),
    ("listener max 0 guard", "tcp",
     [(R, "/ (netstack_tcp_listener_queue_max > 0)", "/ netstack_tcp_listener_queue_max", 1)]),
    ("listener queue threshold", "tcp",
     [(A, "instance_listener:netstack_tcp_listener_queue:ratio > 0.8", "instance_listener:netstack_tcp_listener_queue:ratio > 0.4", 1)]),
    ("port range 0 guard", "tcp",
     [(R, "(netstack_tcp_ephemeral_port_range_size > 0)", "(netstack_tcp_ephemeral_port_range_size)", 1)]),
    ("ephemeral critical threshold", "tcp",
     [(A, "instance_destination:netstack_tcp_ephemeral_ports:ratio > 0.95",
       "instance_destination:netstack_tcp_ephemeral_ports:ratio > 0.8", 1)]),
    ("tcp_mem 0 guard", "tcp",
     [(R, '(netstack_sysctl_net_ipv4_tcp_mem{index="1"} > 0)', '(netstack_sysctl_net_ipv4_tcp_mem{index="1"})', 1)]),
    ("tcp_mem: hard limit index", "tcp",
     [(R, 'netstack_sysctl_net_ipv4_tcp_mem{index="2"} > 0', 'netstack_sysctl_net_ipv4_tcp_mem{index="1"} > 0', 1)]),
    ("max_orphans 0 guard", "tcp",
     [(A, "/ on (instance, job, netns) (netstack_sysctl_net_ipv4_tcp_max_orphans > 0)",
       "/ on (instance, job, netns) netstack_sysctl_net_ipv4_tcp_max_orphans", 1)]),
    ("max_syn_backlog 0 guard", "tcp",
     [(A, "/ on (instance, job, netns) (netstack_sysctl_net_ipv4_tcp_max_syn_backlog > 0)",
       "/ on (instance, job, netns) netstack_sysctl_net_ipv4_tcp_max_syn_backlog", 1)]),
    ("syn_recv: both families summed", "tcp",
     [(R, 'sum by (instance, job, netns) (netstack_tcp_connections{state="syn_recv"})',
       'sum by (instance, job, netns) (netstack_tcp_connections{state="syn_recv",family="ipv4"})', 1)]),
    ("retransmit segment floor", "tcp",
     [(A, "and on (instance, job, netns) instance:netstack_tcp_out_segs:rate5m >= 100", "", 1)]),
    ("reset spike baseline", "tcp",
     [(A, "instance:netstack_tcp_out_rsts:rate5m > 3 * rate", "instance:netstack_tcp_out_rsts:rate5m > 0 * rate", 1)]),
    ("CLOSE_WAIT growth", "tcp",
     [(A, "deriv(instance:netstack_tcp_close_wait_connections:sum[30m]) > 0",
       "deriv(instance:netstack_tcp_close_wait_connections:sum[30m]) >= 0", 1)]),
    ("CLOSE_WAIT floor", "tcp",
     [(A, "instance:netstack_tcp_close_wait_connections:sum > 100", "instance:netstack_tcp_close_wait_connections:sum > 10", 1)]),
    ("UDP IPv4 + IPv6 kept apart before the sum", "udp_tuning_exporter",
     [(R, 'label_replace(rate(netstack_snmp_udp_rcvbuf_errors_total[5m]), "family", "ipv4", "instance", ".*")',
       "rate(netstack_snmp_udp_rcvbuf_errors_total[5m])", 1),
      (R, 'label_replace(rate(netstack_snmp_udp6_rcvbuf_errors_total[5m]), "family", "ipv6", "instance", ".*")',
       "rate(netstack_snmp_udp6_rcvbuf_errors_total[5m])", 1)]),
    ("UDP IPv6 counters optional (or, not +)", "udp_tuning_exporter",
     [(R, '"instance", ".*")\n            or\n            label_replace(rate(netstack_snmp_udp6_rcvbuf_errors_total',
       '"instance", ".*")\n            + ignoring (family)\n            label_replace(rate(netstack_snmp_udp6_rcvbuf_errors_total', 1)]),
    ("tw_reuse value", "udp_tuning_exporter",
     [(A, "netstack_sysctl_net_ipv4_tcp_tw_reuse != 1", "netstack_sysctl_net_ipv4_tcp_tw_reuse == 0", 1)]),
    ("port range size off by one", "udp_tuning_exporter",
     [(R, 'netstack_sysctl_net_ipv4_ip_local_port_range{index="0"}\n          + 1',
       'netstack_sysctl_net_ipv4_ip_local_port_range{index="0"}', 1)]),
    ("somaxconn needs overflows", "udp_tuning_exporter",
     [(A, "netstack_sysctl_net_core_somaxconn < 4096\n          and on (instance, job, netns) instance:netstack_tcp_listen_overflows:rate5m > 0",
       "netstack_sysctl_net_core_somaxconn < 4096", 1)]),
    ("rmem_max threshold", "udp_tuning_exporter",
     [(A, "netstack_sysctl_net_core_rmem_max < 16777216", "netstack_sysctl_net_core_rmem_max <= 16777216", 1)]),
    ("conntrack timeout 0 guard", "udp_tuning_exporter",
     [(T, "(netstack_sysctl_net_netfilter_nf_conntrack_tcp_timeout_established > 0)",
       "netstack_sysctl_net_netfilter_nf_conntrack_tcp_timeout_established", 1)]),
    ("conntrack excluded from the generic collector alert", "udp_tuning_exporter",
     [(A, 'netstack_scrape_collector_success{collector!~"conntrack|nftables"} == 0',
       "netstack_scrape_collector_success == 0", 1)]),
    ("scrape time: sum of collectors", "udp_tuning_exporter",
     [(A, "sum by (instance, job, netns) (netstack_scrape_collector_duration_seconds) > 5",
       "max by (instance, job, netns) (netstack_scrape_collector_duration_seconds) > 5", 1)]),
    ("counter reset handled by rate (UDP socket closed)", "udp_tuning_exporter",
     [(A, "rate(netstack_udp_drops_total[5m]) > 0", "delta(netstack_udp_drops_total[5m]) != 0", 1)]),
    ("counter reset handled by increase (carrier)", "interfaces",
     [(A, "round(increase(netstack_netdev_carrier_changes_total[15m])) > 4",
       "abs(netstack_netdev_carrier_changes_total - netstack_netdev_carrier_changes_total offset 15m) > 4", 1)]),
    ("humanized percentage", "conntrack",
     [(A, "{{ $value | humanizePercentage }} of its limit of", "{{ $value }} of its limit of", 2)]),
]


def run_mutation(root, tests, mutation):
    """Returns (line to print, survived)."""
    what, hint, edits = mutation
    texts = {}
    for path, old, new, count in edits:
        text = texts.get(path) or open(os.path.join(root, path), encoding="utf-8").read()
        found = text.count(old)
        if found != count:
            return f"STALE    {what}: text to mutate found {found} times in {path}, expected {count}", True
        texts[path] = text.replace(old, new)
    order = sorted(tests, key=lambda t: os.path.basename(t) != hint + "_test.yml")
    with tempfile.TemporaryDirectory() as tmp:
        for f in (A, R, T):
            os.makedirs(os.path.join(tmp, os.path.dirname(f)), exist_ok=True)
            if f in texts:
                with open(os.path.join(tmp, f), "w", encoding="utf-8") as fh:
                    fh.write(texts[f])
            else:
                shutil.copy(os.path.join(root, f), os.path.join(tmp, f))
        os.makedirs(os.path.join(tmp, "tests/alerts"))
        for t in order:
            dst = os.path.join(tmp, "tests/alerts", os.path.basename(t))
            shutil.copy(t, dst)
            r = subprocess.run(["promtool", "test", "rules", dst], capture_output=True, text=True)
            if r.returncode != 0:
                return f"caught   {what} ({os.path.basename(t)})", False
    return f"SURVIVED {what}", True


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    tests = sorted(glob.glob(os.path.join(root, "tests/alerts/*_test.yml")))
    jobs = max(1, min(4, os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda m: run_mutation(root, tests, m), MUTATIONS))
    survived = 0
    for line, bad in results:
        print(line)
        survived += bad
    print(f"mutations: {len(MUTATIONS) - survived} of {len(MUTATIONS)} caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())

// Tuning advice, opt-in (config/prometheus/netstack-tuning.yml): settings
// that are worth a look but no fault by themselves, true on many healthy
// hosts (a stock Debian VM has pfifo_fast on eth0, and BBR paces by itself
// since Linux 4.13). Severity info; route it to a report, not a pager.
// With _config.tuningAlerts true, these groups are part of prometheusAlerts.
local u = import 'lib/utils.libsonnet';
{
  local c = $._config,
  prometheusTuningAlerts+:: {
    groups+: [
    {
      name: "netstack-tuning-advice",
      rules: [
        u.alert(c, "NetstackQdiscNotFairQueueing",
                |||
                  netstack_qdisc_root_info{%(sel)s,kind=~"pfifo_fast|pfifo|bfifo|pfifo_head_drop"}
                  and on (%(inst)s, device) netstack_netdev_info{%(sel)s,kind=""}
                  and on (%(inst)s, device) netstack_netdev_protocol_type{%(sel)s} == 1
                |||,
                "{{ $labels.device }} on {{ $labels.instance }} uses {{ $labels.kind }}, not a fair-queueing qdisc",
                |||
                  The root qdisc of the physical device {{ $labels.device }} on
                  {{ $labels.instance }} is {{ $labels.kind }}, a plain FIFO: one bulk
                  flow can fill the queue and delay every other flow. fq_codel (or fq)
                  is the recommended default (net.core.default_qdisc).
                |||),
        u.alert(c, "NetstackBBRWithoutFQ",
                |||
                  netstack_qdisc_root_info{%(sel)s,kind!="fq"}
                  and on (%(inst)s, device) netstack_netdev_info{%(sel)s,kind=""}
                  and on (%(inst)s, device) netstack_netdev_protocol_type{%(sel)s} == 1
                  and on (%(inst)s) netstack_sysctl_info{%(sel)s,name="net.ipv4.tcp_congestion_control", value="bbr"}
                |||,
                "BBR without the fq qdisc on {{ $labels.device }} ({{ $labels.instance }})",
                |||
                  {{ $labels.instance }} uses the bbr congestion control but the root
                  qdisc of {{ $labels.device }} is {{ $labels.kind }}, not fq: BBR then
                  paces with TCP's internal timers, which costs more CPU than fq's
                  pacing.
                |||),
        u.alert(c, "NetstackLocalPortRangeNarrow",
                "instance:netstack_ip_local_port_range:size < %(threshold)s",
                "Only {{ printf \"%.0f\" $value }} local ports on {{ $labels.instance }}",
                |||
                  net.ipv4.ip_local_port_range of {{ $labels.instance }} holds
                  {{ printf "%.0f" $value }} ports (below 16384; the default 32768-60999 holds
                  28232): few concurrent connections per destination.
                |||),
        u.alert(c, "NetstackKeepaliveExceedsConntrackTimeout",
                |||
                  netstack_sysctl_net_ipv4_tcp_keepalive_time{%(sel)s}
                  >= on (%(inst)s) (netstack_sysctl_net_netfilter_nf_conntrack_tcp_timeout_established{%(sel)s} > 0)
                |||,
                "TCP keepalive slower than the conntrack timeout on {{ $labels.instance }}",
                |||
                  net.ipv4.tcp_keepalive_time of {{ $labels.instance }} is
                  {{ $value | humanizeDuration }}, not shorter than
                  net.netfilter.nf_conntrack_tcp_timeout_established
                  ({{ with printf "netstack_sysctl_net_netfilter_nf_conntrack_tcp_timeout_established{instance=%q,job=%q}" $labels.instance $labels.job | query }}{{ . | first | value | humanizeDuration }}{{ end }}):
                  idle connections are forgotten by conntrack before a keepalive
                  refreshes them.
                |||),
      ],
    },
    ],
  },
  prometheusAlerts+:: {
    groups+: if c.tuningAlerts then $.prometheusTuningAlerts.groups else [],
  },
}

// Recording rules. Names follow level:metric:operations, where the level
// lists the labels kept ("instance" = the target labels of the config).
// Guards built in here, so no consumer has to repeat them:
//   * every rate() is over 5m: a counter reset (daemon restart, device
//     re-created, 32-bit softnet/conntrack wrap) is handled by rate();
//   * a ratio's denominator is filtered with "> 0" first, so a limit, a
//     speed or a port range of 0 (or absent: speed unknown) yields no series
//     instead of +Inf or NaN.
local u = import 'lib/utils.libsonnet';
{
  local c = $._config,
  prometheusRules+:: {
    groups+: [
    {
      name: "netstack-netdev.rules",
      rules: [
        u.record(c, "instance_device:netstack_netdev_receive_bytes:rate5m", "rate(netstack_netdev_receive_bytes_total{%(sel)s}[5m])"),
        u.record(c, "instance_device:netstack_netdev_transmit_bytes:rate5m", "rate(netstack_netdev_transmit_bytes_total{%(sel)s}[5m])"),
        u.record(c, "instance_device:netstack_netdev_receive_packets:rate5m", "rate(netstack_netdev_receive_packets_total{%(sel)s}[5m])"),
        u.record(c, "instance_device:netstack_netdev_transmit_packets:rate5m", "rate(netstack_netdev_transmit_packets_total{%(sel)s}[5m])"),
        u.record(c, "instance_device:netstack_netdev_receive_errors:rate5m", "rate(netstack_netdev_receive_errors_total{%(sel)s}[5m])"),
        u.record(c, "instance_device:netstack_netdev_transmit_errors:rate5m", "rate(netstack_netdev_transmit_errors_total{%(sel)s}[5m])"),
        u.record(c, "instance_device:netstack_netdev_receive_dropped:rate5m", "rate(netstack_netdev_receive_dropped_total{%(sel)s}[5m])"),
        u.record(c, "instance_device:netstack_netdev_transmit_dropped:rate5m", "rate(netstack_netdev_transmit_dropped_total{%(sel)s}[5m])"),
        u.record(c, "instance_device:netstack_netdev_receive_ring_overflows:rate5m", |||
            rate(netstack_netdev_receive_missed_errors_total{%(sel)s}[5m])
            + rate(netstack_netdev_receive_fifo_errors_total{%(sel)s}[5m])
          |||),
        u.record(c, "instance_device:netstack_netdev_receive_utilisation:ratio", |||
            instance_device:netstack_netdev_receive_bytes:rate5m
            / on (%(inst)s, device) (netstack_netdev_speed_bytes{%(sel)s} > 0)
          |||),
        u.record(c, "instance_device:netstack_netdev_transmit_utilisation:ratio", |||
            instance_device:netstack_netdev_transmit_bytes:rate5m
            / on (%(inst)s, device) (netstack_netdev_speed_bytes{%(sel)s} > 0)
          |||),
      ],
    },
    {
      name: "netstack-qdisc.rules",
      rules: [
        u.record(c, "instance_qdisc:netstack_qdisc_packets:rate5m", "rate(netstack_qdisc_packets_total{%(sel)s}[5m])"),
        u.record(c, "instance_qdisc:netstack_qdisc_drops:rate5m", "rate(netstack_qdisc_drops_total{%(sel)s}[5m])"),
      ],
    },
    {
      name: "netstack-softnet.rules",
      rules: [
        u.record(c, "instance:netstack_softnet_processed:rate5m", "sum by (%(inst)s) (rate(netstack_softnet_processed_total{%(sel)s}[5m]))"),
        u.record(c, "instance:netstack_softnet_dropped:rate5m", "sum by (%(inst)s) (rate(netstack_softnet_dropped_total{%(sel)s}[5m]))"),
        u.record(c, "instance:netstack_softnet_times_squeezed:rate5m", "sum by (%(inst)s) (rate(netstack_softnet_times_squeezed_total{%(sel)s}[5m]))"),
      ],
    },
    {
      name: "netstack-conntrack.rules",
      rules: [
        u.record(c, "instance:netstack_conntrack_entries:ratio", |||
            netstack_conntrack_entries{%(sel)s}
            / on (%(inst)s) (netstack_conntrack_entries_limit{%(sel)s} > 0)
          |||),
        u.record(c, "instance:netstack_conntrack_drops:rate5m", |||
            sum by (%(inst)s) (rate(netstack_conntrack_drop_total{%(sel)s}[5m]))
            + on (%(inst)s)
            sum by (%(inst)s) (rate(netstack_conntrack_early_drop_total{%(sel)s}[5m]))
          |||),
        u.record(c, "instance:netstack_conntrack_insert_failed:rate5m", "sum by (%(inst)s) (rate(netstack_conntrack_insert_failed_total{%(sel)s}[5m]))"),
      ],
    },
    {
      name: "netstack-tcp.rules",
      rules: [
        u.record(c, "instance:netstack_tcp_out_segs:rate5m", "rate(netstack_snmp_tcp_out_segs_total{%(sel)s}[5m])"),
        u.record(c, "instance:netstack_tcp_retrans_segs:rate5m", "rate(netstack_snmp_tcp_retrans_segs_total{%(sel)s}[5m])"),
        u.record(c, "instance:netstack_tcp_retransmit:ratio_rate5m", |||
            instance:netstack_tcp_retrans_segs:rate5m
            / on (%(inst)s) (instance:netstack_tcp_out_segs:rate5m > 0)
          |||),
        u.record(c, "instance:netstack_tcp_out_rsts:rate5m", "rate(netstack_snmp_tcp_out_rsts_total{%(sel)s}[5m])"),
        u.record(c, "instance:netstack_tcp_listen_overflows:rate5m", "rate(netstack_snmp_tcpext_listen_overflows_total{%(sel)s}[5m])"),
        u.record(c, "instance_listener:netstack_tcp_listener_queue:ratio", |||
            netstack_tcp_listener_queue_length{%(sel)s}
            / (netstack_tcp_listener_queue_max{%(sel)s} > 0)
          |||),
        u.record(c, "instance_destination:netstack_tcp_ephemeral_ports:ratio", |||
            netstack_tcp_ephemeral_ports_in_use{%(sel)s}
            / on (%(inst)s) group_left ()
            (netstack_tcp_ephemeral_port_range_size{%(sel)s} > 0)
          |||),
        u.record(c, "instance:netstack_tcp_syn_recv_connections:sum", "sum by (%(inst)s) (netstack_tcp_connections{%(sel)s,state=\"syn_recv\"})"),
        u.record(c, "instance:netstack_tcp_close_wait_connections:sum", "sum by (%(inst)s) (netstack_tcp_connections{%(sel)s,state=\"close_wait\"})"),
        u.record(c, "instance:netstack_tcp_memory_pressure_threshold:ratio", |||
            netstack_sockstat_tcp_mem{%(sel)s}
            / on (%(inst)s) (netstack_sysctl_net_ipv4_tcp_mem{%(sel)s,index="1"} > 0)
          |||),
        u.record(c, "instance:netstack_tcp_memory_limit:ratio", |||
            netstack_sockstat_tcp_mem{%(sel)s}
            / on (%(inst)s) (netstack_sysctl_net_ipv4_tcp_mem{%(sel)s,index="2"} > 0)
          |||),
        u.record(c, "instance:netstack_ip_local_port_range:size", |||
            netstack_sysctl_net_ipv4_ip_local_port_range{%(sel)s,index="1"}
            - ignoring (index) netstack_sysctl_net_ipv4_ip_local_port_range{%(sel)s,index="0"}
            + 1
          |||),
      ],
    },
    {
      name: "netstack-udp.rules",
      rules: [
        u.record(c, "instance:netstack_udp_rcvbuf_errors:rate5m", |||
            sum by (%(inst)s) (
              label_replace(rate(netstack_snmp_udp_rcvbuf_errors_total{%(sel)s}[5m]), "family", "ipv4", "instance", ".*")
              or
              label_replace(rate(netstack_snmp_udp6_rcvbuf_errors_total{%(sel)s}[5m]), "family", "ipv6", "instance", ".*")
            )
          |||),
        u.record(c, "instance:netstack_udp_sndbuf_errors:rate5m", |||
            sum by (%(inst)s) (
              label_replace(rate(netstack_snmp_udp_sndbuf_errors_total{%(sel)s}[5m]), "family", "ipv4", "instance", ".*")
              or
              label_replace(rate(netstack_snmp_udp6_sndbuf_errors_total{%(sel)s}[5m]), "family", "ipv6", "instance", ".*")
            )
          |||),
      ],
    },
    ],
  },
}

// Alerting rules. Severity: critical pages (a table or port range about to
// run out, packets being dropped for it), warning goes to a ticket queue,
// info is a finding. docs/ALERTS.md lists every alert with its threshold
// and the practice behind it; docs/runbooks/<AlertName>.md says how to
// confirm and fix it. Thresholds, `for` and severities: config.libsonnet.
local u = import 'lib/utils.libsonnet';
{
  local c = $._config,
  prometheusAlerts+:: {
    groups+: [
    {
      name: "netstack-conntrack",
      rules: [
        u.alert(c, "NetstackConntrackTableFilling",
                "instance:netstack_conntrack_entries:ratio > %(threshold)s",
                "Conntrack table {{ $value | humanizePercentage }} full on {{ $labels.instance }}",
                |||
                  The connection tracking table of {{ $labels.instance }} holds
                  {{ $value | humanizePercentage }} of its limit of
                  {{ with printf "netstack_conntrack_entries_limit{instance=%q,job=%q,netns=%q}" $labels.instance $labels.job $labels.netns | query }}{{ . | first | value | humanize }}{{ end }}
                  entries (warning above 75 %). When it is full, new connections are dropped.
                |||),
        u.alert(c, "NetstackConntrackTableNearlyFull",
                "instance:netstack_conntrack_entries:ratio > %(threshold)s",
                "Conntrack table {{ $value | humanizePercentage }} full on {{ $labels.instance }}",
                |||
                  The connection tracking table of {{ $labels.instance }} holds
                  {{ $value | humanizePercentage }} of its limit of
                  {{ with printf "netstack_conntrack_entries_limit{instance=%q,job=%q,netns=%q}" $labels.instance $labels.job $labels.netns | query }}{{ . | first | value | humanize }}{{ end }}
                  entries (critical above 90 %). New connections will be dropped
                  once it is full.
                |||),
        u.alert(c, "NetstackConntrackDropping",
                "instance:netstack_conntrack_drops:rate5m > %(threshold)s",
                "Conntrack table full on {{ $labels.instance }}, connections dropped",
                |||
                  {{ $labels.instance }} drops {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} new connections
                  per second because the conntrack table is full (drop + early_drop
                  counters rising).
                |||),
        u.alert(c, "NetstackConntrackInsertFailed",
                "instance:netstack_conntrack_insert_failed:rate5m > %(threshold)s",
                "Conntrack insertions failing on {{ $labels.instance }}",
                |||
                  {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} conntrack insertions per second fail on
                  {{ $labels.instance }} (insert_failed rising for an hour): packets
                  of racing new flows (often UDP/DNS through NAT) are dropped.
                |||),
        u.alert(c, "NetstackConntrackExhaustionForecast",
                |||
                  (
                    predict_linear(netstack_conntrack_entries{%(sel)s}[%(window)s], %(horizon)s)
                    >= on (%(inst)s) (netstack_conntrack_entries_limit{%(sel)s} > 0)
                  )
                  and on (%(inst)s) (instance:netstack_conntrack_entries:ratio > %(minRatio)s)
                |||,
                "Conntrack table on {{ $labels.instance }} will be full within 4 hours",
                |||
                  At the growth of the last 6 hours the conntrack table of
                  {{ $labels.instance }} reaches {{ $value | humanize }} entries in 4 hours,
                  beyond its limit of
                  {{ with printf "netstack_conntrack_entries_limit{instance=%q,job=%q,netns=%q}" $labels.instance $labels.job $labels.netns | query }}{{ . | first | value | humanize }}{{ end }};
                  it is {{ with printf "instance:netstack_conntrack_entries:ratio{instance=%q,job=%q,netns=%q}" $labels.instance $labels.job $labels.netns | query }}{{ . | first | value | humanizePercentage }}{{ end }} full now.
                |||),
        u.alert(c, "NetstackConntrackCollectorFailing",
                "netstack_scrape_collector_success{%(sel)s,collector=\"conntrack\"} == 0",
                "netstack_exporter cannot read conntrack on {{ $labels.instance }}",
                |||
                  The conntrack collector of {{ $labels.instance }} has failed for 10
                  minutes: the conntrack table and drop alerts of this host are blind.
                |||),
        u.alert(c, "NetstackConntrackStatsUnavailable",
                |||
                  netstack_conntrack_enabled{%(sel)s} == 1
                  unless on (%(inst)s) netstack_conntrack_drop_total{%(sel)s}
                |||,
                "No conntrack drop statistics on {{ $labels.instance }}",
                |||
                  nf_conntrack is loaded on {{ $labels.instance }} but the exporter gets
                  no per-CPU statistics (no CAP_NET_ADMIN for ctnetlink and no
                  /proc/net/stat/nf_conntrack): table-full drops cannot be alerted on.
                |||),
      ],
    },
    {
      name: "netstack-interfaces",
      rules: [
        u.alert(c, "NetstackInterfaceErrors",
                |||
                  label_replace(
                    (
                      instance_device:netstack_netdev_receive_errors:rate5m
                      / (instance_device:netstack_netdev_receive_packets:rate5m + instance_device:netstack_netdev_receive_errors:rate5m)
                      > %(threshold)s
                    )
                    and on (%(inst)s, device)
                    (instance_device:netstack_netdev_receive_packets:rate5m + instance_device:netstack_netdev_receive_errors:rate5m >= %(minPackets)s),
                    "direction", "receive", "device", ".*")
                  or
                  label_replace(
                    (
                      instance_device:netstack_netdev_transmit_errors:rate5m
                      / (instance_device:netstack_netdev_transmit_packets:rate5m + instance_device:netstack_netdev_transmit_errors:rate5m)
                      > %(threshold)s
                    )
                    and on (%(inst)s, device)
                    (instance_device:netstack_netdev_transmit_packets:rate5m + instance_device:netstack_netdev_transmit_errors:rate5m >= %(minPackets)s),
                    "direction", "transmit", "device", ".*")
                |||,
                "{{ $labels.device }} on {{ $labels.instance }}: {{ $value | humanizePercentage }} {{ $labels.direction }} errors",
                |||
                  {{ $value | humanizePercentage }} of the packets {{ $labels.device }}
                  on {{ $labels.instance }} tried to {{ $labels.direction }} in the last
                  5 minutes were errors (above 1 % for 15 minutes, at 10 packets/s or more).
                |||),
        u.alert(c, "NetstackInterfaceDrops",
                |||
                  label_replace(
                    (
                      instance_device:netstack_netdev_receive_dropped:rate5m
                      / (instance_device:netstack_netdev_receive_packets:rate5m + instance_device:netstack_netdev_receive_dropped:rate5m)
                      > %(threshold)s
                    )
                    and on (%(inst)s, device)
                    (instance_device:netstack_netdev_receive_packets:rate5m + instance_device:netstack_netdev_receive_dropped:rate5m >= %(minPackets)s),
                    "direction", "receive", "device", ".*")
                  or
                  label_replace(
                    (
                      instance_device:netstack_netdev_transmit_dropped:rate5m
                      / (instance_device:netstack_netdev_transmit_packets:rate5m + instance_device:netstack_netdev_transmit_dropped:rate5m)
                      > %(threshold)s
                    )
                    and on (%(inst)s, device)
                    (instance_device:netstack_netdev_transmit_packets:rate5m + instance_device:netstack_netdev_transmit_dropped:rate5m >= %(minPackets)s),
                    "direction", "transmit", "device", ".*")
                |||,
                "{{ $labels.device }} on {{ $labels.instance }} drops {{ $value | humanizePercentage }} of {{ $labels.direction }} packets",
                |||
                  {{ $labels.device }} on {{ $labels.instance }} dropped
                  {{ $value | humanizePercentage }} of its {{ $labels.direction }}
                  packets in the last 5 minutes (above 1 % for 15 minutes, at 100
                  packets/s or more).
                |||),
        u.alert(c, "NetstackInterfaceRingOverflow",
                "instance_device:netstack_netdev_receive_ring_overflows:rate5m > %(threshold)s",
                "{{ $labels.device }} on {{ $labels.instance }}: receive ring overflowing",
                |||
                  {{ $labels.device }} on {{ $labels.instance }} loses
                  {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} packets per second in the NIC (missed + FIFO
                  errors): the host does not drain the receive ring fast enough.
                |||),
        u.alert(c, "NetstackInterfaceCarrierFlapping",
                "round(increase(netstack_netdev_carrier_changes_total{%(sel)s}[%(window)s])) > %(threshold)s",
                "{{ $labels.device }} on {{ $labels.instance }} is flapping",
                |||
                  The carrier of {{ $labels.device }} on {{ $labels.instance }} changed
                  {{ printf "%.0f" $value }} times in 15 minutes (more than 4).
                |||),
        u.alert(c, "NetstackInterfaceLinkDown",
                |||
                  max by (%(inst)s, device) (netstack_netdev_oper_state{%(sel)s,state=~"down|lowerlayerdown"}) == 1
                  and on (%(inst)s, device) netstack_netdev_up{%(sel)s} == 1
                  and on (%(inst)s, device) max_over_time(netstack_netdev_oper_state{%(sel)s,state="up"}[1d]) == 1
                |||,
                "{{ $labels.device }} on {{ $labels.instance }} is down",
                |||
                  {{ $labels.device }} on {{ $labels.instance }} is administratively up
                  but its link is down; it was up within the last day.
                |||),
        u.alert(c, "NetstackInterfaceHalfDuplex",
                |||
                  netstack_ethtool_full_duplex{%(sel)s} == 0
                  and on (%(inst)s, device) netstack_netdev_carrier{%(sel)s} == 1
                |||,
                "{{ $labels.device }} on {{ $labels.instance }} runs half duplex",
                |||
                  {{ $labels.device }} on {{ $labels.instance }} negotiated half duplex:
                  collisions and a fraction of the throughput; usually a duplex
                  mismatch or a failed autonegotiation.
                |||),
        u.alert(c, "NetstackInterfaceSpeedDegraded",
                |||
                  (netstack_netdev_speed_bytes{%(sel)s} * 8 > 0)
                  < on (%(inst)s, device) (max_over_time(netstack_netdev_speed_bytes{%(sel)s}[1d]) * 8)
                |||,
                "{{ $labels.device }} on {{ $labels.instance }} runs at {{ $value | humanize }}bit/s, below its usual speed",
                |||
                  {{ $labels.device }} on {{ $labels.instance }} negotiated
                  {{ $value | humanize }}bit/s; within the last day it ran at
                  {{ with printf "max_over_time(netstack_netdev_speed_bytes{instance=%q,job=%q,netns=%q,device=%q}[1d]) * 8" $labels.instance $labels.job $labels.netns $labels.device | query }}{{ . | first | value | humanize }}{{ end }}bit/s.
                |||),
        u.alert(c, "NetstackInterfaceSaturated",
                |||
                  label_replace(instance_device:netstack_netdev_receive_utilisation:ratio > %(threshold)s,
                    "direction", "receive", "device", ".*")
                  or
                  label_replace(instance_device:netstack_netdev_transmit_utilisation:ratio > %(threshold)s,
                    "direction", "transmit", "device", ".*")
                |||,
                "{{ $labels.device }} on {{ $labels.instance }}: {{ $labels.direction }} at {{ $value | humanizePercentage }} of link speed",
                |||
                  {{ $labels.device }} on {{ $labels.instance }} has used
                  {{ $value | humanizePercentage }} of its link speed to
                  {{ $labels.direction }} over the last 5 minutes (above 90 % for 15
                  minutes): queues build up and packets will be dropped.
                |||),
      ],
    },
    {
      name: "netstack-queueing",
      rules: [
        u.alert(c, "NetstackQdiscDrops",
                |||
                  (
                    instance_qdisc:netstack_qdisc_drops:rate5m{parent="root"}
                    / (instance_qdisc:netstack_qdisc_packets:rate5m{parent="root"} + instance_qdisc:netstack_qdisc_drops:rate5m{parent="root"})
                    > %(threshold)s
                  )
                  and
                  (instance_qdisc:netstack_qdisc_packets:rate5m{parent="root"} + instance_qdisc:netstack_qdisc_drops:rate5m{parent="root"} >= %(minPackets)s)
                |||,
                "{{ $labels.kind }} on {{ $labels.device }} ({{ $labels.instance }}) drops {{ $value | humanizePercentage }} of packets",
                |||
                  The root {{ $labels.kind }} qdisc of {{ $labels.device }} on
                  {{ $labels.instance }} dropped {{ $value | humanizePercentage }} of
                  the packets given to it in the last 5 minutes (above 1 % for 15
                  minutes, at 100 packets/s or more).
                |||),
        u.alert(c, "NetstackQdiscPersistentBacklog",
                "min_over_time(netstack_qdisc_queue_length{%(sel)s,parent=\"root\"}[%(window)s]) >= %(threshold)s",
                "{{ $labels.device }} on {{ $labels.instance }} has a standing queue",
                |||
                  The root {{ $labels.kind }} qdisc of {{ $labels.device }} on
                  {{ $labels.instance }} has not held fewer than {{ printf "%.0f" $value }}
                  packets for 15 minutes: the link is the bottleneck and every packet
                  waits behind a standing queue.
                |||),
      ],
    },
    {
      name: "netstack-softnet",
      rules: [
        u.alert(c, "NetstackSoftnetBacklogDrops",
                "instance:netstack_softnet_dropped:rate5m > %(threshold)s",
                "Softnet backlog dropping packets on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} drops {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} packets per second
                  because a CPU's input backlog is full (softnet dropped rising for an
                  hour; net.core.netdev_max_backlog is
                  {{ with printf "netstack_sysctl_net_core_netdev_max_backlog{instance=%q,job=%q,netns=%q}" $labels.instance $labels.job $labels.netns | query }}{{ . | first | value | printf "%.0f" }}{{ end }}).
                |||),
        u.alert(c, "NetstackSoftnetTimeSqueeze",
                "instance:netstack_softnet_times_squeezed:rate5m > %(threshold)s",
                "Softnet processing squeezed on {{ $labels.instance }}",
                |||
                  The receive softirq of {{ $labels.instance }} ran out of budget or
                  time with work left {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} times per second for 30
                  minutes (net.core.netdev_budget is
                  {{ with printf "netstack_sysctl_net_core_netdev_budget{instance=%q,job=%q,netns=%q}" $labels.instance $labels.job $labels.netns | query }}{{ . | first | value | printf "%.0f" }}{{ end }}).
                |||),
      ],
    },
    {
      name: "netstack-tcp",
      rules: [
        u.alert(c, "NetstackTCPListenOverflows",
                "instance:netstack_tcp_listen_overflows:rate5m > %(threshold)s",
                "TCP accept queues overflowing on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} drops {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} connections per
                  second because a listener's accept queue is full (ListenOverflows
                  rising for an hour): the application does not accept() fast
                  enough or its backlog is too small.
                |||),
        u.alert(c, "NetstackTCPAcceptQueueFilling",
                "instance_listener:netstack_tcp_listener_queue:ratio > %(threshold)s",
                "Accept queue of {{ $labels.address }} port {{ $labels.port }} on {{ $labels.instance }} {{ $value | humanizePercentage }} full",
                |||
                  The TCP listener on {{ $labels.address }} port {{ $labels.port }}
                  ({{ $labels.family }}) of {{ $labels.instance }} has
                  {{ $value | humanizePercentage }} of its accept queue occupied
                  (maximum
                  {{ with printf "netstack_tcp_listener_queue_max{instance=%q,job=%q,netns=%q,family=%q,address=%q,port=%q}" $labels.instance $labels.job $labels.netns $labels.family $labels.address $labels.port | query }}{{ . | first | value | printf "%.0f" }}{{ end }});
                  when it is full new connections are dropped.
                |||),
        u.alert(c, "NetstackTCPSynQueueDrops",
                "rate(netstack_snmp_tcpext_tcp_req_qfull_drop_total{%(sel)s}[5m]) > %(threshold)s",
                "SYN queue full, SYNs dropped on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} drops {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} SYNs per second
                  because a listener's SYN queue is full and SYN cookies could not be
                  used (TCPReqQFullDrop rising for an hour).
                |||),
        u.alert(c, "NetstackTCPSynCookiesSent",
                "rate(netstack_snmp_tcpext_syncookies_sent_total{%(sel)s}[5m]) > %(threshold)s",
                "SYN cookies sent on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} answers {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} SYNs per second
                  with SYN cookies (SyncookiesSent rising for an hour): a SYN queue
                  is full, from a SYN flood or a backlog too small for the load.
                |||),
        u.alert(c, "NetstackTCPSynRecvHigh",
                |||
                  instance:netstack_tcp_syn_recv_connections:sum
                  / on (%(inst)s) (netstack_sysctl_net_ipv4_tcp_max_syn_backlog{%(sel)s} > 0)
                  > %(threshold)s
                |||,
                "Many half-open TCP connections on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} has
                  {{ with printf "instance:netstack_tcp_syn_recv_connections:sum{instance=%q,job=%q,netns=%q}" $labels.instance $labels.job $labels.netns | query }}{{ . | first | value | printf "%.0f" }}{{ end }}
                  connections in SYN_RECV, {{ $value | humanizePercentage }} of
                  net.ipv4.tcp_max_syn_backlog (above 50 % for 10 minutes).
                |||),
        u.alert(c, "NetstackTCPEphemeralPortsFilling",
                "instance_destination:netstack_tcp_ephemeral_ports:ratio > %(threshold)s",
                "{{ $value | humanizePercentage }} of ephemeral ports in use toward {{ $labels.destination }} port {{ $labels.port }} on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} holds {{ $value | humanizePercentage }} of its
                  local port range in sockets toward {{ $labels.destination }} port
                  {{ $labels.port }} (warning above 80 %). When the range is used up,
                  connect() to that destination fails with EADDRNOTAVAIL.
                |||),
        u.alert(c, "NetstackTCPEphemeralPortsExhausted",
                "instance_destination:netstack_tcp_ephemeral_ports:ratio > %(threshold)s",
                "Ephemeral ports toward {{ $labels.destination }} port {{ $labels.port }} nearly exhausted on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} holds {{ $value | humanizePercentage }} of its
                  local port range in sockets toward {{ $labels.destination }} port
                  {{ $labels.port }} (critical above 95 %): new connections to it are
                  about to fail with EADDRNOTAVAIL.
                |||),
        u.alert(c, "NetstackTCPTimeWaitOverflow",
                "rate(netstack_snmp_tcpext_tcp_time_wait_overflow_total{%(sel)s}[5m]) > %(threshold)s",
                "TIME-WAIT bucket table full on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} closes {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} connections per
                  second without a TIME-WAIT socket because net.ipv4.tcp_max_tw_buckets
                  ({{ with printf "netstack_sysctl_net_ipv4_tcp_max_tw_buckets{instance=%q,job=%q,netns=%q}" $labels.instance $labels.job $labels.netns | query }}{{ . | first | value | printf "%.0f" }}{{ end }})
                  is reached.
                |||),
        u.alert(c, "NetstackTCPMemoryPressure",
                "instance:netstack_tcp_memory_pressure_threshold:ratio >= %(threshold)s",
                "TCP memory pressure on {{ $labels.instance }}",
                |||
                  TCP on {{ $labels.instance }} uses
                  {{ with printf "netstack_sockstat_tcp_mem{instance=%q,job=%q,netns=%q}" $labels.instance $labels.job $labels.netns | query }}{{ . | first | value | printf "%.0f" }}{{ end }}
                  pages, {{ $value | humanizePercentage }} of the pressure threshold
                  tcp_mem[1]: the kernel shrinks socket buffers.
                |||),
        u.alert(c, "NetstackTCPMemoryExhausted",
                "instance:netstack_tcp_memory_limit:ratio > %(threshold)s",
                "TCP memory nearly exhausted on {{ $labels.instance }}",
                |||
                  TCP on {{ $labels.instance }} uses {{ $value | humanizePercentage }}
                  of its hard limit tcp_mem[2]: beyond it the kernel refuses socket
                  memory, drops segments and logs "out of memory -- consider tuning
                  tcp_mem".
                |||),
        u.alert(c, "NetstackTCPOrphansHigh",
                |||
                  netstack_sockstat_tcp_orphan{%(sel)s}
                  / on (%(inst)s) (netstack_sysctl_net_ipv4_tcp_max_orphans{%(sel)s} > 0)
                  > %(threshold)s
                |||,
                "Many orphaned TCP sockets on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} has
                  {{ with printf "netstack_sockstat_tcp_orphan{instance=%q,job=%q,netns=%q}" $labels.instance $labels.job $labels.netns | query }}{{ . | first | value | printf "%.0f" }}{{ end }}
                  orphaned TCP sockets, {{ $value | humanizePercentage }} of
                  net.ipv4.tcp_max_orphans (above 50 %, where the kernel starts
                  resetting orphans that saw errors).
                |||),
        u.alert(c, "NetstackTCPRetransmitRatioHigh",
                |||
                  instance:netstack_tcp_retransmit:ratio_rate5m > %(threshold)s
                  and on (%(inst)s) instance:netstack_tcp_out_segs:rate5m >= %(minSegments)s
                |||,
                "TCP retransmits {{ $value | humanizePercentage }} of segments on {{ $labels.instance }}",
                |||
                  {{ $value | humanizePercentage }} of the TCP segments
                  {{ $labels.instance }} sent in the last 5 minutes were
                  retransmissions (above 5 % for 15 minutes, at 100 segments/s or more).
                |||),
        u.alert(c, "NetstackTCPResetSpike",
                |||
                  instance:netstack_tcp_out_rsts:rate5m > %(threshold)s
                  and on (%(inst)s)
                  instance:netstack_tcp_out_rsts:rate5m > %(factor)s * rate(netstack_snmp_tcp_out_rsts_total{%(sel)s}[1h] offset 15m)
                |||,
                "TCP resets spiking on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} sends {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} TCP resets per
                  second, more than 10/s and 3 times its rate of the hour before.
                |||),
        u.alert(c, "NetstackTCPReceiveQueueDrops",
                "rate(netstack_snmp_tcpext_tcp_rcv_qdrop_total{%(sel)s}[5m]) > %(threshold)s",
                "TCP receive queue drops on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} drops {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} received TCP
                  segments per second because the socket's receive buffer is full
                  under memory pressure (TCPRcvQDrop rising for an hour).
                |||),
        u.alert(c, "NetstackTCPCloseWaitGrowing",
                |||
                  instance:netstack_tcp_close_wait_connections:sum > %(threshold)s
                  and on (%(inst)s)
                  deriv(instance:netstack_tcp_close_wait_connections:sum[30m]) > 0
                |||,
                "CLOSE_WAIT sockets piling up on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} has {{ printf "%.0f" $value }} TCP sockets in CLOSE_WAIT and
                  the number has grown for 30 minutes: an application does not close
                  sockets its peers have closed (a descriptor leak).
                |||),
      ],
    },
    {
      name: "netstack-udp",
      rules: [
        u.alert(c, "NetstackUDPReceiveBufferErrors",
                "instance:netstack_udp_rcvbuf_errors:rate5m > %(threshold)s",
                "UDP receive buffers overflowing on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} drops {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} UDP datagrams per
                  second because a socket's receive buffer is full (RcvbufErrors,
                  IPv4 + IPv6, rising for an hour).
                |||),
        u.alert(c, "NetstackUDPSendBufferErrors",
                "instance:netstack_udp_sndbuf_errors:rate5m > %(threshold)s",
                "UDP send buffer errors on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} fails to send {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} UDP
                  datagrams per second for lack of send buffer (SndbufErrors, IPv4 +
                  IPv6, rising for an hour).
                |||),
        u.alert(c, "NetstackUDPPortDrops",
                "rate(netstack_udp_drops_total{%(sel)s}[5m]) > %(threshold)s",
                "UDP drops on {{ $labels.address }} port {{ $labels.port }} ({{ $labels.instance }})",
                |||
                  UDP sockets bound to {{ $labels.address }} port {{ $labels.port }}
                  ({{ $labels.family }}) on {{ $labels.instance }} drop
                  {{ if lt $value 1.0 }}{{ printf "%.2g" $value }}{{ else }}{{ $value | humanize }}{{ end }} datagrams per second (receive buffer full or
                  filtered), for an hour.
                |||),
      ],
    },
    {
      name: "netstack-tuning",
      rules: [
        u.alert(c, "NetstackSomaxconnLow",
                |||
                  netstack_sysctl_net_core_somaxconn{%(sel)s} < %(threshold)s
                  and on (%(inst)s) instance:netstack_tcp_listen_overflows:rate5m > 0
                |||,
                "net.core.somaxconn is {{ printf \"%.0f\" $value }} on {{ $labels.instance }} while accept queues overflow",
                |||
                  net.core.somaxconn caps every listen() backlog of
                  {{ $labels.instance }} at {{ printf "%.0f" $value }} (below 4096, the default since
                  Linux 5.4) while listen overflows happen.
                |||),
        u.alert(c, "NetstackTCPTwReuseDisabled",
                |||
                  netstack_sockstat_tcp_tw{%(sel)s} / on (%(inst)s) (instance:netstack_ip_local_port_range:size > 0) > %(threshold)s
                  and on (%(inst)s) netstack_sysctl_net_ipv4_tcp_tw_reuse{%(sel)s} != 1
                |||,
                "Many TIME-WAIT sockets and tcp_tw_reuse off on {{ $labels.instance }}",
                |||
                  {{ $labels.instance }} holds TIME-WAIT sockets amounting to
                  {{ $value | humanizePercentage }} of its local port range while
                  net.ipv4.tcp_tw_reuse is
                  {{ with printf "netstack_sysctl_net_ipv4_tcp_tw_reuse{instance=%q,job=%q,netns=%q}" $labels.instance $labels.job $labels.netns | query }}{{ . | first | value | printf "%.0f" }}{{ end }}
                  (1 lets outgoing connections reuse them).
                |||),
        u.alert(c, "NetstackRmemMaxLow",
                |||
                  netstack_sysctl_net_core_rmem_max{%(sel)s} < %(threshold)s
                  and on (%(inst)s) instance:netstack_udp_rcvbuf_errors:rate5m > 0
                |||,
                "net.core.rmem_max is {{ $value | humanize1024 }}B on {{ $labels.instance }} while receive buffers overflow",
                |||
                  UDP receive buffers overflow on {{ $labels.instance }} and
                  net.core.rmem_max, the most an application may ask for with
                  SO_RCVBUF, is {{ printf "%.0f" $value }} bytes (below 16777216, 16MiB).
                |||),
        u.alert(c, "NetstackWmemMaxLow",
                |||
                  netstack_sysctl_net_core_wmem_max{%(sel)s} < %(threshold)s
                  and on (%(inst)s) instance:netstack_udp_sndbuf_errors:rate5m > 0
                |||,
                "net.core.wmem_max is {{ $value | humanize1024 }}B on {{ $labels.instance }} while send buffers overflow",
                |||
                  UDP send buffer errors happen on {{ $labels.instance }} and
                  net.core.wmem_max, the most an application may ask for with
                  SO_SNDBUF, is {{ printf "%.0f" $value }} bytes (below 16777216, 16MiB).
                |||),
      ],
    },
    {
      name: "netstack-exporter",
      rules: [
        u.alert(c, "NetstackCollectorFailing",
                "netstack_scrape_collector_success{%(sel)s,collector!~\"conntrack|nftables\"} == 0",
                "Collector {{ $labels.collector }} failing on {{ $labels.instance }}",
                |||
                  The {{ $labels.collector }} collector of netstack_exporter on
                  {{ $labels.instance }} has failed every scrape for 10 minutes: its
                  metrics are missing or incomplete and the alerts built on them are
                  blind.
                |||),
        u.alert(c, "NetstackExporterScrapeSlow",
                "sum by (%(inst)s) (netstack_scrape_collector_duration_seconds{%(sel)s}) > %(threshold)s",
                "netstack_exporter scrapes take {{ $value | humanizeDuration }} on {{ $labels.instance }}",
                |||
                  Collecting all metrics on {{ $labels.instance }} takes
                  {{ $value | humanizeDuration }} (above 5s for 15 minutes; the default
                  scrape timeout is 10s). Slowest collector:
                  {{ range printf "topk(1, netstack_scrape_collector_duration_seconds{instance=%q,job=%q,netns=%q})" $labels.instance $labels.job $labels.netns | query }}{{ .Labels.collector }} ({{ .Value | humanizeDuration }}){{ end }}.
                |||),
      ],
    },
    ],
  },
}

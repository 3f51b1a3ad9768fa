// Dashboard definition (mixin/lib/dashboard.libsonnet has the builders).
local d = import '../lib/dashboard.libsonnet';
{
  local c = $._config,
  grafanaDashboards+:: {
    'overview.json': d.board(c, "overview",
      "One host's network stack from the application down to the hardware, one row per layer, with the signals the netstack alerts fire on. Start at the top, follow the first red panel down, and use the drill-down links.",
      [
        d.row("Exporter and alerts"),
        d.table("Firing and pending netstack alerts", [
          "ALERTS{alertstate=~\"firing|pending\",instance=~\"$instance\"}",
        ], "none", 
        "Alerts Prometheus is evaluating as pending or firing for the selected instances (every rule that keeps the instance label). Empty is good. When a row appears, find its signal in the layer rows below and follow that row's drill-down; the alert's runbook annotation in Prometheus says what to check.", w=12, h=6, hide=["Value", "instance"]),
        d.stat("Collectors failing", [
          "count by (instance) (netstack_scrape_collector_success{%(base)s} == 0) or on(instance) (0 * count by (instance) (netstack_scrape_collector_success{%(base)s}))",
        ], "none", 
        "Collectors whose last collection failed (netstack_scrape_collector_success == 0). Must be 0. If not, the exporter's log (journalctl -u netstack_exporter) names the collector and the errno; EPERM usually means the daemon lacks CAP_NET_ADMIN.", [[null, "green"], [1, "red"]], w=4, h=6),
        d.stat("Scrape target up", [
          "up{%(base)s}",
        ], "none", 
        "1 when Prometheus reached the exporter on its last scrape. 0: the daemon is down, firewalled, or answering 503 (over --web.max-requests); check systemctl status netstack_exporter and the target page in Prometheus.", [[null, "red"], [1, "green"]], w=4, h=6, mappings=[{"type": "value", "options": {"0": {"text": "DOWN"}, "1": {"text": "UP"}}}]),
        d.ts("Slowest collector", [
          ["topk(3, netstack_scrape_collector_duration_seconds{%(base)s})", "{{instance}} {{collector}}"],
        ], "s", 
        "Time the three slowest collectors took on the last scrape. Should stay well under the scrape timeout; a growing conntrack or tcp time follows the table size (raise breakdown-interval, lower top-k, or disable tcp-info).", w=4, h=6),
        d.row("Application and sockets"),
        d.ts("Listener accept queue fill (worst listener)", [
          ["max by (instance) (netstack_tcp_listener_queue_length{%(base)s} / (netstack_tcp_listener_queue_max{%(base)s} + 1))", "{{instance}}"],
        ], "percentunit", 
        "Fullest accept queue of any TCP listener: connections waiting for accept() over the queue's capacity (backlog capped by somaxconn, plus one). At 100% new SYNs are dropped. The application is not calling accept() fast enough: check it is alive and not blocked; raise its listen() backlog and net.core.somaxconn if bursts are legitimate. The TCP drill-down names the listener.", w=8, links=[d.link(c, "netstack-tcp")], max_=1, thresholds=[[null, "green"], [0.8, "orange"], [1, "red"]]),
        d.ts("UDP socket drops", [
          ["sum by (instance, address, port) (rate(netstack_udp_drops_total{%(base)s}[$__rate_interval]))", "{{instance}} {{address}} port {{port}}"],
        ], "pps", 
        "Datagrams dropped by UDP sockets (sk_drops: receive buffer full, memory limits, checksum or filter), per local address and port. Should be 0. The application reads too slowly or its SO_RCVBUF is too small: raise SO_RCVBUF (and net.core.rmem_max), add reader threads or SO_REUSEPORT sockets.", w=8, links=[d.link(c, "netstack-tcp")]),
        d.ts("Socket memory", [
          ["netstack_sockstat_tcp_mem_bytes{%(base)s}", "{{instance}} TCP"],
          ["netstack_sockstat_udp_mem_bytes{%(base)s}", "{{instance}} UDP"],
          ["netstack_sysctl_net_ipv4_tcp_mem{%(base)s,index=\"1\"} * on(instance) group_left max by (instance) (netstack_sockstat_tcp_mem_bytes{%(base)s} / netstack_sockstat_tcp_mem{%(base)s})", "{{instance}} TCP pressure threshold"],
        ], "bytes", 
        "Memory held by TCP and UDP sockets, host-wide, against tcp_mem's pressure threshold (converted to bytes). Above it TCP shrinks buffers; at the third tcp_mem value it drops. Find the sockets with large Recv-Q/Send-Q (TCP drill-down, ss -tmn) or raise net.ipv4.tcp_mem.", w=8),
        d.ts("TCP sockets", [
          ["netstack_sockstat_tcp_inuse{%(base)s}", "{{instance}} in use"],
          ["netstack_sockstat_tcp_tw{%(base)s}", "{{instance}} time-wait"],
          ["netstack_sockstat_tcp_orphan{%(base)s}", "{{instance}} orphan"],
        ], "short", 
        "TCP sockets in use, in TIME_WAIT and orphaned (closed by the application, still owned by the kernel). Orphans near net.ipv4.tcp_max_orphans or TIME_WAIT near tcp_max_tw_buckets mean sockets are being killed: look for connection churn (reuse connections, keep-alive).", w=8),
        d.ts("Ephemeral port use (busiest destination)", [
          ["max by (instance) (netstack_tcp_ephemeral_ports_in_use{%(base)s} / on(instance) group_left netstack_tcp_ephemeral_port_range_size{%(base)s})", "{{instance}}"],
        ], "percentunit", 
        "Share of net.ipv4.ip_local_port_range used toward the single busiest destination (address and port). Near 100% connect() fails with EADDRNOTAVAIL. Reuse connections (pooling, keep-alive), widen ip_local_port_range, or add destination addresses.", w=8, max_=1, links=[d.link(c, "netstack-tcp")], thresholds=[[null, "green"], [0.8, "red"]]),
        d.ts("CLOSE_WAIT sockets with unread data", [
          ["sum by (instance) (netstack_tcp_close_wait_unread_sockets{%(base)s})", "{{instance}}"],
        ], "short", 
        "Connections the peer closed whose application never read to the end. A steadily growing number is an application bug (it stopped reading and never closes): find the process with ss -tnp state close-wait.", w=8, links=[d.link(c, "netstack-tcp")]),
        d.table("Tuning audit (sysctls)", [
          "{__name__=~\"netstack_sysctl_net_core_somaxconn|netstack_sysctl_net_ipv4_tcp_max_syn_backlog|netstack_sysctl_net_core_rmem_max|netstack_sysctl_net_core_wmem_max|netstack_sysctl_net_ipv4_ip_local_port_range|netstack_sysctl_net_ipv4_tcp_tw_reuse|netstack_sysctl_net_ipv4_tcp_keepalive_time|netstack_sysctl_net_netfilter_nf_conntrack_tcp_timeout_established|netstack_sysctl_net_core_netdev_max_backlog|netstack_sysctl_net_ipv4_tcp_max_orphans\",%(base)s}",
        ], "short", 
        "The kernel parameters the netstack tuning alerts compare against: somaxconn and tcp_max_syn_backlog (accept and SYN queues), rmem_max/wmem_max (largest socket buffers), ip_local_port_range and tcp_tw_reuse (ephemeral ports), tcp_keepalive_time against nf_conntrack_tcp_timeout_established (idle connections must send keepalives before conntrack forgets them). An info alert names the one to raise; change it with sysctl -w and persist it in /etc/sysctl.d/.", w=16, h=8, show_name=true),
        d.table("Congestion control and default qdisc", [
          "netstack_sysctl_info{%(base)s,name=~\"net.ipv4.tcp_congestion_control|net.core.default_qdisc\"}",
        ], "none", 
        "Congestion control and default qdisc. BBR paces best with the fq qdisc on physical devices (alert NetstackBBRWithoutFQ): set net.core.default_qdisc=fq or tc qdisc replace dev DEV root fq.", w=8, h=8, hide=["Value"]),
        d.row("Transport (TCP, UDP)"),
        d.ts("Listen queue overflows and drops", [
          ["sum by (instance) (rate(netstack_snmp_tcpext_listen_overflows_total{%(base)s}[$__rate_interval]))", "{{instance}} overflows"],
          ["sum by (instance) (rate(netstack_snmp_tcpext_listen_drops_total{%(base)s}[$__rate_interval]))", "{{instance}} drops"],
        ], "cps", 
        "SYNs or handshake ACKs dropped because an accept queue was full (ListenOverflows) or for any reason at a listener (ListenDrops). Should be 0. See the accept queue fill panel above and the TCP drill-down for the listener.", w=8, links=[d.link(c, "netstack-tcp")]),
        d.ts("TCP retransmitted share", [
          ["sum by (instance) (rate(netstack_snmp_tcp_retrans_segs_total{%(base)s}[$__rate_interval])) / sum by (instance) (rate(netstack_snmp_tcp_out_segs_total{%(base)s}[$__rate_interval]))", "{{instance}}"],
        ], "percentunit", 
        "Retransmitted segments over segments sent. Above about 1% connections are losing packets: check the queueing and device rows (drops, errors) on this host, then the path to the peers.", w=8, thresholds=[[null, "green"], [0.01, "orange"], [0.05, "red"]]),
        d.ts("UDP errors", [
          ["sum by (instance) (rate(netstack_snmp_udp_rcvbuf_errors_total{%(base)s}[$__rate_interval]))", "{{instance}} receive buffer errors"],
          ["sum by (instance) (rate(netstack_snmp_udp_sndbuf_errors_total{%(base)s}[$__rate_interval]))", "{{instance}} send buffer errors"],
          ["sum by (instance) (rate(netstack_snmp_udp_in_errors_total{%(base)s}[$__rate_interval]))", "{{instance}} in errors"],
          ["sum by (instance) (rate(netstack_snmp_udp_no_ports_total{%(base)s}[$__rate_interval]))", "{{instance}} no port"],
        ], "pps", 
        "Host-wide UDP errors. Receive buffer errors: a socket's buffer was full (the UDP socket drops panel names it). No port: datagrams to a closed port (a service is down or clients are misconfigured). Send buffer errors: a sender outruns the device queue.", w=8),
        d.ts("TCP connections by state", [
          ["sum by (instance, state) (netstack_tcp_connections{%(base)s,state!=\"listen\"})", "{{instance}} {{state}}"],
        ], "short", 
        "TCP sockets by state (both families). A jump in syn_recv is a SYN flood or a slow accept(); syn_sent that does not turn into established is an unreachable backend; growing close_wait is an application not closing.", w=8, stack=true, links=[d.link(c, "netstack-tcp")]),
        d.ts("TCP segments", [
          ["sum by (instance) (rate(netstack_snmp_tcp_in_segs_total{%(base)s}[$__rate_interval]))", "{{instance}} in"],
          ["sum by (instance) (rate(netstack_snmp_tcp_out_segs_total{%(base)s}[$__rate_interval]))", "{{instance}} out"],
        ], "pps", 
        "TCP segments received and sent per second: the load the other panels are relative to. A sudden drop to 0 with traffic expected means the service or the path is down.", w=8),
        d.ts("TCP resets and timeouts", [
          ["sum by (instance) (rate(netstack_snmp_tcp_out_rsts_total{%(base)s}[$__rate_interval]))", "{{instance}} RST sent"],
          ["sum by (instance) (rate(netstack_snmp_tcp_attempt_fails_total{%(base)s}[$__rate_interval]))", "{{instance}} failed connects"],
          ["sum by (instance) (rate(netstack_snmp_tcpext_tcp_timeouts_total{%(base)s}[$__rate_interval]))", "{{instance}} RTO timeouts"],
          ["sum by (instance) (rate(netstack_snmp_tcpext_tcp_abort_on_memory_total{%(base)s}[$__rate_interval]))", "{{instance}} aborted (memory)"],
        ], "cps", 
        "Resets sent, failed connection attempts, retransmission timeouts and connections aborted for lack of memory. RTO timeouts mean loss on the path; aborts on memory mean tcp_mem is exhausted (socket memory panel).", w=8),
        d.ts("SYN queue, SYN cookies and TIME_WAIT overflows", [
          ["sum by (instance) (rate(netstack_snmp_tcpext_tcp_req_qfull_drop_total{%(base)s}[$__rate_interval]))", "{{instance}} SYN queue full drops"],
          ["sum by (instance) (rate(netstack_snmp_tcpext_syncookies_sent_total{%(base)s}[$__rate_interval]))", "{{instance}} SYN cookies sent"],
          ["sum by (instance) (rate(netstack_snmp_tcpext_tcp_time_wait_overflow_total{%(base)s}[$__rate_interval]))", "{{instance}} TIME_WAIT overflow"],
          ["sum by (instance) (rate(netstack_snmp_tcpext_tcp_rcv_qdrop_total{%(base)s}[$__rate_interval]))", "{{instance}} receive queue drops"],
        ], "cps", 
        "SYNs dropped or answered with cookies because a SYN queue was full (raise the listener's backlog and net.ipv4.tcp_max_syn_backlog, or it is a SYN flood), TIME_WAIT sockets not created because tcp_max_tw_buckets was reached, and segments dropped because a socket's receive memory was exhausted.", w=8, links=[d.link(c, "netstack-tcp")]),
        d.row("Network (IP)"),
        d.ts("IP packets", [
          ["sum by (instance) (rate(netstack_snmp_ip_in_receives_total{%(base)s}[$__rate_interval]))", "{{instance}} received"],
          ["sum by (instance) (rate(netstack_snmp_ip_in_delivers_total{%(base)s}[$__rate_interval]))", "{{instance}} delivered"],
          ["sum by (instance) (rate(netstack_snmp_ip_out_requests_total{%(base)s}[$__rate_interval]))", "{{instance}} sent"],
          ["sum by (instance) (rate(netstack_snmp_ip_forw_datagrams_total{%(base)s}[$__rate_interval]))", "{{instance}} forwarded"],
        ], "pps", 
        "IPv4 packets received, delivered to a transport, sent and forwarded. Received minus delivered minus forwarded is what the IP layer dropped (next panel).", w=8),
        d.ts("IP discards and routing failures", [
          ["sum by (instance) (rate(netstack_snmp_ip_in_discards_total{%(base)s}[$__rate_interval]))", "{{instance}} in discards"],
          ["sum by (instance) (rate(netstack_snmp_ip_out_discards_total{%(base)s}[$__rate_interval]))", "{{instance}} out discards"],
          ["sum by (instance) (rate(netstack_snmp_ip_out_no_routes_total{%(base)s}[$__rate_interval]))", "{{instance}} no route"],
          ["sum by (instance) (rate(netstack_snmp_ipext_in_no_routes_total{%(base)s}[$__rate_interval]))", "{{instance}} in no route"],
          ["sum by (instance) (rate(netstack_snmp_ip6_in_discards_total{%(base)s}[$__rate_interval]))", "{{instance}} IPv6 in discards"],
        ], "pps", 
        "Packets IP had to discard (no buffer, no route). Should be near 0. No route: check ip route for the destinations; discards: memory pressure or a full queue.", w=8),
        d.ts("Reassembly and checksum errors", [
          ["sum by (instance) (rate(netstack_snmp_ip_reasm_fails_total{%(base)s}[$__rate_interval]))", "{{instance}} IPv4 reassembly failed"],
          ["sum by (instance) (rate(netstack_snmp_ip6_reasm_fails_total{%(base)s}[$__rate_interval]))", "{{instance}} IPv6 reassembly failed"],
          ["sum by (instance) (rate(netstack_snmp_ipext_in_csum_errors_total{%(base)s}[$__rate_interval]))", "{{instance}} IP checksum errors"],
        ], "pps", 
        "Fragment reassembly failures and bad checksums. Reassembly failures mean lost fragments or a too small ipfrag_high_thresh; avoid fragmentation (path MTU, smaller UDP payloads). Checksum errors point at broken hardware or offloads.", w=8),
        d.row("Netfilter (conntrack)"),
        d.ts("Conntrack table fill", [
          ["netstack_conntrack_entries{%(base)s} / netstack_conntrack_entries_limit{%(base)s}", "{{instance}}"],
        ], "percentunit", 
        "Tracked connections over nf_conntrack_max. At 100% new connections are dropped (the drop panel). Raise net.netfilter.nf_conntrack_max (and nf_conntrack_buckets), shorten timeouts, or exempt high-volume traffic with notrack; the conntrack drill-down shows who fills the table.", w=8, max_=1, links=[d.link(c, "netstack-conntrack")], thresholds=[[null, "green"], [0.8, "orange"], [0.95, "red"]]),
        d.ts("Conntrack drops and failures", [
          ["sum by (instance) (rate(netstack_conntrack_drop_total{%(base)s}[$__rate_interval]))", "{{instance}} dropped (table full)"],
          ["sum by (instance) (rate(netstack_conntrack_early_drop_total{%(base)s}[$__rate_interval]))", "{{instance}} early drop"],
          ["sum by (instance) (rate(netstack_conntrack_insert_failed_total{%(base)s}[$__rate_interval]))", "{{instance}} insert failed"],
        ], "pps", 
        "Packets dropped because the table was full, entries evicted early to make room, and failed inserts (races). Any drop is lost traffic: see the table fill panel and the conntrack drill-down.", w=8, links=[d.link(c, "netstack-conntrack")]),
        d.ts("Conntrack invalid packets", [
          ["sum by (instance) (rate(netstack_conntrack_invalid_total{%(base)s}[$__rate_interval]))", "{{instance}}"],
        ], "pps", 
        "Packets conntrack could not track (out-of-window TCP, bad ICMP). A rise usually means asymmetric routing or a middlebox; a rule dropping ct state invalid then drops them.", w=8, links=[d.link(c, "netstack-conntrack")]),
        d.row("Netfilter (nftables)"),
        d.ts("nftables set fill", [
          ["netstack_nftables_set_elements{%(base)s} / on (instance, job, family, table, set) (netstack_nftables_set_max_elements{%(base)s} > 0)", "{{instance}} {{family}} {{table}} {{set}}"],
        ], "percentunit",
        "Elements of each nftables set that declares a size, over that size. At 100% the kernel refuses new elements: a blocklist or meter stops tracking new keys (NetstackNftablesSetNearlyFull above 90%). Give the set a larger size or a timeout. Sets without a size have no maximum and are not shown. Ruleset changes are marked on the time axis.", w=6, max_=1, thresholds=[[null, "green"], [0.9, "orange"], [1, "red"]]),
        d.ts("Base chain drop policy", [
          ["sum by (instance, family, table, chain) (rate(netstack_nftables_chain_policy_packets_total{%(base)s}[$__rate_interval]) and on (instance, job, family, table, chain) netstack_nftables_base_chain_info{%(base)s,policy=\"drop\"})", "{{instance}} {{family}} {{table}} {{chain}}"],
        ], "pps",
        "Packets dropped by the policy of base chains with policy drop (no rule accepted them). Only chains created with counters report it (iptables-nft does, nft does not). A jump right after a ruleset change (the marks on the time axis) means the change lost an accept rule (NetstackNftablesDropPolicySpike); check nft list chain.", w=6),
        d.ts("Busiest nftables rules", [
          ["topk(10, sum by (instance, family, table, chain, rule) (rate(netstack_nftables_rule_packets_total{%(base)s}[$__rate_interval])))", "{{instance}} {{table}} {{chain}} {{rule}}"],
        ], "pps",
        "The ten rules with a counter that match the most packets, named by their comment (else handle:N). A drop or reject rule climbing here is traffic being refused on purpose; if it should not be, find the rule with nft -a list chain.", w=6),
        d.ts("nftables quota use", [
          ["netstack_nftables_quota_used_bytes{%(base)s} / on (instance, job, family, table, name) (netstack_nftables_quota_limit_bytes{%(base)s} > 0)", "{{instance}} {{family}} {{table}} {{name}}"],
          ["netstack_nftables_quota_exceeded{%(base)s} == 1", "{{instance}} {{family}} {{table}} {{name}} depleted"],
        ], "percentunit",
        "Bytes used of each named quota, over its limit. At 100% the quota is depleted and the rules using it take their other branch (usually drop) until it is reset (NetstackNftablesQuotaExceeded): nft reset quota, or raise its limit.", w=6, max_=1, thresholds=[[null, "green"], [0.9, "orange"], [1, "red"]]),
        d.row("Queueing (qdiscs and softnet backlog)"),
        d.ts("Qdisc drops", [
          ["sum by (instance, device) (rate(netstack_qdisc_drops_total{%(base)s,parent=\"root\"}[$__rate_interval]))", "{{instance}} {{device}}"],
        ], "pps", 
        "Packets dropped by each device's root qdisc (including its children). Shaping (htb/tbf) drops when traffic exceeds the configured rate; fq_codel drops to keep latency low. Sustained drops: raise the class rate or the queue limit, or find the sender (the queues drill-down shows the class).", w=8, links=[d.link(c, "netstack-queues")]),
        d.ts("Class drops", [
          ["sum by (instance, device, classid) (rate(netstack_qdisc_class_drops_total{%(base)s}[$__rate_interval]))", "{{instance}} {{device}} {{classid}}"],
        ], "pps", 
        "Packets dropped per traffic class (htb, hfsc, ...). The class is over its rate and its queue is full: raise its rate/ceil or its leaf qdisc's limit if the traffic is legitimate.", w=8, links=[d.link(c, "netstack-queues")]),
        d.ts("Softnet backlog drops and squeezes", [
          ["sum by (instance) (rate(netstack_softnet_dropped_total{%(base)s}[$__rate_interval]))", "{{instance}} dropped"],
          ["sum by (instance) (rate(netstack_softnet_times_squeezed_total{%(base)s}[$__rate_interval]))", "{{instance}} squeezed"],
        ], "cps", 
        "Receive side: packets dropped because a CPU's input backlog was full (raise net.core.netdev_max_backlog, spread with RPS), and NAPI runs that ran out of budget with work left (raise net.core.netdev_budget / netdev_budget_usecs).", w=8, links=[d.link(c, "netstack-queues")]),
        d.ts("Root qdisc queue length", [
          ["max by (instance, device) (netstack_qdisc_queue_length{%(base)s,parent=\"root\"})", "{{instance}} {{device}}"],
        ], "short", 
        "Packets waiting in each device's root qdisc. A queue that never empties (alert NetstackQdiscPersistentBacklog) adds latency to everything on the device: the link or a shaper is the bottleneck; use fq_codel or shape below the bottleneck.", w=8, links=[d.link(c, "netstack-queues")]),
        d.table("Root qdisc of non-virtual devices", [
          "netstack_qdisc_root_info{%(base)s} and on(instance, job, device) netstack_netdev_info{%(base)s,kind=\"\"}",
        ], "none", 
        "Root qdisc kind of every device that is not virtual (no link kind). A plain FIFO (pfifo_fast, pfifo) on an Ethernet device gives no flow isolation (NetstackQdiscNotFairQueueing): set net.core.default_qdisc=fq_codel (or fq with BBR) and reload the device's qdisc.", w=8, h=8, hide=["Value"], links=[d.link(c, "netstack-queues")]),
        d.row("Device (interfaces)"),
        d.ts("Throughput", [
          ["sum by (instance, device) (rate(netstack_netdev_receive_bytes_total{%(base)s,device!=\"lo\"}[$__rate_interval])) * 8", "{{instance}} {{device}} rx"],
          ["-sum by (instance, device) (rate(netstack_netdev_transmit_bytes_total{%(base)s,device!=\"lo\"}[$__rate_interval])) * 8", "{{instance}} {{device}} tx"],
        ], "bps", 
        "Bits per second received (up) and sent (down) per device, loopback excluded. Compare with the link speed in the interfaces drill-down; a flat top is a saturated link or a shaper.", w=8, minv=null, links=[d.link(c, "netstack-interfaces")]),
        d.ts("Device errors and drops", [
          ["sum by (instance, device) (rate(netstack_netdev_receive_errors_total{%(base)s}[$__rate_interval]) + rate(netstack_netdev_transmit_errors_total{%(base)s}[$__rate_interval]))", "{{instance}} {{device}} errors"],
          ["sum by (instance, device) (rate(netstack_netdev_receive_dropped_total{%(base)s}[$__rate_interval]) + rate(netstack_netdev_transmit_dropped_total{%(base)s}[$__rate_interval]))", "{{instance}} {{device}} drops"],
        ], "pps", 
        "Errors and drops counted by each device (driver). Errors are usually physical (cabling, optics, duplex mismatch: see the hardware row); rx drops are often frames for an unknown protocol or VLAN, or a full ring.", w=8, links=[d.link(c, "netstack-interfaces")]),
        d.ts("Links down and carrier changes", [
          ["count by (instance) (netstack_netdev_oper_state{%(base)s,state=\"up\"} == 0)", "{{instance}} not up"],
          ["sum by (instance) (increase(netstack_netdev_carrier_changes_total{%(base)s}[$__rate_interval]))", "{{instance}} carrier changes"],
        ], "short", 
        "Devices whose operational state is not up, and carrier changes in the interval. Flapping carrier means a bad cable, optic or switch port; a device that should be up and is not: ip link show, dmesg.", w=8, links=[d.link(c, "netstack-interfaces")]),
        d.row("Hardware (NIC)"),
        d.ts("NIC receive misses and FIFO errors", [
          ["sum by (instance, device) (rate(netstack_netdev_receive_missed_errors_total{%(base)s}[$__rate_interval]))", "{{instance}} {{device}} missed"],
          ["sum by (instance, device) (rate(netstack_netdev_receive_fifo_errors_total{%(base)s}[$__rate_interval]))", "{{instance}} {{device}} rx fifo"],
          ["sum by (instance, device) (rate(netstack_netdev_receive_crc_errors_total{%(base)s}[$__rate_interval]))", "{{instance}} {{device}} crc"],
        ], "pps", 
        "Frames the NIC itself lost: missed (no free descriptor in the rx ring), FIFO overruns, CRC errors. Missed/fifo: enlarge the rings (ethtool -G), add channels (ethtool -L) or spread interrupts; CRC: replace the cable or optic.", w=8, links=[d.link(c, "netstack-interfaces")]),
        d.ts("NIC per-queue drops", [
          ["sum by (instance, device, queue, direction) (rate(netstack_ethtool_queue_drops{%(base)s}[$__rate_interval]))", "{{instance}} {{device}} {{direction}} q{{queue}}"],
        ], "pps", 
        "Drops per hardware queue as the driver reports them (ethtool -S). One queue dropping while others idle means unbalanced RSS hashing: check ethtool -x and the flow mix; all queues dropping means the host cannot keep up.", w=8, links=[d.link(c, "netstack-queues")]),
        d.stat("Link speed (slowest)", [
          ["min by (instance) (netstack_netdev_speed_bytes{%(base)s}) * 8", "{{instance}}"],
        ], "bps", 
        "Lowest negotiated link speed among devices that report one. A 10 Gb/s port showing 1 Gb/s has negotiated down: check the cable, the optic and the switch port configuration.", [[null, "blue"]], w=4, h=8, links=[d.link(c, "netstack-interfaces")]),
        d.stat("Half-duplex links", [
          ["count by (instance) (netstack_ethtool_full_duplex{%(base)s} == 0 and on(instance, job, device) netstack_netdev_carrier{%(base)s} == 1) or on(instance) (0 * count by (instance) (netstack_netdev_up{%(base)s}))", "{{instance}}"],
        ], "none", 
        "Links with carrier that negotiated half duplex (NetstackInterfaceHalfDuplex). Must be 0: a duplex mismatch causes collisions and heavy loss. Enable autonegotiation on both ends (ethtool -s DEV autoneg on) or fix both to full.", [[null, "green"], [1, "red"]], w=4, h=8, links=[d.link(c, "netstack-interfaces")]),
      ]),
  },
}

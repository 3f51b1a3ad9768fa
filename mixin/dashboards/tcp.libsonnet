// Dashboard definition (mixin/lib/dashboard.libsonnet has the builders).
local d = import '../lib/dashboard.libsonnet';
{
  local c = $._config,
  grafanaDashboards+:: {
    'tcp.json': d.board(c, "tcp",
      "TCP connections, listeners and their accept queues, per-port connections, ephemeral port pressure and UDP sockets (tcp and udp collectors).",
      [
        d.row("Listeners"),
        d.table("Listeners: accept queue", [
          ["netstack_tcp_listener_queue_length{%(base)s}", ""],
          ["netstack_tcp_listener_queue_max{%(base)s}", ""],
        ], "short", 
        "Every TCP listener (address and port) with its accept queue length (Value #A) and capacity (Value #B; it holds one more). Length above capacity means SYNs are dropped now: the application does not accept() fast enough. Check the process, raise its backlog and net.core.somaxconn.", w=12, h=9),
        d.ts("Accept queue fill per listener", [
          ["netstack_tcp_listener_queue_length{%(base)s} / (netstack_tcp_listener_queue_max{%(base)s} + 1)", "{{instance}} {{address}} port {{port}}"],
        ], "percentunit", 
        "Accept queue length over capacity per listener. 100% = full, new connections are dropped (ListenOverflows). A listener that stays full has a stuck or overloaded application.", w=12, h=9, max_=1, thresholds=[[null, "green"], [0.8, "orange"], [1, "red"]]),
        d.ts("Listen overflows and drops", [
          ["sum by (instance) (rate(netstack_snmp_tcpext_listen_overflows_total{%(base)s}[$__rate_interval]))", "{{instance}} overflows"],
          ["sum by (instance) (rate(netstack_snmp_tcpext_listen_drops_total{%(base)s}[$__rate_interval]))", "{{instance}} drops"],
          ["sum by (instance) (rate(netstack_snmp_tcpext_tcp_req_qfull_drop_total{%(base)s}[$__rate_interval]))", "{{instance}} SYN queue full drops"],
        ], "cps", 
        "Connections dropped at listeners: accept queue full (overflows), any listener drop, and SYNs dropped because the SYN queue was full without syncookies. Should be 0; the table above names the listener.", w=8),
        d.ts("SYN cookies", [
          ["sum by (instance) (rate(netstack_snmp_tcpext_syncookies_sent_total{%(base)s}[$__rate_interval]))", "{{instance}} sent"],
          ["sum by (instance) (rate(netstack_snmp_tcpext_syncookies_recv_total{%(base)s}[$__rate_interval]))", "{{instance}} received"],
          ["sum by (instance) (rate(netstack_snmp_tcpext_syncookies_failed_total{%(base)s}[$__rate_interval]))", "{{instance}} failed"],
        ], "cps", 
        "SYN cookies sent when a SYN queue overflowed. Occasional bursts are harmless; a steady rate is a SYN flood or a too small tcp_max_syn_backlog/backlog.", w=8),
        d.stat("Listening ports", [
          ["netstack_tcp_listening_ports{%(base)s}", "{{instance}}"],
        ], "short", 
        "Distinct local ports with a listener. A drop means a service stopped listening: check the service; a rise above the tcp collector's max-ports (64) sends the extra ports to the port=\"overflow\" series.", [[null, "blue"]], w=8, h=8),
        d.row("Connections"),
        d.ts("Connections by state", [
          ["sum by (instance, state) (netstack_tcp_connections{%(base)s,state!=\"listen\"})", "{{instance}} {{state}}"],
        ], "short", 
        "All TCP sockets by state. syn_recv growth: SYN flood or slow accept; syn_sent growth: unreachable backends; time_wait near tcp_max_tw_buckets: churn; close_wait growth: the application does not close.", w=12, stack=true),
        d.ts("Server connections per listening port", [
          ["sum by (instance, port) (netstack_tcp_local_port_connections{%(base)s,state=\"established\"})", "{{instance}} :{{port}}"],
        ], "short", 
        "Established connections per local listening port (server side). Compare with what the service expects; port=\"overflow\" sums the ports beyond max-ports.", w=12),
        d.ts("Queued bytes", [
          ["sum by (instance) (netstack_tcp_receive_queue_bytes{%(base)s})", "{{instance}} received, unread"],
          ["sum by (instance) (netstack_tcp_send_queue_bytes{%(base)s})", "{{instance}} sent, unacknowledged"],
        ], "bytes", 
        "Bytes waiting in socket queues. Unread data grows when applications read too slowly; unacknowledged data grows when peers or the path are slow (loss, small windows).", w=8),
        d.ts("CLOSE_WAIT with unread data", [
          ["sum by (instance) (netstack_tcp_close_wait_unread_sockets{%(base)s})", "{{instance}} sockets"],
          ["sum by (instance) (netstack_tcp_close_wait_unread_bytes{%(base)s})", "{{instance}} bytes"],
        ], "short", 
        "Sockets whose peer closed while the application still had data to read, and how much. A steady rise is an application that stopped reading: ss -tnp state close-wait names it.", w=8),
        d.ts("Retransmissions", [
          ["sum by (instance) (rate(netstack_snmp_tcp_retrans_segs_total{%(base)s}[$__rate_interval]))", "{{instance}} retransmitted"],
          ["sum by (instance) (rate(netstack_snmp_tcpext_tcp_timeouts_total{%(base)s}[$__rate_interval]))", "{{instance}} RTO timeouts"],
          ["sum by (instance) (rate(netstack_snmp_tcpext_tcp_syn_retrans_total{%(base)s}[$__rate_interval]))", "{{instance}} SYN retransmits"],
        ], "pps", 
        "Segments retransmitted, retransmission timeouts and SYN retransmits. SYN retransmits: the peer's listener drops or the path loses SYNs; RTOs: heavy loss.", w=8),
        d.row("Ephemeral ports (client side)"),
        d.ts("Ephemeral ports in use per destination", [
          ["netstack_tcp_ephemeral_ports_in_use{%(base)s} / on(instance) group_left netstack_tcp_ephemeral_port_range_size{%(base)s}", "{{instance}} {{destination}} port {{port}}"],
        ], "percentunit", 
        "Share of ip_local_port_range used toward each of the busiest destinations. Near 100% connect() fails (EADDRNOTAVAIL): pool connections, enable tcp_tw_reuse, widen the range or spread over more destination addresses.", w=12, max_=1, thresholds=[[null, "green"], [0.8, "red"]]),
        d.stat("Ephemeral port range", [
          ["netstack_tcp_ephemeral_port_range_size{%(base)s}", "{{instance}}"],
        ], "short", 
        "Ports in net.ipv4.ip_local_port_range. The Linux default is 28232; a much smaller range runs out sooner.", [[null, "red"], [10000, "green"]], w=12, h=8),
        d.row("UDP sockets"),
        d.ts("UDP drops per socket", [
          ["sum by (instance, address, port) (rate(netstack_udp_drops_total{%(base)s}[$__rate_interval]))", "{{instance}} {{address}} port {{port}}"],
        ], "pps", 
        "Datagrams dropped per local address and port (receive buffer full, memory, checksum, filter). Should be 0: raise SO_RCVBUF and net.core.rmem_max, or read faster (more threads, SO_REUSEPORT).", w=12),
        d.ts("UDP receive buffer fill", [
          ["netstack_udp_receive_queue_bytes{%(base)s} / netstack_udp_receive_buffer_bytes{%(base)s}", "{{instance}} {{address}} port {{port}}"],
        ], "percentunit", 
        "Receive memory in use over the receive buffer per socket. A socket near 100% is about to drop: the application is falling behind.", w=12, max_=1, thresholds=[[null, "green"], [0.8, "red"]]),
        d.ts("UDP datagrams", [
          ["sum by (instance) (rate(netstack_snmp_udp_in_datagrams_total{%(base)s}[$__rate_interval]))", "{{instance}} in"],
          ["sum by (instance) (rate(netstack_snmp_udp_out_datagrams_total{%(base)s}[$__rate_interval]))", "{{instance}} out"],
          ["sum by (instance) (rate(netstack_snmp_udp_rcvbuf_errors_total{%(base)s}[$__rate_interval]))", "{{instance}} receive buffer errors"],
        ], "pps", 
        "Host-wide UDP datagrams and receive buffer errors, the context for the per-socket panels. Receive buffer errors without a socket above: the socket has since closed.", w=12),
        d.table("UDP sockets", [
          ["netstack_udp_sockets{%(base)s}", ""],
        ], "short", 
        "UDP sockets per local address and port (port=\"ephemeral\": connected client sockets). An unexpected port is a process to identify with ss -ulpn.", w=12, h=8),
      ]),
  },
}

// Dashboard definition (mixin/lib/dashboard.libsonnet has the builders).
local d = import '../lib/dashboard.libsonnet';
{
  local c = $._config,
  grafanaDashboards+:: {
    'interfaces.json': d.board(c, "interfaces",
      "Per-device counters, link state and NIC properties (netdev and ethtool collectors).",
      [
        d.row("State"),
        d.table("Devices", [
          ["netstack_netdev_info{%(base)s,device=~\"$device\"}", ""],
          ["netstack_netdev_mtu_bytes{%(base)s,device=~\"$device\"}", ""],
        ], "none", 
        "Every device with its kind, address, operational state and MTU (Value #B). A device that should be up and shows down or lowerlayerdown: check the cable, ip link, and dmesg.", w=16, h=8, hide=["Value #A"]),
        d.stat("Devices not up", [
          ["count by (instance) (netstack_netdev_oper_state{%(base)s,device=~\"$device\",state=\"up\"} == 0) or on(instance) (0 * count by (instance) (netstack_netdev_oper_state{%(base)s,device=~\"$device\",state=\"up\"}))", "{{instance}}"],
        ], "none", 
        "Devices whose operational state is not up. Loopback reports unknown and counts here; anything else should be explained (administratively down, no carrier).", [[null, "green"], [2, "orange"]], w=8, h=8),
        d.row("Traffic"),
        d.ts("Throughput", [
          ["sum by (instance, device) (rate(netstack_netdev_receive_bytes_total{%(base)s,device=~\"$device\"}[$__rate_interval])) * 8", "{{instance}} {{device}} rx"],
          ["-sum by (instance, device) (rate(netstack_netdev_transmit_bytes_total{%(base)s,device=~\"$device\"}[$__rate_interval])) * 8", "{{instance}} {{device}} tx"],
        ], "bps", 
        "Bits per second received (up) and sent (down). A flat top is a saturated link or a shaper: compare with the link speed and the qdisc classes.", w=12, minv=null),
        d.ts("Link utilisation", [
          ["max by (instance, device) (rate(netstack_netdev_receive_bytes_total{%(base)s,device=~\"$device\"}[$__rate_interval]) / netstack_netdev_speed_bytes{%(base)s,device=~\"$device\"})", "{{instance}} {{device}} rx"],
          ["max by (instance, device) (rate(netstack_netdev_transmit_bytes_total{%(base)s,device=~\"$device\"}[$__rate_interval]) / netstack_netdev_speed_bytes{%(base)s,device=~\"$device\"})", "{{instance}} {{device}} tx"],
        ], "percentunit", 
        "Throughput over the negotiated link speed (devices that report one). Sustained use above 80% brings queueing and drops: add capacity or shape.", w=12, thresholds=[[null, "green"], [0.8, "red"]]),
        d.ts("Packets", [
          ["sum by (instance, device) (rate(netstack_netdev_receive_packets_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} rx"],
          ["-sum by (instance, device) (rate(netstack_netdev_transmit_packets_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} tx"],
        ], "pps", 
        "Packets per second. Many packets at low throughput (small packets) cost CPU: check the softnet panels on the queues dashboard.", w=12, minv=null),
        d.ts("Multicast received", [
          ["sum by (instance, device) (rate(netstack_netdev_receive_multicast_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}}"],
        ], "pps", 
        "Multicast packets received. A storm here (a loop, a misbehaving peer) burns CPU on every host of the segment.", w=12),
        d.row("Errors and drops"),
        d.ts("Receive errors by kind", [
          ["sum by (instance, device) (rate(netstack_netdev_receive_crc_errors_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} crc"],
          ["sum by (instance, device) (rate(netstack_netdev_receive_frame_errors_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} frame"],
          ["sum by (instance, device) (rate(netstack_netdev_receive_length_errors_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} length"],
          ["sum by (instance, device) (rate(netstack_netdev_receive_over_errors_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} over"],
          ["sum by (instance, device) (rate(netstack_netdev_receive_fifo_errors_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} fifo"],
          ["sum by (instance, device) (rate(netstack_netdev_receive_missed_errors_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} missed"],
        ], "pps", 
        "Receive errors split as the driver reports them. crc/frame: physical layer (cable, optic, duplex); missed/fifo/over: the NIC ran out of ring buffers (ethtool -G, more channels, IRQ affinity); length: MTU mismatch.", w=12),
        d.ts("Transmit errors by kind", [
          ["sum by (instance, device) (rate(netstack_netdev_transmit_aborted_errors_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} aborted"],
          ["sum by (instance, device) (rate(netstack_netdev_transmit_carrier_errors_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} carrier"],
          ["sum by (instance, device) (rate(netstack_netdev_transmit_fifo_errors_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} fifo"],
          ["sum by (instance, device) (rate(netstack_netdev_transmit_heartbeat_errors_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} heartbeat"],
          ["sum by (instance, device) (rate(netstack_netdev_transmit_window_errors_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} window"],
          ["sum by (instance, device) (rate(netstack_netdev_collisions_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} collisions"],
        ], "pps", 
        "Transmit errors. carrier: link lost while sending; collisions only happen at half duplex (a duplex mismatch: check ethtool autonegotiation on both ends).", w=12),
        d.ts("Drops", [
          ["sum by (instance, device) (rate(netstack_netdev_receive_dropped_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} rx"],
          ["sum by (instance, device) (rate(netstack_netdev_transmit_dropped_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} tx"],
          ["sum by (instance, device) (rate(netstack_netdev_receive_nohandler_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} no handler"],
        ], "pps", 
        "Packets the device (driver) dropped. rx drops are often unknown protocols or VLANs (harmless) or a full backlog; no handler: frames for a protocol nothing listens to; tx drops: the driver's queue was full.", w=12),
        d.ts("Carrier changes", [
          ["sum by (instance, device) (increase(netstack_netdev_carrier_changes_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}}"],
        ], "short", 
        "Carrier changes in the interval. Repeated flaps: a bad cable, optic or switch port, or autonegotiation trouble.", w=12),
        d.row("Link (ethtool)"),
        d.table("Drivers", [
          ["netstack_ethtool_info{%(base)s,device=~\"$device\"}", ""],
        ], "none", 
        "Driver, version, firmware and bus of each device. Compare firmware versions across hosts when only some of them show errors.", w=12, h=8, hide=["Value"]),
        d.ts("Link speed", [
          ["netstack_netdev_speed_bytes{%(base)s,device=~\"$device\"} * 8", "{{instance}} {{device}}"],
        ], "bps", 
        "Negotiated speed. A step down (10G to 1G) is a renegotiation: check the cable, optic and the switch port.", w=6),
        d.stat("Half duplex links", [
          ["count by (instance) (netstack_ethtool_full_duplex{%(base)s,device=~\"$device\"} == 0) or on(instance) (0 * count by (instance) (netstack_ethtool_full_duplex{%(base)s,device=~\"$device\"}))", "{{instance}}"],
        ], "none", 
        "Links running half duplex. Should be 0 on any modern network: a duplex mismatch causes collisions, late collisions and heavy loss; enable autonegotiation on both ends.", [[null, "green"], [1, "red"]], w=6, h=8),
        d.ts("Pause frames", [
          ["sum by (instance, device, direction) (rate(netstack_ethtool_pause_frames_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} {{direction}}"],
        ], "pps", 
        "Ethernet flow-control frames. Received pause frames: the switch asks this host to slow down (congested port); sent: this NIC cannot keep up.", w=12),
        d.ts("FEC corrected and uncorrectable", [
          ["sum by (instance, device) (rate(netstack_ethtool_fec_corrected_blocks_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} corrected"],
          ["sum by (instance, device) (rate(netstack_ethtool_fec_uncorrectable_blocks_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} uncorrectable"],
        ], "cps", 
        "Forward error correction blocks. Rising corrected blocks warn of a degrading link; uncorrectable blocks are lost frames: clean or replace the optic/cable.", w=12),
      ], extra_vars=[d.deviceVar]),
  },
}

// Dashboard definition (mixin/lib/dashboard.libsonnet has the builders).
local d = import '../lib/dashboard.libsonnet';
{
  local c = $._config,
  grafanaDashboards+:: {
    'queues.json': d.board(c, "queues",
      "Transmit queueing disciplines and their classes, the NIC's hardware queues and the per-CPU receive backlog (qdisc, ethtool and softnet collectors).",
      [
        d.row("Qdiscs"),
        d.table("Root qdiscs", [
          ["netstack_qdisc_root_info{%(base)s,device=~\"$device\"}", ""],
        ], "none", 
        "The root qdisc of each device (kind). noqueue is normal for virtual devices; pfifo_fast on a busy NIC usually means net.core.default_qdisc was never set (fq or fq_codel are the usual choices).", w=8, h=8, hide=["Value"]),
        d.ts("Qdisc drops", [
          ["sum by (instance, device, handle, kind) (rate(netstack_qdisc_drops_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} {{kind}} {{handle}}"],
        ], "pps", 
        "Packets dropped per qdisc (the root includes its children). Find the leaf that drops: a shaper's leaf queue is full (raise limit or the class rate), fq_codel drops are it keeping latency down (expected under overload).", w=8),
        d.ts("Qdisc backlog", [
          ["sum by (instance, device, handle, kind) (netstack_qdisc_backlog_bytes{%(base)s,device=~\"$device\"})", "{{instance}} {{device}} {{kind}} {{handle}}"],
        ], "bytes", 
        "Bytes waiting in each qdisc. A standing backlog is queueing delay (bufferbloat): backlog / link rate = delay. Use fq_codel or fq, or shape slightly below the bottleneck rate.", w=8),
        d.ts("Qdisc throughput", [
          ["sum by (instance, device, handle, kind) (rate(netstack_qdisc_bytes_total{%(base)s,device=~\"$device\"}[$__rate_interval])) * 8", "{{instance}} {{device}} {{kind}} {{handle}}"],
        ], "bps", 
        "Bits per second dequeued per qdisc. Compare with the shaping rates and the link speed.", w=8),
        d.ts("Overlimits and requeues", [
          ["sum by (instance, device, handle, kind) (rate(netstack_qdisc_overlimits_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} {{kind}} {{handle}} overlimits"],
          ["sum by (instance, device, handle, kind) (rate(netstack_qdisc_requeues_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} {{kind}} {{handle}} requeues"],
        ], "cps", 
        "Overlimits: a shaper held packets back (normal while shaping). Requeues: the driver refused a packet (its ring was full); persistent requeues mean the NIC's transmit ring or queue count is too small.", w=8),
        d.ts("Qdisc queue length", [
          ["sum by (instance, device, handle, kind) (netstack_qdisc_queue_length{%(base)s,device=~\"$device\"})", "{{instance}} {{device}} {{kind}} {{handle}}"],
        ], "short", 
        "Packets waiting in each qdisc. Close to the qdisc's limit means drops are next.", w=8),
        d.row("Classes (htb and other classful qdiscs)"),
        d.ts("Class drops", [
          ["sum by (instance, device, classid) (rate(netstack_qdisc_class_drops_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} {{classid}}"],
        ], "pps", 
        "Packets dropped per class. The class is at its rate/ceil and its leaf queue is full: raise rate or ceil if the traffic is entitled to it, or the leaf qdisc's limit for bursts.", w=8),
        d.ts("Class rate use", [
          ["rate(netstack_qdisc_class_bytes_total{%(base)s,device=~\"$device\"}[$__rate_interval]) / netstack_qdisc_htb_class_ceil_bytes_per_second{%(base)s,device=~\"$device\"}", "{{instance}} {{device}} {{classid}}"],
        ], "percentunit", 
        "Bytes per second sent by each htb class over its ceil. Near 100% the class is saturated and queues or drops; plan capacity or raise ceil.", w=8, thresholds=[[null, "green"], [0.9, "red"]]),
        d.ts("Class backlog", [
          ["sum by (instance, device, classid) (netstack_qdisc_class_backlog_bytes{%(base)s,device=~\"$device\"})", "{{instance}} {{device}} {{classid}}"],
        ], "bytes", 
        "Bytes waiting per class: the queueing delay the class adds (backlog / rate).", w=8),
        d.ts("HTB borrowing", [
          ["sum by (instance, device, classid) (rate(netstack_qdisc_htb_class_borrows_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} {{classid}} borrowed"],
          ["sum by (instance, device, classid) (rate(netstack_qdisc_htb_class_lends_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} {{classid}} within rate"],
        ], "pps", 
        "Packets an htb class sent within its own rate and packets it borrowed from its parent. Constant borrowing means the class's guaranteed rate is too low for its normal load.", w=8),
        d.ts("HTB tokens", [
          ["min by (instance, device, classid) (netstack_qdisc_htb_class_tokens_seconds{%(base)s,device=~\"$device\"})", "{{instance}} {{device}} {{classid}}"],
        ], "s", 
        "Time worth of tokens a class has at its rate; negative while it exceeds its rate. Persistently negative: the class is permanently over its rate.", w=8, minv=null),
        d.ts("Class throughput", [
          ["sum by (instance, device, classid) (rate(netstack_qdisc_class_bytes_total{%(base)s,device=~\"$device\"}[$__rate_interval])) * 8", "{{instance}} {{device}} {{classid}}"],
        ], "bps", 
        "Bits per second per class, to compare with its configured rate and ceil.", w=8),
        d.row("fq_codel"),
        d.ts("fq_codel drops and marks", [
          ["sum by (instance, device, handle) (rate(netstack_qdisc_fq_codel_drop_overlimit_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} {{handle}} overlimit drops"],
          ["sum by (instance, device, handle) (rate(netstack_qdisc_fq_codel_ecn_marks_total{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} {{handle}} ECN marks"],
        ], "pps", 
        "fq_codel drops because the queue hit its packet limit (overlimit) and ECN marks. Overlimit drops mean limit is too small for the traffic or one flow floods the queue.", w=12),
        d.ts("fq_codel flows", [
          ["sum by (instance, device, handle) (netstack_qdisc_fq_codel_new_flows{%(base)s,device=~\"$device\"})", "{{instance}} {{device}} {{handle}} new"],
          ["sum by (instance, device, handle) (netstack_qdisc_fq_codel_old_flows{%(base)s,device=~\"$device\"})", "{{instance}} {{device}} {{handle}} old"],
        ], "short", 
        "Flows in fq_codel's new and old lists. Thousands of flows with drops: consider raising flows or spreading over more tx queues (mq).", w=12),
        d.row("NIC hardware queues (ethtool)"),
        d.ts("Packets per hardware queue", [
          ["sum by (instance, device, queue, direction) (rate(netstack_ethtool_queue_packets{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} {{direction}} q{{queue}}"],
        ], "pps", 
        "Packets per hardware queue (driver statistics). Uneven queues mean RSS does not spread the flows (few flows, or an unsuitable hash: ethtool -x / -N).", w=12),
        d.ts("Drops per hardware queue", [
          ["sum by (instance, device, queue, direction) (rate(netstack_ethtool_queue_drops{%(base)s,device=~\"$device\"}[$__rate_interval]))", "{{instance}} {{device}} {{direction}} q{{queue}}"],
        ], "pps", 
        "Drops per hardware queue. One queue: its CPU is overloaded (check IRQ affinity); all queues: enlarge the rings (ethtool -G) or add channels (ethtool -L).", w=12),
        d.ts("Channels", [
          ["sum by (instance, device, type) (netstack_ethtool_channels{%(base)s,device=~\"$device\"})", "{{instance}} {{device}} {{type}}"],
          ["sum by (instance, device, type) (netstack_ethtool_channels_max{%(base)s,device=~\"$device\"})", "{{instance}} {{device}} {{type}} max"],
        ], "short", 
        "Channels (queue pairs) in use and the driver's maximum. Fewer channels than CPUs handling traffic with drops: raise them with ethtool -L.", w=12),
        d.ts("Ring sizes", [
          ["sum by (instance, device, ring) (netstack_ethtool_ring_entries{%(base)s,device=~\"$device\"})", "{{instance}} {{device}} {{ring}}"],
          ["sum by (instance, device, ring) (netstack_ethtool_ring_max_entries{%(base)s,device=~\"$device\"})", "{{instance}} {{device}} {{ring}} max"],
        ], "short", 
        "Descriptor ring sizes against the maximum. rx_missed errors with rings below the maximum: raise them (ethtool -G).", w=12),
        d.row("Softnet (per-CPU receive backlog)"),
        d.ts("Backlog drops per CPU", [
          ["sum by (instance, cpu) (rate(netstack_softnet_dropped_total{%(base)s}[$__rate_interval]))", "{{instance}} cpu {{cpu}}"],
        ], "pps", 
        "Packets dropped because a CPU's input backlog (netdev_max_backlog) was full. Raise net.core.netdev_max_backlog, spread the load with RPS/RSS.", w=8),
        d.ts("Time squeezes per CPU", [
          ["sum by (instance, cpu) (rate(netstack_softnet_times_squeezed_total{%(base)s}[$__rate_interval]))", "{{instance}} cpu {{cpu}}"],
        ], "cps", 
        "NAPI polls that stopped with work left (budget or time exhausted). Frequent squeezes: raise net.core.netdev_budget / netdev_budget_usecs, or spread interrupts.", w=8),
        d.ts("Packets processed per CPU", [
          ["sum by (instance, cpu) (rate(netstack_softnet_processed_total{%(base)s}[$__rate_interval]))", "{{instance}} cpu {{cpu}}"],
        ], "pps", 
        "Packets processed by each CPU's receive softirq. One CPU doing all the work while others idle: enable RPS or check the NIC's RSS and IRQ affinity.", w=8),
      ], extra_vars=[d.deviceVar]),
  },
}

// Dashboard definition (mixin/lib/dashboard.libsonnet has the builders).
local d = import '../lib/dashboard.libsonnet';
{
  local c = $._config,
  grafanaDashboards+:: {
    'conntrack.json': d.board(c, "conntrack",
      "Connection tracking: how full the table is, why packets are dropped, and what fills it (conntrack collector).",
      [
        d.row("Table"),
        d.stat("Table fill", [
          ["netstack_conntrack_entries{%(base)s} / netstack_conntrack_entries_limit{%(base)s}", "{{instance}}"],
        ], "percentunit", 
        "Entries over nf_conntrack_max. At 100% new connections are dropped. Raise net.netfilter.nf_conntrack_max (and nf_conntrack_buckets to about max/4), shorten the timeouts of the protocol that fills it, or exempt it with a notrack rule.", [[null, "green"], [0.8, "orange"], [0.95, "red"]], w=6, h=8),
        d.ts("Entries and limit", [
          ["netstack_conntrack_entries{%(base)s}", "{{instance}} entries"],
          ["netstack_conntrack_entries_limit{%(base)s}", "{{instance}} limit"],
        ], "short", 
        "Tracked connections against the limit. A climb toward the limit with steady traffic means entries are not expiring (long timeouts) or a scan/flood is creating them: see the breakdown below.", w=18, h=8),
        d.row("Drops and errors (per CPU, summed)"),
        d.ts("Drops", [
          ["sum by (instance) (rate(netstack_conntrack_drop_total{%(base)s}[$__rate_interval]))", "{{instance}} dropped"],
          ["sum by (instance) (rate(netstack_conntrack_early_drop_total{%(base)s}[$__rate_interval]))", "{{instance}} early drop"],
        ], "pps", 
        "New connections dropped because the table was full and nothing could be evicted (dropped), or unassured entries evicted to make room (early drop). Any value means the table is too small for the load.", w=8),
        d.ts("Insert failures and clashes", [
          ["sum by (instance) (rate(netstack_conntrack_insert_failed_total{%(base)s}[$__rate_interval]))", "{{instance}} insert failed"],
          ["sum by (instance) (rate(netstack_conntrack_clash_resolve_total{%(base)s}[$__rate_interval]))", "{{instance}} clash resolved"],
          ["sum by (instance) (rate(netstack_conntrack_chaintoolong_total{%(base)s}[$__rate_interval]))", "{{instance}} chain too long"],
        ], "pps", 
        "Failed inserts (two packets of a new flow racing on different CPUs, typical of UDP DNS), clashes resolved, and hash chains too long. Chain too long: raise nf_conntrack_buckets; insert failures with DNS: use single-request-reopen or TCP.", w=8),
        d.ts("Invalid and errors", [
          ["sum by (instance) (rate(netstack_conntrack_invalid_total{%(base)s}[$__rate_interval]))", "{{instance}} invalid"],
          ["sum by (instance) (rate(netstack_conntrack_error_total{%(base)s}[$__rate_interval]))", "{{instance}} ICMP errors"],
          ["sum by (instance) (rate(netstack_conntrack_search_restart_total{%(base)s}[$__rate_interval]))", "{{instance}} search restarts"],
        ], "pps", 
        "Packets that could not be tracked, ICMP errors, and lookups restarted because the table changed underneath. Invalid rising: asymmetric routing or out-of-window TCP; check nf_conntrack_tcp_be_liberal only as a last resort.", w=8),
        d.ts("Drops per CPU", [
          ["sum by (instance, cpu) (rate(netstack_conntrack_drop_total{%(base)s}[$__rate_interval]) + rate(netstack_conntrack_early_drop_total{%(base)s}[$__rate_interval]))", "{{instance}} cpu {{cpu}}"],
        ], "pps", 
        "Drops and early drops per CPU. Drops on only a few CPUs follow the receive queues that carry the busy flows; drops everywhere mean the table is simply too small.", w=12),
        d.ts("Lookups", [
          ["sum by (instance) (rate(netstack_conntrack_found_total{%(base)s}[$__rate_interval]))", "{{instance}} found"],
          ["sum by (instance) (rate(netstack_conntrack_insert_total{%(base)s}[$__rate_interval]))", "{{instance}} inserted"],
        ], "cps", 
        "Lookups that found an existing entry and entries inserted: the load on the table. A surge of inserts without matching traffic growth is a scan or a flood.", w=12),
        d.row("What is in the table (last breakdown dump)"),
        d.ts("Entries by protocol", [
          ["sum by (instance, family, protocol) (netstack_conntrack_table_entries{%(base)s})", "{{instance}} {{family}} {{protocol}}"],
        ], "short", 
        "Entries per family and protocol from the last table dump. The protocol that dominates during a fill is the one to shorten timeouts for (e.g. nf_conntrack_udp_timeout) or to exempt with notrack.", w=12, stack=true),
        d.ts("TCP entries by state", [
          ["sum by (instance, state) (netstack_conntrack_table_tcp_entries{%(base)s})", "{{instance}} {{state}}"],
        ], "short", 
        "TCP entries per conntrack state. Many established entries for connections that no longer exist: nf_conntrack_tcp_timeout_established (5 days by default) is too long; many syn_sent/syn_recv: a SYN flood or scan.", w=12, stack=true),
        d.table("Top sources", [
          ["netstack_conntrack_top_source_entries{%(base)s}", ""],
        ], "short", 
        "Original source addresses with the most entries (top-k, space-saving counts; exact when top_exact is 1). One address holding a large share is the client or scanner to look at.", w=12, h=8),
        d.table("Top destinations", [
          ["netstack_conntrack_top_destination_entries{%(base)s}", ""],
        ], "short", 
        "Original destinations (address, protocol, port) with the most entries. A single service dominating the table may deserve a notrack rule or shorter timeouts.", w=12, h=8),
        d.stat("Breakdown age", [
          ["time() - netstack_conntrack_breakdown_timestamp_seconds{%(base)s}", "{{instance}}"],
        ], "s", 
        "Seconds since the last table dump the breakdown panels come from. Normally up to the collector's breakdown-interval (60 s) plus the scrape interval; much older means dumps fail (see Collectors failing on the overview).", [[null, "green"], [300, "red"]], w=6, h=6),
        d.stat("Breakdown truncated", [
          ["netstack_conntrack_breakdown_truncated{%(base)s}", "{{instance}}"],
        ], "none", 
        "1 when the last dump stopped counting at breakdown-max-entries: the breakdown covers only part of the table. Raise breakdown-max-entries if the cost is acceptable.", [[null, "green"], [1, "red"]], w=6, h=6),
        d.stat("Breakdown dump time", [
          ["netstack_conntrack_breakdown_duration_seconds{%(base)s}", "{{instance}}"],
        ], "s", 
        "Wall time of the last table dump. It grows with the table; if it approaches the scrape timeout raise breakdown-interval or disable the breakdown.", [[null, "green"], [5, "orange"], [10, "red"]], w=6, h=6),
        d.stat("Hash buckets per entry limit", [
          ["netstack_sysctl_net_netfilter_nf_conntrack_max{%(base)s} / netstack_sysctl_net_netfilter_nf_conntrack_buckets{%(base)s}", "{{instance}}"],
        ], "short", 
        "nf_conntrack_max over nf_conntrack_buckets: the average chain length of a full table. Above about 8 lookups slow down; raise nf_conntrack_buckets.", [[null, "green"], [8, "orange"]], w=6, h=6),
      ]),
  },
}

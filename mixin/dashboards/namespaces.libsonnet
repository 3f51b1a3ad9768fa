// Network namespaces (issue 10): the namespaces the daemon collects
// (--netns.sources), who lives in them, and the top ones by conntrack,
// drops, listen overflows and sockets. Series of another namespace carry
// netns; the host's have none (netns!="" selects the others).
local d = import '../lib/dashboard.libsonnet';
{
  local c = $._config,
  local info = 'group_left (pod_uid, comm) netstack_netns_info{%(base)s}',
  grafanaDashboards+:: {
    'namespaces.json': d.board(c, 'namespaces',
      "Every network namespace netstack_exporter collects besides the host's (--netns.sources), attributed to its pod or container, and the ten busiest by conntrack entries, drops, listen overflows and sockets. Type a namespace's name into the Network namespace box of the other dashboards to see it in detail. Join pod_uid with kube-state-metrics' kube_pod_info{uid}.",
      [
        d.row('Discovery'),
        d.stat('Namespaces collected', [
          ['max by (instance) (netstack_netns_namespaces{%(base)s})', '{{instance}}'],
        ], 'short',
        'Namespaces listed by the last discovery, the daemon\'s own included. 1 means only the host: multi-namespace collection is off (--netns.sources) or found nothing.',
        [[null, 'blue']], w=4, h=6),
        d.stat('Namespaces not collected', [
          ['max by (instance) (netstack_netns_over_max{%(base)s})', '{{instance}}'],
        ], 'short',
        'Namespaces found but left out because of --netns.max. Must be 0: raise --netns.max or narrow --netns.include.',
        [[null, 'green'], [1, 'red']], w=4, h=6),
        d.stat('Entering other namespaces possible', [
          ['min by (instance) (netstack_netns_entering_possible{%(base)s})', '{{instance}}'],
        ], 'none',
        '1 when the daemon can enter other namespaces. 0: it lacks CAP_SYS_ADMIN (see the systemd drop-in in docs/SECURITY.md) and collects only its own.',
        [[null, 'red'], [1, 'green']], w=4, h=6,
        mappings=[{ type: 'value', options: { '0': { text: 'NO' }, '1': { text: 'YES' } } }]),
        d.ts('Enter and collection failures', [
          ['sum by (instance, netns) (rate(netstack_netns_enter_failures_total{%(base)s}[$__rate_interval]))', '{{instance}} {{netns}} enter'],
          ['sum by (instance, netns) (rate(netstack_netns_collect_failures_total{%(base)s}[$__rate_interval]))', '{{instance}} {{netns}} collect'],
        ], 'ops',
        'Namespaces that could not be entered (no CAP_SYS_ADMIN, the namespace vanished) or whose collection failed. Should be 0; a namespace that vanished mid-scrape counts once.',
        w=12, h=6),
        d.table('Namespaces and their owners', [
          'netstack_netns_info{%(base)s,netns!=""}',
        ], 'none',
        'One row per collected namespace: its label, nsfs inode, the Kubernetes pod UID and container ID found in a member process\'s cgroup path, and that process\'s name. Join pod_uid with kube_pod_info{uid} for the pod\'s name and namespace.',
        w=24, h=8, hide=['Value', '__name__']),
        d.row('Top namespaces'),
        d.ts('Conntrack table fill (top 10)', [
          ['topk(10, netstack_conntrack_entries{%(base)s,netns!=""} / on (instance, job, netns) (netstack_conntrack_entries_limit{%(base)s,netns!=""} > 0))', '{{instance}} {{netns}}'],
        ], 'percentunit',
        'Conntrack entries of each namespace over its limit (nf_conntrack_max is global: one pod can exhaust it while the host looks idle; conntrack is in the default --netns.collectors). Above 90%: NetstackConntrackTableNearlyFull fires for that namespace.',
        w=12, max_=1, thresholds=[[null, 'green'], [0.75, 'orange'], [0.9, 'red']]),
        d.ts('Conntrack drops (top 10)', [
          ['topk(10, sum by (instance, netns) (rate(netstack_conntrack_drop_total{%(base)s,netns!=""}[$__rate_interval])) + on (instance, netns) sum by (instance, netns) (rate(netstack_conntrack_early_drop_total{%(base)s,netns!=""}[$__rate_interval])))', '{{instance}} {{netns}}'],
        ], 'pps',
        'New connections refused because the conntrack table was full, per namespace. Should be 0; the namespace named here is the one to look at (conntrack -S inside it: ip netns exec NAME conntrack -S).',
        w=12),
        d.ts('Listen overflows (top 10)', [
          ['topk(10, sum by (instance, netns) (rate(netstack_snmp_tcpext_listen_overflows_total{%(base)s,netns!=""}[$__rate_interval])))', '{{instance}} {{netns}}'],
        ], 'pps',
        'Connections dropped because a listener\'s accept queue was full, per namespace. Should be 0: the pod\'s server does not accept() fast enough or its backlog is small (ss -ltn inside the namespace).',
        w=12),
        d.ts('Interface drops (top 10)', [
          ['topk(10, sum by (instance, netns) (rate(netstack_netdev_receive_dropped_total{%(base)s,netns!=""}[$__rate_interval]) + rate(netstack_netdev_transmit_dropped_total{%(base)s,netns!=""}[$__rate_interval])))', '{{instance}} {{netns}}'],
        ], 'pps',
        'Packets dropped by the interfaces of each namespace (the pod\'s veth end and loopback), both directions. Should be near 0; a rise points at that pod\'s traffic or limits.',
        w=12),
        d.ts('TCP sockets in use (top 10)', [
          ['topk(10, netstack_sockstat_tcp_inuse{%(base)s,netns!=""})', '{{instance}} {{netns}}'],
        ], 'short',
        'TCP sockets in use in each namespace. A namespace that keeps growing leaks connections; compare with its pod\'s expected load.',
        w=12),
        d.table('Namespaces by sockets, with their pods', [
          ['sort_desc(netstack_sockstat_tcp_inuse{%(base)s,netns!=""} * on (instance, job, netns) ' + info + ')', ''],
        ], 'short',
        'TCP sockets in use per namespace with the pod UID and process of the namespace (from netstack_netns_info), busiest first.',
        w=12, hide=['__name__']),
      ], perHost=false),
  },
}

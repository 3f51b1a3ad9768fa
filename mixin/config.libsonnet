// The mixin's settings. Override any of them:
//   (import 'mixin.libsonnet') + { _config+:: { selector: 'job="netstack"' } }
// or one alert's values:
//   { _config+:: { alerts+:: { NetstackConntrackTableFilling+: { threshold: 0.8 } } } }
{
  _config+:: {
    // Label matchers added to every netstack_* series the rules and alerts
    // read, e.g. 'job="netstack"' or 'job=~"netstack.*"'. Empty: any job.
    selector: '',
    // The labels that name one exporter: rules aggregate "by" them and
    // join "on" them. A series of another network namespace also carries
    // netns (the daemon's own namespace has none, so netns="" is the host).
    targetLabels: ['instance', 'job', 'netns'],
    // Multi-cluster setups: the cluster label is kept by every aggregation
    // and join, and the dashboards get a cluster variable.
    showMultiCluster: false,
    clusterLabel: 'cluster',
    // Where the runbooks live: <base><AlertName>.md.
    runbookURLBase: 'https://github.com/netstack-exporter/netstack_exporter/blob/main/docs/runbooks/',
    // Include the tuning advice (tuning.libsonnet, severity info) in
    // prometheusAlerts; the shipped files keep it apart in netstack-tuning.yml.
    tuningAlerts: false,
    // Descriptions name the network namespace of a series that has one and,
    // from netstack_netns_info, its pod UID (join kube_pod_info{uid}) and
    // process.
    netnsInDescriptions: true,
    // Labels added to every alert (besides severity).
    alertLabels: {},
    // Grafana: dashboard tags, refresh, time range.
    dashboardTags: ['netstack', 'network'],
    dashboardRefresh: '1m',
    dashboardFrom: 'now-3h',
    dashboardTitles: {
      overview: 'netstack / Host overview',
      tcp: 'netstack / TCP, listeners and UDP sockets',
      conntrack: 'netstack / Conntrack',
      queues: 'netstack / Queues: qdiscs, classes, NIC and softnet',
      interfaces: 'netstack / Interfaces',
      namespaces: 'netstack / Network namespaces',
    },
    // The selector of every dashboard query (Grafana variables).
    dashboardSelector: 'job="$job",instance=~"$instance"',
    // and, on the per-host dashboards, the namespace shown (netns variable)
    dashboardNetnsSelector: ',netns=~"$netns"',
    // Variables a drill-down link carries.
    linkVars: '${__url_time_range}&${datasource:queryparam}&${job:queryparam}&${instance:queryparam}',

    // Per alert: severity (critical pages, warning is a ticket, info a
    // finding), `for` and its thresholds. docs/ALERTS.md says why each
    // value is what it is.
    alerts+:: {
      NetstackConntrackTableFilling: { severity: 'warning', 'for': '10m', threshold: 0.75 },
      NetstackConntrackTableNearlyFull: { severity: 'critical', 'for': '5m', threshold: 0.9 },
      NetstackConntrackDropping: { severity: 'critical', 'for': '2m', threshold: 0 },
      NetstackConntrackInsertFailed: { severity: 'warning', 'for': '1h', threshold: 0 },
      NetstackConntrackExhaustionForecast: { severity: 'warning', 'for': '30m', window: '6h', horizon: '4 * 3600', minRatio: 0.5 },
      NetstackConntrackCollectorFailing: { severity: 'warning', 'for': '10m' },
      NetstackConntrackStatsUnavailable: { severity: 'info', 'for': '1h' },
      NetstackInterfaceErrors: { severity: 'warning', 'for': '15m', threshold: 0.01, minPackets: 10 },
      NetstackInterfaceDrops: { severity: 'warning', 'for': '15m', threshold: 0.01, minPackets: 100 },
      NetstackInterfaceRingOverflow: { severity: 'warning', 'for': '10m', threshold: 1 },
      NetstackInterfaceCarrierFlapping: { severity: 'warning', 'for': '5m', window: '15m', threshold: 4 },
      NetstackInterfaceLinkDown: { severity: 'warning', 'for': '2m' },
      NetstackInterfaceHalfDuplex: { severity: 'warning', 'for': '5m' },
      NetstackInterfaceSpeedDegraded: { severity: 'warning', 'for': '10m' },
      NetstackInterfaceSaturated: { severity: 'warning', 'for': '15m', threshold: 0.9 },
      NetstackQdiscDrops: { severity: 'warning', 'for': '15m', threshold: 0.01, minPackets: 100 },
      NetstackQdiscPersistentBacklog: { severity: 'warning', 'for': '5m', window: '15m', threshold: 100 },
      NetstackQdiscNotFairQueueing: { severity: 'info', 'for': '1h' },
      NetstackBBRWithoutFQ: { severity: 'info', 'for': '1h' },
      NetstackSoftnetBacklogDrops: { severity: 'warning', 'for': '1h', threshold: 0 },
      NetstackSoftnetTimeSqueeze: { severity: 'warning', 'for': '30m', threshold: 10 },
      NetstackTCPListenOverflows: { severity: 'warning', 'for': '1h', threshold: 0 },
      NetstackTCPAcceptQueueFilling: { severity: 'warning', 'for': '5m', threshold: 0.8 },
      NetstackTCPSynQueueDrops: { severity: 'warning', 'for': '1h', threshold: 0 },
      NetstackTCPSynCookiesSent: { severity: 'warning', 'for': '1h', threshold: 0 },
      NetstackTCPSynRecvHigh: { severity: 'warning', 'for': '10m', threshold: 0.5 },
      NetstackTCPEphemeralPortsFilling: { severity: 'warning', 'for': '10m', threshold: 0.8 },
      NetstackTCPEphemeralPortsExhausted: { severity: 'critical', 'for': '5m', threshold: 0.95 },
      NetstackTCPTimeWaitOverflow: { severity: 'warning', 'for': '1h', threshold: 0 },
      NetstackTCPMemoryPressure: { severity: 'warning', 'for': '5m', threshold: 1 },
      NetstackTCPMemoryExhausted: { severity: 'critical', 'for': '2m', threshold: 0.95 },
      NetstackTCPOrphansHigh: { severity: 'warning', 'for': '10m', threshold: 0.5 },
      NetstackTCPRetransmitRatioHigh: { severity: 'warning', 'for': '15m', threshold: 0.05, minSegments: 100 },
      NetstackTCPResetSpike: { severity: 'warning', 'for': '5m', threshold: 10, factor: 3 },
      NetstackTCPReceiveQueueDrops: { severity: 'warning', 'for': '1h', threshold: 0 },
      NetstackTCPCloseWaitGrowing: { severity: 'warning', 'for': '30m', threshold: 100 },
      NetstackUDPReceiveBufferErrors: { severity: 'warning', 'for': '1h', threshold: 0 },
      NetstackUDPSendBufferErrors: { severity: 'warning', 'for': '1h', threshold: 0 },
      NetstackUDPPortDrops: { severity: 'warning', 'for': '1h', threshold: 0 },
      NetstackSomaxconnLow: { severity: 'info', 'for': '15m', threshold: 4096 },
      NetstackTCPTwReuseDisabled: { severity: 'info', 'for': '30m', threshold: 0.3 },
      NetstackLocalPortRangeNarrow: { severity: 'info', 'for': '1h', threshold: 16384 },
      NetstackRmemMaxLow: { severity: 'info', 'for': '30m', threshold: 16777216 },
      NetstackWmemMaxLow: { severity: 'info', 'for': '30m', threshold: 16777216 },
      NetstackKeepaliveExceedsConntrackTimeout: { severity: 'info', 'for': '1h' },
      NetstackCollectorFailing: { severity: 'warning', 'for': '10m' },
      NetstackExporterScrapeSlow: { severity: 'warning', 'for': '15m', threshold: 5 },
      NetstackNftablesSetNearlyFull: { severity: 'warning', 'for': '10m', threshold: 0.9 },
      NetstackNftablesDropPolicySpike: { severity: 'warning', 'for': '10m', threshold: 10, factor: 3 },
      NetstackNftablesQuotaExceeded: { severity: 'warning', 'for': '5m' },
      NetstackNftablesCollectorFailing: { severity: 'warning', 'for': '10m' },
    },
  },
}

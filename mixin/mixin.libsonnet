// netstack_exporter monitoring mixin: prometheusRules (recording rules),
// prometheusAlerts and grafanaDashboards, set up by _config
// (config.libsonnet). scripts/gen-mixin writes the files shipped in
// config/prometheus/ and dashboards/ from it.
(import 'config.libsonnet') +
(import 'rules.libsonnet') +
(import 'alerts.libsonnet') +
(import 'nftables.libsonnet') +
(import 'tuning.libsonnet')
+ (import 'dashboards/overview.libsonnet')
+ (import 'dashboards/tcp.libsonnet')
+ (import 'dashboards/conntrack.libsonnet')
+ (import 'dashboards/queues.libsonnet')
+ (import 'dashboards/interfaces.libsonnet')
+ (import 'dashboards/namespaces.libsonnet')

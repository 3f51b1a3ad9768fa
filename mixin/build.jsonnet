// What scripts/gen-mixin writes: the shipped rule files and dashboards.
local mixin = (import 'mixin.libsonnet') + { _config+:: { tuningAlerts: false } };
{
  rules: {
    'netstack-rules.yml': mixin.prometheusRules,
    'netstack-alerts.yml': mixin.prometheusAlerts,
    'netstack-tuning.yml': mixin.prometheusTuningAlerts,
  },
  dashboards: mixin.grafanaDashboards,
}

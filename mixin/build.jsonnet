// What scripts/gen-mixin writes: the shipped rule files and dashboards.
local mixin = import 'mixin.libsonnet';
{
  rules: {
    'netstack-rules.yml': mixin.prometheusRules,
    'netstack-alerts.yml': mixin.prometheusAlerts,
  },
  dashboards: mixin.grafanaDashboards,
}

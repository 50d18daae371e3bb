// thoth-exporter's monitoring mixin: prometheusAlerts, prometheusRules (recording rules) and
// grafanaDashboards, all set from one _config (config.libsonnet). Plain jsonnet: no library to
// vendor. README.md, "Monitoring mixin", shows how to render it with your own _config.
(import 'config.libsonnet') +
(import 'alerts/alerts.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'dashboards/dashboards.libsonnet') +
{
  // Where the dashboards go (monitoring-mixins convention; kube-prometheus and the Grafana
  // operator read it).
  grafanaDashboardFolder:: $._config.grafanaDashboardFolder,
}

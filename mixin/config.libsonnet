// Everything an operator may want to change, in one place. Override it when importing the
// mixin, e.g.
//
//   (import 'mixin.libsonnet') + { _config+:: { thothSelector: 'job="thoth"' } }
//
// then render prometheusAlerts, prometheusRules and grafanaDashboards (README: "Monitoring
// mixin").
{
  _config+:: {
    // ---- Selectors: label matchers inserted between the braces of every query --------------

    // The Prometheus jobs that scrape the exporter itself: `up` and `absent(up)` of
    // ThothExporterDown / ThothExporterAbsent. deploy/prometheus names them thoth-exporter,
    // thoth-exporter-tls and thoth-exporter-file-sd.
    exporterJobSelector: 'job=~"thoth-exporter.*"',

    // Every series the exporter serves (pg_*, redis_*, probe_*, thoth_*, ...), in every alert,
    // recording rule and dashboard variable. Empty by default: the same series also come from
    // the jobs that scrape /probe (thoth-probe-http, thoth-shard-postgres in deploy/prometheus)
    // and from the Kubernetes sidecars, whose job is the application's name. Set it when one
    // Prometheus holds other exporters' series of the same names, e.g. 'job=~"thoth-.*"'.
    thothSelector: '',

    // The labels that tell one exporter from another: every join (on (...)) between two of the
    // exporter's series and every recording rule keeps them. Add e.g. 'cluster' when several
    // clusters share one Prometheus and their series carry it.
    exporterLabels: ['job', 'instance'],

    // ---- Thresholds ----------------------------------------------------------------------------

    // The documented thresholds (SPEC §7, the memory service's operations manual). The same
    // names and numbers as the exporter's `thresholds:` section and its built-in defaults
    // (exporter/thresholds.h, what `exporter --once` judges with); the mixin test fails when
    // they differ. A value strictly above a level reaches it, except disk_free_ratio (below).
    thresholds: {
      api_latency_seconds: { warning: 0.5, critical: 2 },
      db_connections_ratio: { warning: 0.80, critical: 0.95 },
      memory_usage_ratio: { warning: 0.70, critical: 0.90 },
      error_rate_ratio: { warning: 0.01, critical: 0.05 },
      chroma_collection_vectors: { warning: 1000000, critical: 5000000 },
      long_running_query_seconds: 300,
      slow_query_mean_seconds: 1,
      backup_max_age_seconds: 21600,  // the RPO, 6 h
      disk_free_ratio: { warning: 0.10, critical: 0.05 },
    },

    // The other numbers of the rules (not in SPEC §7 and not used by --once).
    postgresBloatRatio: 0.5,  // table or index: estimated dead space share ...
    postgresBloatBytes: 104857600,  // ... and at least this many bytes (100 MiB)
    postgresDeadRows: 10000,  // PostgresTableNotVacuumed: dead rows ...
    postgresDeadRowsRatio: 0.1,  // ... over this share of the table's rows ...
    postgresVacuumAgeSeconds: 86400,  // ... and no (auto)vacuum for this long
    postgresUnusedIndexBytes: 1048576,  // PostgresUnusedIndex: only indexes above 1 MiB
    backupShrunkRatio: 0.5,  // ThothBackupShrunk: newest below this share of the one before
    restartsIn15m: 2,  // ProcessRestarting / ContainerRestarting: more than this in 15 minutes
    tlsExpiryDays: { warning: 14, critical: 3 },  // TlsCertificateExpiring
    logUnparsedRatio: 0.5,  // ThothLogUnparsed: over this share of the lines ...
    logUnparsedMinLines: 20,  // ... out of at least this many in 10 minutes
    // MEM-002 ... MEM-008 warn above this many a minute (MEM-001 and MEM-005: any occurrence).
    memErrorsPerMinute: {
      'MEM-002': 6,
      'MEM-003': 6,
      'MEM-004': 6,
      'MEM-006': 60,
      'MEM-007': 6,
      'MEM-008': 6,
    },

    // ---- Links, dashboards -------------------------------------------------------------------

    // runbook_url of every alert: the alert's name in lower case goes in place of %s.
    runbookURLPattern: 'docs/runbooks.md#%s',
    // Where docs/runbooks.md is published, for the dashboards' runbook links (the hidden
    // `runbooks` constant of the error-codes dashboard).
    dashboardRunbooksURL: 'docs/runbooks.md',

    dashboardNamePrefix: 'Thoth / ',
    dashboardTags: ['thoth'],
    dashboardUIDPrefix: 'thoth-',
    // The folder Grafana (or the Grafana operator, kube-prometheus) puts the dashboards in.
    grafanaDashboardFolder: 'Thoth',
    dashboardRefresh: '30s',
    dashboardTimeFrom: 'now-6h',
  },
}

// prometheusAlerts: one group per area of the stack. The numbers come from _config.thresholds
// (SPEC §7) and the other _config numbers; every selector carries _config.thothSelector.
//
// Conventions: a warning and its critical share one alert name and differ by `severity`, so
// Alertmanager mutes the warning while the critical fires; alerts keep the labels that say what
// is affected (target, name, collection, log, code, ...); every division is guarded with
// `(divisor > 0)`; every rule has a `for:` so that a restart does not page.
local u = import '../lib/format.libsonnet';

{
  local c = $._config,
  local t = c.thresholds,
  // A selector of the exporter's series, with extra matchers.
  local s(extra=[]) = u.selector(c.thothSelector, extra),
  // The labels of one exporter (job, instance) plus more, for on (...).
  local on(more=[]) = u.labels(c.exporterLabels + more),
  // How ThothExporterAbsent names the jobs it looks for.
  local exporterJobText =
    if c.exporterJobSelector == 'job=~"thoth-exporter.*"' then 'with a job named thoth-exporter*'
    else 'matching up%s' % u.selector(c.exporterJobSelector),
  local alert(name, severity, forTime, expr, summary, description, labels={}) = {
    alert: name,
    expr: expr,
    'for': forTime,
    labels: { severity: severity } + labels,
    annotations: {
      summary: summary,
      description: description,
      runbook_url: c.runbookURLPattern % std.asciiLower(name),
    },
  },

  prometheusAlerts+:: {
    groups+: [
      // The exporter itself: scraped, complete, and running on a good configuration.
      {
        name: 'thoth-exporter',
        rules: [
          alert('ThothExporterDown',
                'critical',
                '2m',
                'up%s == 0' % u.selector(c.exporterJobSelector),
                'thoth-exporter {{ $labels.instance }} cannot be scraped',
                'Prometheus has failed to scrape the exporter at {{ $labels.instance }} for 2 minutes: every database, cache, vector store and service it watches is now unobserved.'),
          alert('ThothExporterAbsent',
                'critical',
                '5m',
                'absent(up%s)' % u.selector(c.exporterJobSelector),
                'No thoth-exporter is known to Prometheus',
                'Prometheus has had no scrape target %s for 5 minutes, so no alert of the stack can fire.' % exporterJobText),
          // Leaves out an http target that ServiceDown leaves out (thoth_probe_expected 0: never
          // seen up, nor its layout): a layout this host does not run is no failing collector.
          alert('ThothCollectorFailing',
                'warning',
                '5m',
                |||
                  (thoth_exporter_collector_success%(s)s
                    unless on(%(on)s)
                      label_replace(thoth_probe_expected%(s)s == 0, "collector", "http", "", "")) == 0
                ||| % { s: s(), on: on(['collector', 'target']) },
                'Collector {{ $labels.collector }} for {{ $labels.target }} is failing',
                'The {{ $labels.collector }} collector of {{ $labels.instance }} has not completed a collection of {{ $labels.target }} for 5 minutes (failed or timed out); its metrics are missing or stale.'),
          alert('ThothConfigReloadFailed',
                'warning',
                '5m',
                'thoth_exporter_config_last_reload_successful%s == 0' % s(),
                'thoth-exporter {{ $labels.instance }} rejected its new configuration',
                'The last configuration reload of {{ $labels.instance }} failed; the exporter keeps running on the previous configuration.'),
        ],
      },

      // PostgreSQL (the memory service's database).
      {
        name: 'thoth-postgres',
        rules: [
          alert('PostgresDown',
                'critical',
                '2m',
                'pg_up%s == 0' % s(),
                'PostgreSQL {{ $labels.target }} is down',
                'The exporter {{ $labels.instance }} has not been able to connect to PostgreSQL {{ $labels.target }} for 2 minutes.'),
        ] + [
          // Connections in use against the pool (pg_connections_limit: pool_size, or
          // max_connections minus the superuser reserve). A missing or zero limit never divides
          // into an alert.
          alert('PostgresConnectionsHigh',
                level[0],
                level[1],
                'sum without (datname, state) (pg_stat_activity_count%s) / (pg_connections_limit%s > 0) > %s'
                % [s(), s(), u.num(t.db_connections_ratio[level[0]])],
                'PostgreSQL {{ $labels.target }} uses {{ $value | humanizePercentage }} of its connection pool',
                'PostgreSQL {{ $labels.target }} has used {{ $value | humanizePercentage }} of its connection pool for %s (%s above %s %%)%s'
                % [level[2], level[0], u.pct(t.db_connections_ratio[level[0]]), level[3]])
          for level in [
            ['warning', '5m', '5 minutes', '.'],
            ['critical', '2m', '2 minutes', ': new connections will soon be refused.'],
          ]
        ] + [
          alert('PostgresLongRunningQuery',
                'warning',
                '1m',
                'pg_stat_activity_oldest_query_seconds%s > %s' % [s(), u.num(t.long_running_query_seconds)],
                'A query on {{ $labels.target }}/{{ $labels.datname }} has run for {{ $value | humanizeDuration }}',
                'The oldest active query in database {{ $labels.datname }} of {{ $labels.target }} has been running for {{ $value | humanizeDuration }} (limit %s).' % u.dur(t.long_running_query_seconds)),
          // Mean time per call over the last 5 minutes (not since the statistics reset, so a
          // statement that was slow once does not alert for ever).
          alert('PostgresSlowStatements',
                'warning',
                '15m',
                'rate(pg_stat_statements_seconds_total%s[5m]) / (rate(pg_stat_statements_calls_total%s[5m]) > 0) > %s'
                % [s(), s(), u.num(t.slow_query_mean_seconds)],
                'Statement {{ $labels.queryid }} on {{ $labels.target }}/{{ $labels.datname }} takes {{ $value | humanizeDuration }} per call',
                'Statement {{ $labels.queryid }} run by {{ $labels.user }} in {{ $labels.datname }} of {{ $labels.target }} has averaged {{ $value | humanizeDuration }} per call for 15 minutes (limit %s).' % u.dur(t.slow_query_mean_seconds)),
          alert('PostgresTableBloat',
                'warning',
                '1h',
                'pg_table_bloat_ratio%s > %s and pg_table_bloat_bytes%s > %s'
                % [s(), u.num(c.postgresBloatRatio), s(), u.num(c.postgresBloatBytes)],
                'Table {{ $labels.schemaname }}.{{ $labels.relname }} on {{ $labels.target }} is {{ $value | humanizePercentage }} bloat',
                'An estimated {{ $value | humanizePercentage }} of table {{ $labels.schemaname }}.{{ $labels.relname }} in {{ $labels.datname }} of {{ $labels.target }} is dead space (over %s %% and over %s MiB) for an hour.'
                % [u.pct(c.postgresBloatRatio), u.num(c.postgresBloatBytes / 1048576)]),
          alert('PostgresIndexBloat',
                'warning',
                '1h',
                'pg_index_bloat_ratio%s > %s and pg_index_bloat_bytes%s > %s'
                % [s(), u.num(c.postgresBloatRatio), s(), u.num(c.postgresBloatBytes)],
                'Index {{ $labels.schemaname }}.{{ $labels.indexrelname }} on {{ $labels.target }} is {{ $value | humanizePercentage }} bloat',
                'An estimated {{ $value | humanizePercentage }} of index {{ $labels.schemaname }}.{{ $labels.indexrelname }} in {{ $labels.datname }} of {{ $labels.target }} is dead space (over %s %% and over %s MiB) for an hour.'
                % [u.pct(c.postgresBloatRatio), u.num(c.postgresBloatBytes / 1048576)]),
          // Many dead rows, and neither VACUUM nor autovacuum for a day (last_* = 0 means never).
          alert('PostgresTableNotVacuumed',
                'warning',
                '1h',
                |||
                  pg_stat_user_tables_n_dead_tup%(s)s > %(rows)s
                  and pg_stat_user_tables_n_dead_tup%(s)s / (pg_stat_user_tables_n_live_tup%(s)s + pg_stat_user_tables_n_dead_tup%(s)s > 0) > %(ratio)s
                  and time() - pg_stat_user_tables_last_autovacuum%(s)s > %(age)s
                  and time() - pg_stat_user_tables_last_vacuum%(s)s > %(age)s
                ||| % {
                  s: s(),
                  rows: u.num(c.postgresDeadRows),
                  ratio: u.num(c.postgresDeadRowsRatio),
                  age: u.num(c.postgresVacuumAgeSeconds),
                },
                'Table {{ $labels.schemaname }}.{{ $labels.relname }} on {{ $labels.target }} is not being vacuumed',
                'Table {{ $labels.schemaname }}.{{ $labels.relname }} in {{ $labels.datname }} of {{ $labels.target }} has {{ $value }} dead rows (over %s %% of its rows) and has not been vacuumed for over a day.'
                % u.pct(c.postgresDeadRowsRatio)),
          // Informational: an index never scanned since the statistics were reset costs writes
          // and space.
          alert('PostgresUnusedIndex',
                'info',
                '1d',
                'pg_stat_user_indexes_size_bytes%s > %s and pg_stat_user_indexes_scans_total%s == 0'
                % [s(), u.num(c.postgresUnusedIndexBytes), s()],
                'Index {{ $labels.schemaname }}.{{ $labels.indexrelname }} on {{ $labels.target }} is unused',
                'Index {{ $labels.indexrelname }} on {{ $labels.schemaname }}.{{ $labels.relname }} in {{ $labels.datname }} of {{ $labels.target }} takes {{ $value | humanize1024 }}B and has not been scanned for a day.'),
          alert('PostgresStatStatementsUnavailable',
                'info',
                '1h',
                'pg_stat_statements_available%s == 0' % s(),
                'pg_stat_statements is not available on {{ $labels.target }}',
                "PostgreSQL {{ $labels.target }} has no pg_stat_statements extension (or the exporter's role cannot read it): slow statements cannot be detected."),
        ],
      },

      // Redis (cache and rate limiting).
      {
        name: 'thoth-redis',
        rules: [
          alert('RedisDown',
                'critical',
                '2m',
                'redis_up%s == 0' % s(),
                'Redis {{ $labels.target }} is down',
                'The exporter {{ $labels.instance }} has not been able to reach Redis {{ $labels.target }} for 2 minutes: caching and rate limiting are off.'),
        ] + [
          // Against maxmemory (0 = no limit: no alert). Same levels as memory usage (SPEC §7).
          alert('RedisMemoryHigh',
                level[0],
                '5m',
                'redis_memory_used_bytes%s / (redis_memory_max_bytes%s > 0) > %s'
                % [s(), s(), u.num(t.memory_usage_ratio[level[0]])],
                'Redis {{ $labels.target }} uses {{ $value | humanizePercentage }} of maxmemory',
                'Redis {{ $labels.target }} has used {{ $value | humanizePercentage }} of its maxmemory for 5 minutes (%s above %s %%)%s'
                % [level[0], u.pct(t.memory_usage_ratio[level[0]]), level[1]])
          for level in [
            ['warning', '.'],
            ['critical', ': keys are about to be evicted or writes refused.'],
          ]
        ] + [
          alert('RedisEvictions',
                'warning',
                '5m',
                'increase(redis_evicted_keys_total%s[5m]) > 0' % s(),
                'Redis {{ $labels.target }} is evicting keys',
                'Redis {{ $labels.target }} evicted {{ $value | humanize }} keys in the last 5 minutes, and has kept evicting for 5 minutes.'),
          alert('RedisRejectedConnections',
                'warning',
                '1m',
                'increase(redis_rejected_connections_total%s[5m]) > 0' % s(),
                'Redis {{ $labels.target }} is rejecting connections',
                'Redis {{ $labels.target }} rejected {{ $value | humanize }} connections in the last 5 minutes (maxclients reached).'),
          // The last RDB snapshot (BGSAVE) failed: a restart loses what was written since the last
          // good one, and with stop-writes-on-bgsave-error (the default) Redis refuses writes
          // (MISCONF).
          alert('RedisRdbBgsaveFailed',
                'critical',
                '2m',
                'redis_rdb_last_bgsave_status%s == 0' % s(),
                'Redis {{ $labels.target }} cannot save its RDB snapshot',
                'The last background save of Redis {{ $labels.target }} failed and no save has succeeded for 2 minutes: persistence is off and, with stop-writes-on-bgsave-error, writes are refused.'),
        ],
      },

      // ChromaDB (vector store).
      {
        name: 'thoth-chroma',
        rules: [
          alert('ChromaDown',
                'critical',
                '2m',
                'chroma_up%s == 0' % s(),
                'ChromaDB {{ $labels.target }} is down',
                'The exporter {{ $labels.instance }} has not had a heartbeat from ChromaDB {{ $labels.target }} for 2 minutes: semantic search is unavailable.'),
        ] + [
          alert('ChromaCollectionSize',
                level[0],
                '15m',
                'chroma_collection_records%s > %s' % [s(), u.num(t.chroma_collection_vectors[level[0]])],
                'Chroma collection {{ $labels.collection }} on {{ $labels.target }} holds {{ printf `%.0f` $value }} vectors',
                'Collection {{ $labels.collection }} ({{ $labels.tenant }}/{{ $labels.database }}) of {{ $labels.target }} holds {{ printf `%%.0f` $value }} vectors (%s above %s): %s'
                % [level[0], u.count(t.chroma_collection_vectors[level[0]]), level[1]])
          for level in [['warning', 'plan sharding.'], ['critical', 'shard it now.']]
        ] + [
          // MEM-005 as the exporter sees it: a collection whose dimension is not the expected one.
          alert('ChromaDimensionMismatch',
                'critical',
                '1m',
                'chroma_collection_dimension_mismatch%s == 1' % s(),
                'Chroma collection {{ $labels.collection }} on {{ $labels.target }} has the wrong vector dimension',
                'Collection {{ $labels.collection }} ({{ $labels.tenant }}/{{ $labels.database }}) of {{ $labels.target }} does not have the expected embedding dimension (MEM-005: vector dimension mismatch).',
                { code: 'MEM-005' }),
        ],
      },

      // Backups as the operations manual's script makes them (postgres_<ts>.dump,
      // chroma_<ts>.tar.gz), verified by the exporter's backup collector. Age and absence:
      // BackupTooOld / BackupMissing in thoth-services.
      {
        name: 'thoth-backup',
        rules: [
          // The newest file fails verification: a restore from it would fail. A file still being
          // written reads as truncated; the collector waits settle_seconds after its last write,
          // and for: 10m covers a pg_dump that pauses longer between writes.
          alert('ThothBackupUnverified',
                'critical',
                '10m',
                'thoth_backup_verified%s == 0' % s(),
                'Newest {{ $labels.backup }} backup does not verify',
                "The newest {{ $labels.backup }} backup file has failed verification for 10 minutes (see thoth_backup_verify_failure_info and the exporter's log for the reason): the last good backup is older than it looks."),
          // Much smaller than the backup before it: tables missing from the dump, or an archive of
          // an emptied data directory.
          alert('ThothBackupShrunk',
                'warning',
                '5m',
                'thoth_backup_last_size_bytes%s / (thoth_backup_previous_size_bytes%s > 0) < %s'
                % [s(), s(), u.num(c.backupShrunkRatio)],
                'Newest {{ $labels.backup }} backup is {{ $value | humanizePercentage }} of the one before',
                'The newest {{ $labels.backup }} backup is only {{ $value | humanizePercentage }} of the size of the backup before it (warning below %s %%): check that it holds everything before the older ones are rotated away.'
                % u.pct(c.backupShrunkRatio)),
        ],
      },
    ] + (import 'services.libsonnet')(c, s, on, alert) + [
      // JSON statistics endpoints read by the json collector (the memory service's
      // GET /api/memory/stats in the embedded default).
      {
        name: 'thoth-json',
        rules: [
          alert('JsonTargetDown',
                'warning',
                '5m',
                'json_up%s == 0' % s(),
                'JSON statistics of {{ $labels.target }} are unavailable',
                'The exporter {{ $labels.instance }} has not read a JSON document from {{ $labels.target }} for 5 minutes (down, hung, not 2xx, too large or not JSON): its statistics are missing.'),
        ],
      },
    ] + (import 'memory-errors.libsonnet')(c, s, on, alert) + [
      // The logs the exporter reads: a configured path that matches no file, or a log whose
      // lines mostly fail to parse (the wrong `format`/`log_format`), leaves the error-rate,
      // latency and MEM alerts silent. These make that silence visible.
      {
        name: 'thoth-logs',
        rules: [
          // The exporter exports thoth_log_files{log} after each look for the files (0: nothing
          // matches the path). 10 minutes: a rotation that recreates the file takes less.
          alert('ThothLogMissing',
                'warning',
                '10m',
                'thoth_log_files%s == 0' % s(),
                'Log {{ $labels.log }} has no file to read',
                'The path configured for log {{ $labels.log }} on {{ $labels.instance }} has matched no readable file for 10 minutes, so nothing it would report (error rate, latency, MEM codes) can alert.'),
          // More than half of the lines read over 10 minutes fail to parse, out of at least 20 (a
          // few odd lines, e.g. a TLS handshake on the plain port, in a quiet log are no problem).
          alert('ThothLogUnparsed',
                'warning',
                '5m',
                |||
                  increase(thoth_log_parse_errors_total%(s)s[10m])
                  / (increase(thoth_log_lines_total%(s)s[10m]) > 0)
                  > %(ratio)s
                  and increase(thoth_log_lines_total%(s)s[10m]) >= %(lines)s
                ||| % { s: s(), ratio: u.num(c.logUnparsedRatio), lines: u.num(c.logUnparsedMinLines) },
                '{{ $value | humanizePercentage }} of the lines of log {{ $labels.log }} do not parse',
                '{{ $value | humanizePercentage }} of the lines read from log {{ $labels.log }} on {{ $labels.instance }} over the last 10 minutes do not parse in its configured format, for 5 minutes: its requests and MEM codes are not counted.'),
        ],
      },
    ],
  },
}

// grafanaDashboards: overview, PostgreSQL, Redis, ChromaDB, services and containers, error codes
// and the exporter's self-health. Threshold lines and the numbers in the descriptions come from
// _config.thresholds (SPEC §7), the same numbers as the alerts and `exporter --once`. The ratios
// shown in several places read the recording rules of prometheusRules (rules/rules.libsonnet).
local codes = import '../lib/error-codes.libsonnet';
local u = import '../lib/format.libsonnet';

{
  local c = $._config,
  local g = (import 'grafana.libsonnet')(c),
  local RI = g.RI,
  local sel = g.sel,
  local queryVar = g.queryVar,
  local timeseries = g.timeseries,
  local stat = g.stat,
  local table = g.table,
  local text = g.text,
  local row = g.row,
  local link = g.link,
  local UP_MAPPINGS = g.UP_MAPPINGS,
  local dashboard(o) = g.dashboard(o.uid,
                                   o.title,
                                   o.description,
                                   o.tags,
                                   std.get(o, 'variables', []),
                                   o.panels),

  // The thresholds as Grafana steps take them: [warning, critical], or [level].
  local t = c.thresholds,
  local TH = { [k]: g.levels(t[k]) for k in std.objectFields(t) },
  // The same numbers in the panels' descriptions.
  // 'warning 80 %, critical 95 %' (first: 'Warning' to start a sentence).
  local pair(p, f, first='warning') = first + ' ' + f(p.warning) + ', critical ' + f(p.critical),
  local pct(x) = u.pct(x) + ' %',
  local vectors(x) = u.num(x / 1e6) + ' M',
  local X = {
    latency: pair(t.api_latency_seconds, u.durText),
    latencyBare: u.durText(t.api_latency_seconds.warning) + ', ' + u.durText(t.api_latency_seconds.critical),
    connections: pair(t.db_connections_ratio, pct),
    Connections: pair(t.db_connections_ratio, pct, 'Warning'),
    memory: pair(t.memory_usage_ratio, pct),
    Memory: pair(t.memory_usage_ratio, pct, 'Warning'),
    errors: pair(t.error_rate_ratio, pct),
    vectors: pair(t.chroma_collection_vectors, vectors),
    Vectors: pair(t.chroma_collection_vectors, vectors, 'Warning'),
    longQuery: u.durText(t.long_running_query_seconds),
    longQueryShort: u.num(t.long_running_query_seconds / 60) + ' min',
    rpo: u.durText(t.backup_max_age_seconds),
    disk: 'warning below %s, critical below %s' % [pct(t.disk_free_ratio.warning), pct(t.disk_free_ratio.critical)],
    Disk: 'Orange below %s, red below %s' % [pct(t.disk_free_ratio.warning), pct(t.disk_free_ratio.critical)],
  },

  // Where docs/runbooks.md is published: a hidden constant variable, so one edit fixes every link.
  local runbooksVar = { type: 'constant', name: 'runbooks', label: 'Runbooks', query: c.dashboardRunbooksURL, hide: 2, skipUrlSync: true },

  local targetVar(metric) = queryVar('target', 'target', 'label_values(%s%s, target)' % [metric, sel()]),
  local T() = sel('target=~"$target"'),

  // Share of 5xx responses per log; 0 (not "no data") when a log has traffic but no 5xx at all.
  local errorShare(by, extra=null) = chomp(|||
    (sum by (%(by)s) (rate(thoth_http_requests_total%(s5xx)s[%(RI)s])) or 0 * sum by (%(by)s) (rate(thoth_http_requests_total%(s)s[%(RI)s])))
    / (sum by (%(by)s) (rate(thoth_http_requests_total%(s)s[%(RI)s])) > 0)
  ||| % { by: by, s5xx: sel('status=~"5.."', extra), s: sel(extra), RI: RI }),
  local chomp(x) = std.substr(x, 0, std.length(x) - 1),
  local p95(by, extra=null, q=0.95) =
    'histogram_quantile(%s, sum by (le, %s) (rate(thoth_http_request_duration_seconds_bucket%s[%s])))' % [u.num(q), by, sel(extra), RI],

  local overview = dashboard({
    uid: 'overview',
    title: 'Overview',
    description: "Every service's health and the five documented thresholds at a glance.",
    tags: ['overview'],
    panels: [
      row('Health'),
      stat('PostgreSQL', 'pg_up per configured PostgreSQL target.', [{ expr: 'pg_up' + sel(), legend: '{{target}}' }], { unit: 'none', mappings: UP_MAPPINGS }),
      stat('Redis', 'redis_up per configured Redis target.', [{ expr: 'redis_up' + sel(), legend: '{{target}}' }], { unit: 'none', mappings: UP_MAPPINGS }),
      stat('ChromaDB', 'chroma_up per configured ChromaDB target.', [{ expr: 'chroma_up' + sel(), legend: '{{target}}' }], { unit: 'none', mappings: UP_MAPPINGS }),
      stat('Services', 'Health probe result (probe_success) per service.', [{ expr: 'probe_success' + sel(), legend: '{{target}}' }], { unit: 'none', mappings: UP_MAPPINGS, w: 6 }),
      stat('Failing collectors',
           'Collectors whose last collection failed or timed out (thoth_exporter_collector_success == 0).',
           [{ expr: 'count(thoth_exporter_collector_success' + sel() + ' == 0) or vector(0)', legend: 'failing' }],
           { unit: 'short', thresholds: [1] }),
      stat('Exporter scrape', 'Whether Prometheus can scrape the exporter (up).', [{ expr: 'up' + sel(), legend: '{{instance}}' }], { unit: 'none', mappings: UP_MAPPINGS, w: 2 }),

      row('The documented thresholds'),
      timeseries('API response time', 'p95 request duration from the access logs and health-probe durations. Lines: ' + X.latency + '.', [
        { expr: p95('log'), legend: 'p95 {{log}}' },
        { expr: 'max by (target) (probe_duration_seconds' + sel() + ')', legend: 'probe {{target}}' },
      ], { unit: 's', thresholds: TH.api_latency_seconds, w: 8 }),
      timeseries('Database connections', 'Connections in use over the pool (pg_connections_limit). Lines: ' + X.connections + '.', [
        { expr: 'max by (target) (target:thoth_pg_connections_in_use:ratio' + sel() + ')', legend: '{{target}}' },
      ], { unit: 'percentunit', min: 0, max: 1, thresholds: TH.db_connections_ratio, w: 8 }),
      timeseries('Memory usage', 'Container working set over its limit, host memory in use, Redis memory over maxmemory. Lines: ' + X.memory + '.', [
        { expr: 'max by (name) (name:thoth_container_memory_working_set:ratio' + sel() + ')', legend: 'container {{name}}' },
        { expr: 'max by (instance) (instance:thoth_host_memory_used:ratio' + sel() + ')', legend: 'host {{instance}}' },
        { expr: 'max by (target) (target:thoth_redis_memory_used:ratio' + sel() + ')', legend: 'redis {{target}}' },
      ], { unit: 'percentunit', min: 0, max: 1, thresholds: TH.memory_usage_ratio, w: 8 }),
      timeseries('Error rate', 'Share of 5xx responses in the access logs. Lines: ' + X.errors + '.', [
        { expr: errorShare('log'), legend: '{{log}}' },
      ], { unit: 'percentunit', min: 0, thresholds: TH.error_rate_ratio, w: 8 }),
      timeseries('ChromaDB collection size', 'Vectors per collection. Lines: ' + X.vectors + ' (consider sharding).', [
        { expr: 'max by (target, collection) (chroma_collection_records' + sel() + ')', legend: '{{target}} {{collection}}' },
      ], { unit: 'short', min: 0, thresholds: TH.chroma_collection_vectors, w: 8 }),
      timeseries('Oldest running query', 'Age of the oldest active PostgreSQL query. Line: ' + X.longQuery + '.', [
        { expr: 'max by (target, datname) (pg_stat_activity_oldest_query_seconds' + sel() + ')', legend: '{{target}} {{datname}}' },
      ], { unit: 's', min: 0, thresholds: TH.long_running_query_seconds, w: 8 }),

      row('Errors, disks and backups'),
      timeseries('MEM error codes', "Rate of the memory service's error codes (thoth_memory_errors_total) by code.", [
        { expr: 'sum by (code) (rate(thoth_memory_errors_total' + sel() + '[' + RI + ']))', legend: '{{code}}' },
      ], { unit: 'cps', min: 0, w: 8 }),
      stat('Backup age', 'Time since the newest backup file was written. Red beyond the ' + X.rpo + ' RPO.', [
        { expr: 'time() - max by (backup) (thoth_backup_last_timestamp_seconds' + sel() + ')', legend: '{{backup}}' },
      ], { unit: 's', thresholds: TH.backup_max_age_seconds, w: 8, h: 8 }),
      stat('Disk space available', 'Share of space available per watched filesystem. ' + X.Disk + '.', [
        { expr: 'min by (mountpoint) (mountpoint:thoth_filesystem_avail:ratio' + sel() + ')', legend: '{{mountpoint}}' },
      ], { unit: 'percentunit', thresholds: TH.disk_free_ratio, lower: true, w: 8, h: 8 }),
    ],
  }),

  local postgres = dashboard({
    uid: 'postgresql',
    title: 'PostgreSQL',
    description: "The memory service's PostgreSQL: connections against the pool, throughput, statements, tables and indexes.",
    tags: ['postgresql'],
    variables: [targetVar('pg_up')],
    panels: [
      row('Status'),
      stat('Up', 'pg_up: the exporter can connect and query.', [{ expr: 'pg_up' + T(), legend: '{{target}}' }], { unit: 'none', mappings: UP_MAPPINGS }),
      stat('Version', 'Server version (pg_static).', [{ expr: 'pg_static' + T(), legend: '{{short_version}}' }], { unit: 'none', textMode: 'name' }),
      stat('Uptime', 'Time since the postmaster started.', [{ expr: 'time() - pg_postmaster_start_time_seconds' + T(), legend: '{{target}}' }], { unit: 's' }),
      stat('Ping', 'Round trip of SELECT 1.', [{ expr: 'pg_ping_duration_seconds' + T(), legend: '{{target}}' }], { unit: 's', thresholds: TH.api_latency_seconds }),
      stat('Pool in use', 'Connections over pg_connections_limit. ' + X.Connections + '.', [
        { expr: 'max by (target) (target:thoth_pg_connections_in_use:ratio' + T() + ')', legend: '{{target}}' },
      ], { unit: 'percentunit', thresholds: TH.db_connections_ratio }),
      stat('Database size', 'Total size of the databases.', [{ expr: 'sum by (target) (pg_database_size_bytes' + T() + ')', legend: '{{target}}' }], { unit: 'bytes' }),

      row('Connections'),
      timeseries('Connections by state', 'pg_stat_activity_count by state, and the pool they count against.', [
        { expr: 'sum by (target, state) (pg_stat_activity_count' + T() + ')', legend: '{{target}} {{state}}' },
        { expr: 'max by (target) (pg_connections_limit' + T() + ')', legend: 'pool {{target}}' },
      ], { unit: 'short', min: 0, stack: false }),
      timeseries('Pool usage', 'Connections over the pool. Lines: ' + X.connections + '.', [
        { expr: 'max by (target) (target:thoth_pg_connections_in_use:ratio' + T() + ')', legend: '{{target}}' },
      ], { unit: 'percentunit', min: 0, max: 1, thresholds: TH.db_connections_ratio }),
      timeseries('Oldest query and transaction', 'Oldest active query (line at ' + X.longQueryShort + ') and longest open transaction per database.', [
        { expr: 'max by (target, datname) (pg_stat_activity_oldest_query_seconds' + T() + ')', legend: 'query {{datname}}' },
        { expr: 'max by (target, datname) (pg_stat_activity_max_tx_duration' + T() + ')', legend: 'transaction {{datname}}' },
      ], { unit: 's', min: 0, thresholds: TH.long_running_query_seconds }),
      timeseries('Long-running queries', 'Active queries running longer than long_running_query_seconds.', [
        { expr: 'sum by (target, datname) (pg_stat_activity_long_running_queries' + T() + ')', legend: '{{datname}}' },
      ], { unit: 'short', min: 0 }),

      row('Throughput'),
      timeseries('Transactions', 'Commits and rollbacks per second.', [
        { expr: 'sum by (target, datname) (rate(pg_stat_database_xact_commit' + T() + '[' + RI + ']))', legend: 'commit {{datname}}' },
        { expr: 'sum by (target, datname) (rate(pg_stat_database_xact_rollback' + T() + '[' + RI + ']))', legend: 'rollback {{datname}}' },
      ], { unit: 'ops', min: 0, w: 8 }),
      timeseries('Rows', 'Rows fetched, inserted, updated and deleted per second.', [
        { expr: 'sum by (target) (rate(pg_stat_database_tup_fetched' + T() + '[' + RI + ']))', legend: 'fetched' },
        { expr: 'sum by (target) (rate(pg_stat_database_tup_inserted' + T() + '[' + RI + ']))', legend: 'inserted' },
        { expr: 'sum by (target) (rate(pg_stat_database_tup_updated' + T() + '[' + RI + ']))', legend: 'updated' },
        { expr: 'sum by (target) (rate(pg_stat_database_tup_deleted' + T() + '[' + RI + ']))', legend: 'deleted' },
      ], { unit: 'ops', min: 0, w: 8 }),
      timeseries('Cache hit ratio', 'Share of block reads served from shared buffers.', [
        { expr: 'sum by (target) (rate(pg_stat_database_blks_hit' + T() + '[' + RI + '])) / (sum by (target) (rate(pg_stat_database_blks_hit' + T() + '[' + RI + '])) + sum by (target) (rate(pg_stat_database_blks_read' + T() + '[' + RI + '])) > 0)', legend: '{{target}}' },
      ], { unit: 'percentunit', max: 1, w: 8 }),
      timeseries('Deadlocks and conflicts', 'New deadlocks and recovery conflicts.', [
        { expr: 'sum by (target, datname) (increase(pg_stat_database_deadlocks' + T() + '[' + RI + ']))', legend: 'deadlocks {{datname}}' },
        { expr: 'sum by (target, datname) (increase(pg_stat_database_conflicts' + T() + '[' + RI + ']))', legend: 'conflicts {{datname}}' },
      ], { unit: 'short', min: 0, w: 8 }),
      timeseries('Temporary files', 'Bytes written to temporary files (work_mem too small).', [
        { expr: 'sum by (target, datname) (rate(pg_stat_database_temp_bytes' + T() + '[' + RI + ']))', legend: '{{datname}}' },
      ], { unit: 'Bps', min: 0, w: 8 }),
      timeseries('Locks', 'Locks held by mode.', [
        { expr: 'sum by (target, mode) (pg_locks_count' + T() + ')', legend: '{{mode}}' },
      ], { unit: 'short', min: 0, w: 8 }),
      timeseries('Checkpoints', 'Timed and requested checkpoints per second.', [
        { expr: 'sum by (target) (rate(pg_stat_bgwriter_checkpoints_timed_total' + T() + '[' + RI + ']))', legend: 'timed' },
        { expr: 'sum by (target) (rate(pg_stat_bgwriter_checkpoints_req_total' + T() + '[' + RI + ']))', legend: 'requested' },
      ], { unit: 'ops', min: 0, w: 12 }),
      timeseries('Buffers written', 'Buffers written by checkpoints, the background writer and backends.', [
        { expr: 'sum by (target) (rate(pg_stat_bgwriter_buffers_checkpoint_total' + T() + '[' + RI + ']))', legend: 'checkpoint' },
        { expr: 'sum by (target) (rate(pg_stat_bgwriter_buffers_clean_total' + T() + '[' + RI + ']))', legend: 'bgwriter' },
        { expr: 'sum by (target) (rate(pg_stat_bgwriter_buffers_backend_total' + T() + '[' + RI + ']))', legend: 'backend' },
      ], { unit: 'ops', min: 0, w: 12 }),

      row('Statements'),
      timeseries('Slowest statements', 'Mean seconds per call over the interval (pg_stat_statements), top 10. Line: slow_query_mean_seconds.', [
        { expr: 'topk(10, rate(pg_stat_statements_seconds_total' + T() + '[' + RI + ']) / (rate(pg_stat_statements_calls_total' + T() + '[' + RI + ']) > 0))', legend: '{{datname}} {{queryid}}' },
      ], { unit: 's', min: 0, thresholds: TH.slow_query_mean_seconds }),
      timeseries('Busiest statements', 'Calls per second, top 10.', [
        { expr: 'topk(10, rate(pg_stat_statements_calls_total' + T() + '[' + RI + ']))', legend: '{{datname}} {{queryid}}' },
      ], { unit: 'ops', min: 0 }),
      stat('Slow statements', 'Statements whose mean time exceeds slow_query_mean_seconds (pg_slow_queries).', [
        { expr: 'sum by (target) (pg_slow_queries' + T() + ')', legend: '{{target}}' },
      ], { unit: 'short', thresholds: [1], w: 6 }),
      stat('pg_stat_statements', 'Whether the extension is available to the exporter.', [
        { expr: 'pg_stat_statements_available' + T(), legend: '{{target}}' },
      ], { unit: 'none', mappings: g.mappings01('missing', 'orange', 'available', 'green'), w: 6 }),

      row('Tables and indexes'),
      timeseries('Dead rows', 'Tables with the most dead rows (vacuum backlog), top 10.', [
        { expr: 'topk(10, pg_stat_user_tables_n_dead_tup' + T() + ')', legend: '{{datname}} {{relname}}' },
      ], { unit: 'short', min: 0, w: 8 }),
      timeseries('Table bloat', 'Estimated dead space share per table, top 10. Line: ' + u.pct(c.postgresBloatRatio) + ' %.', [
        { expr: 'topk(10, pg_table_bloat_ratio' + T() + ')', legend: '{{datname}} {{relname}}' },
      ], { unit: 'percentunit', min: 0, thresholds: [c.postgresBloatRatio], w: 8 }),
      timeseries('Index bloat', 'Estimated dead space share per index, top 10. Line: ' + u.pct(c.postgresBloatRatio) + ' %.', [
        { expr: 'topk(10, pg_index_bloat_ratio' + T() + ')', legend: '{{datname}} {{indexrelname}}' },
      ], { unit: 'percentunit', min: 0, thresholds: [c.postgresBloatRatio], w: 8 }),
      timeseries('Sequential scans', 'Sequential scans per second by table, top 10 (missing indexes).', [
        { expr: 'topk(10, rate(pg_stat_user_tables_seq_scan' + T() + '[' + RI + ']))', legend: '{{datname}} {{relname}}' },
      ], { unit: 'ops', min: 0, w: 8 }),
      timeseries('Vacuum and analyze', 'Autovacuum and autoanalyze runs over the time range.', [
        { expr: 'sum by (target) (increase(pg_stat_user_tables_autovacuum_count' + T() + '[$__range]))', legend: 'autovacuum' },
        { expr: 'sum by (target) (increase(pg_stat_user_tables_autoanalyze_count' + T() + '[$__range]))', legend: 'autoanalyze' },
      ], { unit: 'short', min: 0, w: 8 }),
      stat('Tables not itemised', 'Tables beyond tables.limit, counted but without per-table series.', [
        { expr: 'sum by (target) (pg_stat_user_tables_omitted' + T() + ')', legend: '{{target}}' },
      ], { unit: 'short', w: 8, h: 8 }),
      table('Unused indexes', 'Indexes not scanned over the time range (primary keys excluded), with their size.', [
        { expr: 'pg_stat_user_indexes_size_bytes' + T() + ' and on (target, datname, schemaname, relname, indexrelname) (increase(pg_stat_user_indexes_scans_total' + T() + '[$__range]) == 0)' },
      ], { unit: 'bytes', w: 24 }),

      row('Replication'),
      stat('Replica', 'Whether this server is a replica.', [{ expr: 'pg_replication_is_replica' + T(), legend: '{{target}}' }], {
        unit: 'none',
        w: 6,
        mappings: g.mappings01('primary', 'blue', 'replica', 'purple'),
      }),
      timeseries('Replication lag', 'Seconds behind the primary (0 on a primary).', [
        { expr: 'pg_replication_lag_seconds' + T(), legend: '{{target}}' },
      ], { unit: 's', min: 0, w: 18 }),
    ],
  }),

  local redis = dashboard({
    uid: 'redis',
    title: 'Redis',
    description: 'Redis cache and rate limiter: memory against maxmemory, evictions, clients, commands.',
    tags: ['redis'],
    variables: [targetVar('redis_up')],
    panels: [
      row('Status'),
      stat('Up', 'redis_up.', [{ expr: 'redis_up' + T(), legend: '{{target}}' }], { unit: 'none', mappings: UP_MAPPINGS }),
      stat('Version', 'Version and role (redis_instance_info).', [{ expr: 'redis_instance_info' + T(), legend: '{{redis_version}} {{role}}' }], { unit: 'none', textMode: 'name' }),
      stat('Uptime', 'Seconds since Redis started.', [{ expr: 'redis_uptime_in_seconds' + T(), legend: '{{target}}' }], { unit: 's' }),
      stat('Ping', 'Round trip of PING.', [{ expr: 'redis_ping_duration_seconds' + T(), legend: '{{target}}' }], { unit: 's', thresholds: TH.api_latency_seconds }),
      stat('Memory of maxmemory', 'Used memory over maxmemory. ' + X.Memory + '.', [
        { expr: 'target:thoth_redis_memory_used:ratio' + T(), legend: '{{target}}' },
      ], { unit: 'percentunit', thresholds: TH.memory_usage_ratio }),
      stat('Last save', 'Result of the last RDB save.', [{ expr: 'redis_rdb_last_bgsave_status' + T(), legend: '{{target}}' }], {
        unit: 'none',
        mappings: g.mappings01('failed', 'red', 'ok', 'green'),
      }),

      row('Memory'),
      timeseries('Memory', 'Used, resident and maximum memory.', [
        { expr: 'redis_memory_used_bytes' + T(), legend: 'used {{target}}' },
        { expr: 'redis_memory_used_rss_bytes' + T(), legend: 'rss {{target}}' },
        { expr: 'redis_memory_max_bytes' + T(), legend: 'maxmemory {{target}}' },
      ], { unit: 'bytes', min: 0, w: 8 }),
      timeseries('Memory of maxmemory', 'Lines: ' + X.memory + '.', [
        { expr: 'target:thoth_redis_memory_used:ratio' + T(), legend: '{{target}}' },
      ], { unit: 'percentunit', min: 0, max: 1, thresholds: TH.memory_usage_ratio, w: 8 }),
      timeseries('Fragmentation', 'RSS over used memory; above 1.5 is wasteful.', [
        { expr: 'redis_mem_fragmentation_ratio' + T(), legend: '{{target}}' },
      ], { unit: 'short', min: 0, thresholds: [1.5], w: 8 }),
      timeseries('Evictions and expirations', 'Keys evicted (memory pressure) and expired per second.', [
        { expr: 'rate(redis_evicted_keys_total' + T() + '[' + RI + '])', legend: 'evicted {{target}}' },
        { expr: 'rate(redis_expired_keys_total' + T() + '[' + RI + '])', legend: 'expired {{target}}' },
      ], { unit: 'ops', min: 0, w: 12 }),
      timeseries('Hit ratio', 'Keyspace hits over lookups.', [
        { expr: 'rate(redis_keyspace_hits_total' + T() + '[' + RI + ']) / (rate(redis_keyspace_hits_total' + T() + '[' + RI + ']) + rate(redis_keyspace_misses_total' + T() + '[' + RI + ']) > 0)', legend: '{{target}}' },
      ], { unit: 'percentunit', min: 0, max: 1, w: 12 }),

      row('Clients and commands'),
      timeseries('Clients', 'Connected and blocked clients against maxclients.', [
        { expr: 'redis_connected_clients' + T(), legend: 'connected {{target}}' },
        { expr: 'redis_blocked_clients' + T(), legend: 'blocked {{target}}' },
        { expr: 'redis_config_maxclients' + T(), legend: 'maxclients {{target}}' },
      ], { unit: 'short', min: 0, w: 8 }),
      timeseries('Connections', 'Connections received and rejected (maxclients reached) per second.', [
        { expr: 'rate(redis_connections_received_total' + T() + '[' + RI + '])', legend: 'received {{target}}' },
        { expr: 'rate(redis_rejected_connections_total' + T() + '[' + RI + '])', legend: 'rejected {{target}}' },
      ], { unit: 'ops', min: 0, w: 8 }),
      timeseries('Commands', 'Commands processed per second.', [
        { expr: 'rate(redis_commands_processed_total' + T() + '[' + RI + '])', legend: '{{target}}' },
      ], { unit: 'ops', min: 0, w: 8 }),
      timeseries('Top commands', 'Calls per second by command, top 10.', [
        { expr: 'topk(10, sum by (target, cmd) (rate(redis_commands_total' + T() + '[' + RI + '])))', legend: '{{target}} {{cmd}}' },
      ], { unit: 'ops', min: 0, w: 8 }),
      timeseries('Command latency', 'Mean seconds per call by command, top 10.', [
        { expr: 'topk(10, sum by (target, cmd) (rate(redis_commands_duration_seconds_total' + T() + '[' + RI + '])) / (sum by (target, cmd) (rate(redis_commands_total' + T() + '[' + RI + '])) > 0))', legend: '{{target}} {{cmd}}' },
      ], { unit: 's', min: 0, w: 8 }),
      timeseries('Errors', 'Error replies per second by error type.', [
        { expr: 'sum by (target, err) (rate(redis_errors_total' + T() + '[' + RI + ']))', legend: '{{target}} {{err}}' },
      ], { unit: 'ops', min: 0, w: 8 }),

      row('Keys, network and persistence'),
      timeseries('Keys', 'Keys and keys with a TTL per database.', [
        { expr: 'sum by (target, db) (redis_db_keys' + T() + ')', legend: '{{db}}' },
        { expr: 'sum by (target, db) (redis_db_keys_expiring' + T() + ')', legend: '{{db}} expiring' },
      ], { unit: 'short', min: 0, w: 8 }),
      timeseries('Counted keys', 'Keys matching the count_keys patterns (e.g. rate-limit keys).', [
        { expr: 'redis_keys_count' + T(), legend: '{{db}} {{key}}' },
      ], { unit: 'short', min: 0, w: 8 }),
      timeseries('Network', 'Bytes in and out per second.', [
        { expr: 'rate(redis_net_input_bytes_total' + T() + '[' + RI + '])', legend: 'in {{target}}' },
        { expr: 'rate(redis_net_output_bytes_total' + T() + '[' + RI + '])', legend: 'out {{target}}' },
      ], { unit: 'Bps', min: 0, w: 8 }),
      timeseries('CPU', 'CPU seconds per second, system and user.', [
        { expr: 'rate(redis_cpu_sys_seconds_total' + T() + '[' + RI + '])', legend: 'sys {{target}}' },
        { expr: 'rate(redis_cpu_user_seconds_total' + T() + '[' + RI + '])', legend: 'user {{target}}' },
      ], { unit: 'percentunit', min: 0, w: 8 }),
      timeseries('Slow log', 'Entries in the slow log and the duration of the last slow command.', [
        { expr: 'redis_slowlog_length' + T(), legend: 'entries {{target}}' },
      ], { unit: 'short', min: 0, w: 8 }),
      stat('Last slow command', 'Duration of the last command in the slow log.', [
        { expr: 'redis_last_slow_execution_duration_seconds' + T(), legend: '{{target}}' },
      ], { unit: 's', w: 4, h: 8 }),
      stat('Since last save', 'Time since the last successful RDB save.', [
        { expr: 'time() - redis_rdb_last_save_timestamp_seconds' + T(), legend: '{{target}}' },
      ], { unit: 's', w: 4, h: 8 }),
      stat('Replicas', 'Connected replicas.', [{ expr: 'redis_connected_slaves' + T(), legend: '{{target}}' }], { unit: 'short', w: 4, h: 8 }),
      stat('Memory of host', "Used memory over the host's total memory.", [
        { expr: 'redis_memory_used_bytes' + T() + ' / (redis_total_system_memory_bytes' + T() + ' > 0)', legend: '{{target}}' },
      ], { unit: 'percentunit', w: 4, h: 8 }),
    ],
  }),

  local chroma = dashboard({
    uid: 'chromadb',
    title: 'ChromaDB',
    description: 'The vector store: heartbeat, collections, vectors per collection against the sharding thresholds, embedding dimensions (MEM-005).',
    tags: ['chromadb'],
    variables: [targetVar('chroma_up')],
    panels: [
      row('Status'),
      stat('Up', 'chroma_up: the heartbeat answers.', [{ expr: 'chroma_up' + T(), legend: '{{target}}' }], { unit: 'none', mappings: UP_MAPPINGS }),
      stat('Version', 'Server version and API (v1 or v2).', [{ expr: 'chroma_info' + T(), legend: '{{version}} ({{api}})' }], { unit: 'none', textMode: 'name' }),
      stat('Heartbeat', 'Duration of the heartbeat request.', [{ expr: 'chroma_heartbeat_duration_seconds' + T(), legend: '{{target}}' }], { unit: 's', thresholds: TH.api_latency_seconds }),
      stat('Collections', 'Collections per tenant and database.', [{ expr: 'sum by (target) (chroma_collections' + T() + ')', legend: '{{target}}' }], { unit: 'short' }),
      stat('Largest collection', 'Vectors in the largest collection. ' + X.Vectors + '.', [
        { expr: 'max by (target) (chroma_collection_records' + T() + ')', legend: '{{target}}' },
      ], { unit: 'short', thresholds: TH.chroma_collection_vectors }),
      stat('Dimension mismatches', 'Collections whose dimension differs from expected_dimension (MEM-005).', [
        { expr: 'sum by (target) (chroma_collection_dimension_mismatch' + T() + ')', legend: '{{target}}' },
      ], { unit: 'short', thresholds: [1] }),

      row('Collections'),
      timeseries('Vectors per collection', 'Records per collection. Lines: ' + X.vectors + ' (consider sharding).', [
        { expr: 'chroma_collection_records' + T(), legend: '{{tenant}}/{{database}}/{{collection}}' },
      ], { unit: 'short', min: 0, thresholds: TH.chroma_collection_vectors }),
      timeseries('Heartbeat duration', 'Lines: ' + X.latency + '.', [
        { expr: 'chroma_heartbeat_duration_seconds' + T(), legend: '{{target}}' },
      ], { unit: 's', min: 0, thresholds: TH.api_latency_seconds }),
      table('Embedding dimensions', 'Dimension of each collection.', [
        { expr: 'chroma_collection_dimension' + T() },
      ], { unit: 'none' }),
      timeseries('MEM-005 observed', 'Vector dimension mismatches counted by the exporter and the memory service.', [
        { expr: 'sum by (source) (rate(thoth_memory_errors_total' + sel('code="MEM-005"') + '[' + RI + '])) or vector(0)', legend: '{{source}}' },
        { expr: 'sum by (target) (chroma_collection_dimension_mismatch' + T() + ')', legend: 'mismatched collections {{target}}' },
      ], { unit: 'short', min: 0 }),
    ],
  }),

  local services = dashboard({
    uid: 'services',
    title: 'Services and containers',
    description: 'Health probes of the HTTP services, access-log traffic and latency, containers, processes, host memory, disks and backups.',
    tags: ['services', 'containers'],
    variables: [
      queryVar('service', 'service', 'label_values(probe_success{job=~"$job",instance=~"$instance"}, target)'),
      queryVar('log', 'access log', 'label_values(thoth_http_requests_total{job=~"$job",instance=~"$instance"}, log)'),
      queryVar('container', 'container', 'label_values(container_memory_working_set_bytes{job=~"$job",instance=~"$instance"}, name)'),
    ],
    panels: [
      row('Health checks'),
      stat('Services', 'Health probe result per service.', [{ expr: 'probe_success' + sel('target=~"$service"'), legend: '{{target}}' }], { unit: 'none', mappings: UP_MAPPINGS, w: 8, h: 8 }),
      timeseries('Probe duration', 'Health probe duration per service. Lines: ' + X.latency + '.', [
        { expr: 'probe_duration_seconds' + sel('target=~"$service"'), legend: '{{target}}' },
      ], { unit: 's', min: 0, thresholds: TH.api_latency_seconds, w: 16 }),
      timeseries('Probe phases', 'Where the probe time goes: resolve, connect, tls, processing, transfer.', [
        { expr: 'sum by (target, phase) (probe_http_duration_seconds' + sel('target=~"$service"') + ')', legend: '{{target}} {{phase}}' },
      ], { unit: 's', min: 0, stack: true, w: 8 }),
      timeseries('Status code', 'HTTP status of the last probe.', [
        { expr: 'probe_http_status_code' + sel('target=~"$service"'), legend: '{{target}}' },
      ], { unit: 'none', w: 8 }),
      timeseries('Body check failed', 'The response body failed the configured JSON/regex check.', [
        { expr: 'probe_failed_due_to_body' + sel('target=~"$service"'), legend: '{{target}}' },
      ], { unit: 'none', min: 0, max: 1, stepped: true, w: 8 }),

      row('Access logs'),
      timeseries('Requests', 'Requests per second by status.', [
        { expr: 'sum by (log, status) (rate(thoth_http_requests_total' + sel('log=~"$log"') + '[' + RI + ']))', legend: '{{log}} {{status}}' },
      ], { unit: 'reqps', min: 0, stack: true, w: 8 }),
      timeseries('Latency', 'p50, p95 and p99 request duration. Lines: ' + X.latency + ' (p95).', [
        { expr: p95('log', 'log=~"$log"', 0.5), legend: 'p50 {{log}}' },
        { expr: p95('log', 'log=~"$log"'), legend: 'p95 {{log}}' },
        { expr: p95('log', 'log=~"$log"', 0.99), legend: 'p99 {{log}}' },
      ], { unit: 's', min: 0, thresholds: TH.api_latency_seconds, w: 8 }),
      timeseries('Error rate', 'Share of 5xx responses. Lines: ' + X.errors + '.', [
        { expr: errorShare('log', 'log=~"$log"'), legend: '{{log}}' },
      ], { unit: 'percentunit', min: 0, thresholds: TH.error_rate_ratio, w: 8 }),

      row('Containers'),
      timeseries('CPU', 'CPU seconds per second per container.', [
        { expr: 'sum by (name) (rate(container_cpu_usage_seconds_total' + sel('name=~"$container"') + '[' + RI + ']))', legend: '{{name}}' },
      ], { unit: 'percentunit', min: 0, w: 8 }),
      timeseries('CPU throttling', 'Seconds throttled by the CPU quota per second.', [
        { expr: 'sum by (name) (rate(container_cpu_cfs_throttled_seconds_total' + sel('name=~"$container"') + '[' + RI + ']))', legend: '{{name}}' },
      ], { unit: 'percentunit', min: 0, w: 8 }),
      timeseries('OOM kills', 'Out-of-memory events per interval.', [
        { expr: 'sum by (name) (increase(container_oom_events_total' + sel('name=~"$container"') + '[' + RI + ']))', legend: '{{name}}' },
      ], { unit: 'short', min: 0, w: 8 }),
      timeseries('Memory', 'Working set (usage minus inactive file cache) and limit.', [
        { expr: 'container_memory_working_set_bytes' + sel('name=~"$container"'), legend: 'working set {{name}}' },
        { expr: 'container_spec_memory_limit_bytes' + sel('name=~"$container"') + ' > 0', legend: 'limit {{name}}' },
      ], { unit: 'bytes', min: 0, w: 12 }),
      timeseries('Memory of limit', 'Working set over the limit. Lines: ' + X.memory + ' (restart services).', [
        { expr: 'name:thoth_container_memory_working_set:ratio' + sel('name=~"$container"'), legend: '{{name}}' },
      ], { unit: 'percentunit', min: 0, max: 1, thresholds: TH.memory_usage_ratio, w: 12 }),

      row('Processes'),
      timeseries('Processes', 'Processes per group.', [
        { expr: 'namedprocess_namegroup_num_procs' + sel(), legend: '{{groupname}}' },
      ], { unit: 'short', min: 0, w: 6 }),
      timeseries('Process CPU', 'CPU seconds per second per group.', [
        { expr: 'sum by (groupname) (rate(namedprocess_namegroup_cpu_seconds_total' + sel() + '[' + RI + ']))', legend: '{{groupname}}' },
      ], { unit: 'percentunit', min: 0, w: 6 }),
      timeseries('Process memory', 'Resident memory per group.', [
        { expr: 'namedprocess_namegroup_memory_bytes' + sel('memtype="resident"'), legend: '{{groupname}}' },
      ], { unit: 'bytes', min: 0, w: 6 }),
      timeseries('Open files', 'Open file descriptors per group.', [
        { expr: 'namedprocess_namegroup_open_filedesc' + sel(), legend: '{{groupname}}' },
      ], { unit: 'short', min: 0, w: 6 }),

      row('Host, disks and backups'),
      timeseries('Host memory', 'Memory in use (1 - MemAvailable/MemTotal). Lines: ' + X.memory + '.', [
        { expr: 'instance:thoth_host_memory_used:ratio' + sel(), legend: '{{instance}}' },
      ], { unit: 'percentunit', min: 0, max: 1, thresholds: TH.memory_usage_ratio, w: 8 }),
      timeseries('Disk space available', 'Share of space available. Lines: ' + X.disk + '.', [
        { expr: 'mountpoint:thoth_filesystem_avail:ratio' + sel(), legend: '{{mountpoint}}' },
      ], { unit: 'percentunit', min: 0, max: 1, thresholds: TH.disk_free_ratio, lower: true, w: 8 }),
      timeseries('Disk bytes available', 'Bytes available per filesystem.', [
        { expr: 'node_filesystem_avail_bytes' + sel(), legend: '{{mountpoint}}' },
      ], { unit: 'bytes', min: 0, w: 8 }),
      timeseries('Backup age', 'Time since the newest backup file. Line: the ' + X.rpo + ' RPO.', [
        { expr: 'time() - thoth_backup_last_timestamp_seconds' + sel(), legend: '{{backup}}' },
      ], { unit: 's', min: 0, thresholds: TH.backup_max_age_seconds, w: 8 }),
      timeseries('Backup size', 'Size of the newest backup file (a sudden drop means a broken dump).', [
        { expr: 'thoth_backup_last_size_bytes' + sel(), legend: '{{backup}}' },
      ], { unit: 'bytes', min: 0, w: 8 }),
      stat('Backup files', 'Files matching each backup glob.', [
        { expr: 'thoth_backup_files' + sel(), legend: '{{backup}}' },
      ], { unit: 'short', thresholds: [1], lower: true, w: 8, h: 8 }),
    ],
  }),
  local exporter = dashboard({
    uid: 'exporter',
    title: 'Exporter self-health',
    description: 'The exporter itself: scrapes, collectors, configuration reloads, resources, log tailing.',
    tags: ['exporter'],
    panels: [
      row('Status'),
      stat('Version', 'thoth_exporter_build_info.', [{ expr: 'thoth_exporter_build_info' + sel(), legend: '{{version}} ({{revision}})' }], { unit: 'none', textMode: 'name' }),
      stat('Scraped', 'Prometheus can scrape the exporter (up).', [{ expr: 'up' + sel(), legend: '{{instance}}' }], { unit: 'none', mappings: UP_MAPPINGS }),
      stat('Uptime', 'Time since the exporter started.', [{ expr: 'time() - process_start_time_seconds' + sel(), legend: '{{instance}}' }], { unit: 's' }),
      stat('Config reload', 'Whether the last configuration reload succeeded.', [{ expr: 'thoth_exporter_config_last_reload_successful' + sel(), legend: '{{instance}}' }], {
        unit: 'none',
        mappings: g.mappings01('failed', 'red', 'ok', 'green'),
      }),
      stat('Since good config', 'Time since the last successful configuration load.', [
        { expr: 'time() - thoth_exporter_config_last_reload_success_timestamp_seconds' + sel(), legend: '{{instance}}' },
      ], { unit: 's' }),
      stat('Failing collectors', 'Collectors whose last collection failed or timed out.', [
        { expr: 'count(thoth_exporter_collector_success' + sel() + ' == 0) or vector(0)', legend: 'failing' },
      ], { unit: 'short', thresholds: [1] }),

      row('Scrapes and collectors'),
      timeseries('Scrape duration', 'Time the exporter spent on a scrape, and as Prometheus saw it.', [
        { expr: 'thoth_exporter_scrape_duration_seconds' + sel(), legend: 'exporter {{instance}}' },
        { expr: 'scrape_duration_seconds' + sel(), legend: 'prometheus {{instance}}' },
      ], { unit: 's', min: 0, w: 8 }),
      timeseries('Collector success', 'Per collector and target: 1 collected, 0 failed or timed out.', [
        { expr: 'min by (collector, target) (thoth_exporter_collector_success' + sel() + ')', legend: '{{collector}} {{target}}' },
      ], { unit: 'none', min: 0, max: 1, stepped: true, w: 8 }),
      timeseries('Collector duration', 'Time per collector and target.', [
        { expr: 'max by (collector, target) (thoth_exporter_collector_duration_seconds' + sel() + ')', legend: '{{collector}} {{target}}' },
      ], { unit: 's', min: 0, w: 8 }),
      timeseries('Cache age', 'Age of cached expensive collections (bloat estimates, large schemas).', [
        { expr: 'max by (collector, target) (thoth_exporter_collector_cache_age_seconds' + sel() + ')', legend: '{{collector}} {{target}}' },
      ], { unit: 's', min: 0, w: 12 }),
      timeseries('Samples', 'Samples per scrape.', [
        { expr: 'scrape_samples_scraped' + sel(), legend: '{{instance}}' },
      ], { unit: 'short', min: 0, w: 12 }),

      row('Resources'),
      timeseries('CPU', 'CPU seconds per second.', [
        { expr: 'rate(process_cpu_seconds_total' + sel() + '[' + RI + '])', legend: '{{instance}}' },
      ], { unit: 'percentunit', min: 0, w: 8 }),
      timeseries('Memory', 'Resident and virtual memory.', [
        { expr: 'process_resident_memory_bytes' + sel(), legend: 'resident {{instance}}' },
        { expr: 'process_virtual_memory_bytes' + sel(), legend: 'virtual {{instance}}' },
      ], { unit: 'bytes', min: 0, w: 8 }),
      timeseries('File descriptors', 'Open file descriptors against the limit.', [
        { expr: 'process_open_fds' + sel(), legend: 'open {{instance}}' },
        { expr: 'process_max_fds' + sel(), legend: 'max {{instance}}' },
      ], { unit: 'short', min: 0, w: 8 }),

      row('Log tailing'),
      timeseries('Lines read', 'Lines read per second per log.', [
        { expr: 'sum by (log) (rate(thoth_log_lines_total' + sel() + '[' + RI + ']))', legend: '{{log}}' },
      ], { unit: 'cps', min: 0, w: 8 }),
      timeseries('Parse errors', 'Lines that did not parse, per second per log.', [
        { expr: 'sum by (log) (rate(thoth_log_parse_errors_total' + sel() + '[' + RI + ']))', legend: '{{log}}' },
      ], { unit: 'cps', min: 0, w: 8 }),
      timeseries('Rotations and truncations', 'Log rotations and truncations detected.', [
        { expr: 'sum by (log) (increase(thoth_log_rotations_total' + sel() + '[' + RI + ']))', legend: 'rotated {{log}}' },
        { expr: 'sum by (log) (increase(thoth_log_truncations_total' + sel() + '[' + RI + ']))', legend: 'truncated {{log}}' },
      ], { unit: 'short', min: 0, w: 8 }),
    ],
  }),

  // The signals the exporter observes for a code, beside its count and rate.
  local signalPanels(code) =
    if code == 'MEM-001' then [
      timeseries('PostgreSQL reachable', 'pg_up and the exporter\'s own failed or timed-out connects (MEM-001, source="postgres").', [
        { expr: 'min by (target) (pg_up' + sel() + ')', legend: 'up {{target}}' },
        { expr: 'sum(increase(thoth_memory_errors_total' + sel('code="MEM-001"', 'source="postgres"') + '[' + RI + '])) or vector(0)', legend: 'failed connects' },
      ], { unit: 'short', min: 0, w: 6 }),
      timeseries('PostgreSQL ping', 'Round trip of SELECT 1. Lines: ' + X.latencyBare + '.', [
        { expr: 'pg_ping_duration_seconds' + sel(), legend: '{{target}}' },
      ], { unit: 's', min: 0, thresholds: TH.api_latency_seconds, w: 6 }),
    ] else if code == 'MEM-005' then [
      timeseries('Dimension mismatches', 'Collections whose dimension differs from expected_dimension.', [
        { expr: 'max by (target, collection) (chroma_collection_dimension_mismatch' + sel() + ')', legend: '{{target}} {{collection}}' },
      ], { unit: 'none', min: 0, max: 1, stepped: true, w: 6 }),
      timeseries('Collection dimensions', 'Embedding dimension per collection.', [
        { expr: 'chroma_collection_dimension' + sel(), legend: '{{collection}}' },
      ], { unit: 'none', min: 0, w: 6 }),
    ] else if code == 'MEM-006' then [
      timeseries('HTTP 429', 'Responses 429 Too Many Requests per second in the access logs.', [
        { expr: 'sum by (log) (rate(thoth_http_requests_total' + sel('status="429"') + '[' + RI + '])) or vector(0)', legend: '{{log}}' },
      ], { unit: 'reqps', min: 0, w: 6 }),
      timeseries('Rate-limit keys', 'Keys matching the count_keys patterns in Redis.', [
        { expr: 'redis_keys_count' + sel(), legend: '{{key}}' },
      ], { unit: 'short', min: 0, w: 6 }),
    ] else if code == 'MEM-007' then [
      timeseries('HTTP 401 and 403', 'Authentication and authorization failures per second in the access logs.', [
        { expr: 'sum by (log, status) (rate(thoth_http_requests_total' + sel('status=~"401|403"') + '[' + RI + '])) or vector(0)', legend: '{{log}} {{status}}' },
      ], { unit: 'reqps', min: 0, w: 6 }),
      timeseries('By source', "MEM-007 by source: the logs, http (401/403) or postgres (the exporter's own login).", [
        { expr: 'sum by (source) (increase(thoth_memory_errors_total' + sel('code="MEM-007"') + '[' + RI + '])) or vector(0)', legend: '{{source}}' },
      ], { unit: 'short', min: 0, w: 6 }),
    ] else [
      timeseries('Log lines read', 'Lines read per second from each log: zero errors only means something while the logs are read.', [
        { expr: 'sum by (log) (rate(thoth_log_lines_total' + sel() + '[' + RI + ']))', legend: '{{log}}' },
      ], { unit: 'cps', min: 0, w: 12 }),
    ],

  // A row per code: the manual's text and the runbook, the count over the range, the rate by
  // source, and the signals.
  local codeRow(e) =
    local code = e.code;
    local anchor = std.asciiLower(e.alert);
    local links = [link('Runbook ' + code, '${runbooks}#' + anchor)];
    local sig = [p { gridPos+: { h: 6 } } for p in signalPanels(code)];
    local rateW = 24 - 6 - 3 - std.foldl(function(a, p) a + p.gridPos.w, sig, 0);
    [
      row(code + ' ' + e.description),
      text(code + ': ' + e.description,
           '**' + code + ' — ' + e.description + '**\n\n*Solution (operations manual):* ' + e.solution + '.\n\n' +
           (if e.pages then 'Pages on any occurrence.' else 'Warns when sustained above its rate.') + '\n\n' +
           '[Runbook](${runbooks}#' + anchor + ')',
           { w: 6, h: 6, links: links, description: e.description + ': ' + e.solution + '.' }),
      stat('In range', code + ' errors over the selected time range, all sources.', [
        { expr: 'sum(increase(thoth_memory_errors_total' + sel('code="' + code + '"') + '[$__range])) or vector(0)', legend: code },
      ], { unit: 'short', thresholds: if e.pages then [1] else null, w: 3, h: 6, links: links }),
      timeseries('Rate by source', code + ' per second by source (log name, or postgres/chroma/http when the exporter observed it).', [
        { expr: 'sum by (source) (rate(thoth_memory_errors_total' + sel('code="' + code + '"') + '[' + RI + '])) or vector(0)', legend: '{{source}}' },
      ], { unit: 'cps', min: 0, w: if rateW > 0 then rateW else 3, h: 6, links: links }),
    ] + sig,

  local errorCodes = dashboard({
    uid: 'error-codes',
    title: 'Error codes',
    description: "The memory service's error codes MEM-001 to MEM-008: counts, the signals the exporter observes for each, the manual's description and solution, and the runbook.",
    tags: ['errors'],
    variables: [runbooksVar],
    panels: [
      row('All codes'),
      timeseries('Errors by code', 'thoth_memory_errors_total per second by code.', [
        { expr: 'sum by (code) (rate(thoth_memory_errors_total' + sel() + '[' + RI + ']))', legend: '{{code}}' },
      ], { unit: 'cps', min: 0, stack: true, w: 16 }),
      table('Error codes', "The manual's error-code table as the exporter serves it (thoth_error_code_info).", [
        { expr: 'thoth_error_code_info' + sel() },
      ], { unit: 'none', w: 8 }),
    ] + std.flattenArrays([codeRow(e) for e in codes]),
  }),

  grafanaDashboards+:: {
    'overview.json': overview,
    'postgresql.json': postgres,
    'redis.json': redis,
    'chromadb.json': chroma,
    'services.json': services,
    'error-codes.json': errorCodes,
    'exporter.json': exporter,
  },
}

// prometheusRules: recording rules for the ratios the dashboards show in several places, so
// that each is computed once, the same way everywhere. Instantaneous ratios only: the
// dashboards' rates keep $__rate_interval (a recorded rate would fix the window). The alerts
// keep their own expressions, so they need no recording rule to be loaded first.
//
// Names follow Prometheus's level:metric:operations, with the metric prefixed thoth_ so that
// they never meet another mixin's.
local u = import '../lib/format.libsonnet';

{
  local c = $._config,
  local s = u.selector(c.thothSelector),
  local by(more) = u.labels(c.exporterLabels + more),

  prometheusRules+:: {
    groups+: [
      {
        name: 'thoth-recording',
        rules: [
          {
            // Connections in use over the pool, per PostgreSQL target (PostgresConnectionsHigh's
            // ratio; the overview and the PostgreSQL dashboard).
            record: 'target:thoth_pg_connections_in_use:ratio',
            expr: 'sum by (%(by)s) (pg_stat_activity_count%(s)s) / (max by (%(by)s) (pg_connections_limit%(s)s) > 0)'
                  % { by: by(['target']), s: s },
          },
          {
            // Used memory over maxmemory (none when maxmemory is 0).
            record: 'target:thoth_redis_memory_used:ratio',
            expr: 'redis_memory_used_bytes%(s)s / (redis_memory_max_bytes%(s)s > 0)' % { s: s },
          },
          {
            // Working set over the container's memory limit (none without a limit).
            record: 'name:thoth_container_memory_working_set:ratio',
            expr: 'container_memory_working_set_bytes%(s)s / (container_spec_memory_limit_bytes%(s)s > 0)' % { s: s },
          },
          {
            // Host memory in use.
            record: 'instance:thoth_host_memory_used:ratio',
            expr: '1 - node_memory_MemAvailable_bytes%(s)s / (node_memory_MemTotal_bytes%(s)s > 0)' % { s: s },
          },
          {
            // Space available over size, per filesystem.
            record: 'mountpoint:thoth_filesystem_avail:ratio',
            expr: 'node_filesystem_avail_bytes%(s)s / (node_filesystem_size_bytes%(s)s > 0)' % { s: s },
          },
        ],
      },
    ],
  },
}

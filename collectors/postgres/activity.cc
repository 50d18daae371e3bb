#include "collectors/postgres/activity.h"

#include <cstdio>

#include "exporter/health_check.h"

namespace thoth::postgres {

std::string ActivitySql() {
  return "SELECT d.datname, s.state, COALESCE(a.count, 0) AS count, "
         "COALESCE(a.max_tx_duration, 0) AS max_tx_duration "
         "FROM pg_catalog.pg_database d CROSS JOIN (VALUES ('active'), ('idle'), "
         "('idle in transaction'), ('idle in transaction (aborted)'), "
         "('fastpath function call'), ('disabled')) AS s(state) "
         "LEFT JOIN (SELECT datname, state, count(*) AS count, "
         "max(extract(epoch FROM now() - xact_start))::float8 AS max_tx_duration "
         "FROM pg_catalog.pg_stat_activity GROUP BY datname, state) a "
         "ON a.datname = d.datname AND a.state = s.state "
         "ORDER BY d.datname, s.state";
}

void EmitActivity(const QueryResult& rows, MetricSink& sink) {
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    const auto& datname = rows.Get(i, "datname");
    const auto& state = rows.Get(i, "state");
    if (!datname || !state) continue;
    const Labels labels = {{"datname", *datname}, {"state", *state}};
    // Untyped: promtool reserves the _count suffix for histograms and summaries, and the name
    // is postgres_exporter's.
    if (auto v = ParseNumber(rows.Get(i, "count"))) {
      sink.Untyped("pg_stat_activity_count", "number of connections in this state", labels, *v);
    }
    if (auto v = ParseNumber(rows.Get(i, "max_tx_duration"))) {
      sink.Gauge("pg_stat_activity_max_tx_duration",
                 "max duration in seconds any active transaction has been running", labels, *v);
    }
  }
}

std::string LongRunningSql(double threshold_seconds) {
  char threshold[64];
  std::snprintf(threshold, sizeof threshold, "%.3f", threshold_seconds);
  return std::string("SELECT d.datname, count(a.age) FILTER (WHERE a.age > ") + threshold +
         ") AS long_running, COALESCE(max(a.age), 0) AS oldest "
         "FROM pg_catalog.pg_database d LEFT JOIN (SELECT datname, "
         "extract(epoch FROM now() - query_start)::float8 AS age "
         "FROM pg_catalog.pg_stat_activity WHERE state = 'active' "
         "AND backend_type = 'client backend' AND pid <> pg_backend_pid()) a "
         "ON a.datname = d.datname WHERE NOT d.datistemplate "
         "GROUP BY d.datname ORDER BY d.datname";
}

void EmitLongRunning(const QueryResult& rows, double threshold_seconds, MetricSink& sink) {
  const std::string help = "active queries running longer than long_running_query_seconds (" +
                           FormatNumber(threshold_seconds) + " s)";
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    const auto& datname = rows.Get(i, "datname");
    if (!datname) continue;
    const Labels labels = {{"datname", *datname}};
    if (auto v = ParseNumber(rows.Get(i, "long_running"))) {
      sink.Gauge("pg_stat_activity_long_running_queries", help, labels, *v);
    }
    if (auto v = ParseNumber(rows.Get(i, "oldest"))) {
      sink.Gauge("pg_stat_activity_oldest_query_seconds",
                 "age of the oldest active client query in seconds (0 = none)", labels, *v);
    }
  }
}

std::string LocksSql() {
  return "SELECT d.datname, m.mode, COALESCE(l.count, 0) AS count "
         "FROM (VALUES ('accesssharelock'), ('rowsharelock'), ('rowexclusivelock'), "
         "('shareupdateexclusivelock'), ('sharelock'), ('sharerowexclusivelock'), "
         "('exclusivelock'), ('accessexclusivelock'), ('sireadlock')) AS m(mode) "
         "CROSS JOIN pg_catalog.pg_database d "
         "LEFT JOIN (SELECT database, lower(mode) AS mode, count(*) AS count "
         "FROM pg_catalog.pg_locks WHERE database IS NOT NULL GROUP BY database, lower(mode)) l "
         "ON l.mode = m.mode AND l.database = d.oid ORDER BY d.datname, m.mode";
}

void EmitLocks(const QueryResult& rows, MetricSink& sink) {
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    const auto& datname = rows.Get(i, "datname");
    const auto& mode = rows.Get(i, "mode");
    auto v = ParseNumber(rows.Get(i, "count"));
    if (!datname || !mode || !v) continue;
    sink.Untyped("pg_locks_count", "Number of locks", {{"datname", *datname}, {"mode", *mode}}, *v);
  }
}

}  // namespace thoth::postgres

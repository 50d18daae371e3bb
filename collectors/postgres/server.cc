#include "collectors/postgres/server.h"

#include <string_view>

namespace thoth::postgres {

std::string ServerSql() {
  return "SELECT version() AS version, "
         "extract(epoch FROM pg_postmaster_start_time())::float8 AS start_time, "
         "pg_is_in_recovery() AS is_replica, "
         "CASE WHEN NOT pg_is_in_recovery() THEN 0 "
         "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
         "ELSE GREATEST(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp())) "
         "END::float8 AS lag, "
         "(SELECT quote_ident(n.nspname) FROM pg_catalog.pg_extension e "
         "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
         "WHERE e.extname = 'pg_stat_statements') AS pgss_schema";
}

namespace {

constexpr char kPgssSchema[] =
    "(SELECT quote_ident(n.nspname) FROM pg_catalog.pg_extension e "
    "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
    "WHERE e.extname = 'pg_stat_statements') AS pgss_schema";

}  // namespace

std::string ServerIdentitySql() {
  return std::string(
             "SELECT version() AS version, "
             "extract(epoch FROM pg_postmaster_start_time())::float8 AS start_time, ") +
         kPgssSchema;
}

std::string ServerStateSql() {
  return std::string(
             "SELECT pg_is_in_recovery() AS is_replica, "
             "CASE WHEN NOT pg_is_in_recovery() THEN 0 "
             "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
             "ELSE GREATEST(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp())) "
             "END::float8 AS lag, ") +
         kPgssSchema;
}

std::string ShortVersion(int v) {
  if (v <= 0) return "0.0.0";
  if (v >= 100000) return std::to_string(v / 10000) + "." + std::to_string(v % 100) + ".0";
  return std::to_string(v / 10000) + "." + std::to_string((v / 100) % 100) + "." +
         std::to_string(v % 100);
}

void EmitServer(const QueryResult& rows, int server_version_num, MetricSink& sink) {
  if (rows.rows.empty()) return;
  const auto& version = rows.Get(0, "version");
  sink.Gauge(
      "pg_static", "Version string as reported by postgres",
      {{"version", version.value_or("")}, {"short_version", ShortVersion(server_version_num)}}, 1);
  if (auto v = ParseNumber(rows.Get(0, "start_time"))) {
    sink.Gauge("pg_postmaster_start_time_seconds", "Time at which postmaster started", {}, *v);
  }
  if (auto v = ParseNumber(rows.Get(0, "is_replica"))) {
    sink.Gauge("pg_replication_is_replica", "Indicates if the server is a replica", {}, *v);
  }
  if (auto v = ParseNumber(rows.Get(0, "lag"))) {
    sink.Gauge("pg_replication_lag_seconds", "Replication lag behind master in seconds", {}, *v);
  }
}

std::string DatabaseStatsSql() {
  return "SELECT s.*, extract(epoch FROM s.stats_reset)::float8 AS stats_reset_epoch "
         "FROM pg_catalog.pg_stat_database s WHERE s.datname IS NOT NULL ORDER BY s.datname";
}

void EmitDatabaseStats(const QueryResult& rows, MetricSink& sink) {
  const int datid = rows.Column("datid"), datname = rows.Column("datname");
  if (datid < 0 || datname < 0) return;
  for (const auto& row : rows.rows) {
    const auto& id = row[static_cast<size_t>(datid)];
    const auto& name = row[static_cast<size_t>(datname)];
    if (!id || !name) continue;
    const Labels labels = {{"datid", *id}, {"datname", *name}};
    for (size_t c = 0; c < rows.columns.size(); ++c) {
      std::string_view column = rows.columns[c];
      if (column == "datid" || column == "datname" || column == "stats_reset") continue;
      auto v = ParseNumber(row[c]);
      if (!v) continue;  // NULL or not a number (timestamps)
      if (column == "stats_reset_epoch") {
        sink.Gauge("pg_stat_database_stats_reset",
                   "Time at which these statistics were last reset (unix seconds)", labels, *v);
      } else if (column == "numbackends") {
        sink.Gauge("pg_stat_database_numbackends",
                   "Number of backends currently connected to this database", labels, *v);
      } else {
        // postgres_exporter's names have no _total; promtool only accepts a counter with one,
        // so these monotonic values are untyped (rate() works the same). Times are in
        // milliseconds, as in pg_stat_database and postgres_exporter.
        sink.Untyped("pg_stat_database_" + std::string(column),
                     "pg_stat_database." + std::string(column) + " (cumulative)", labels, *v);
      }
    }
  }
}

std::string DatabaseSizeSql() {
  return "SELECT datname, pg_database_size(oid)::float8 AS size FROM pg_catalog.pg_database "
         "WHERE datallowconn AND (has_database_privilege(oid, 'CONNECT') "
         "OR pg_has_role('pg_read_all_stats', 'USAGE')) ORDER BY datname";
}

void EmitDatabaseSize(const QueryResult& rows, MetricSink& sink) {
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    const auto& datname = rows.Get(i, "datname");
    auto v = ParseNumber(rows.Get(i, "size"));
    if (!datname || !v) continue;
    sink.Gauge("pg_database_size_bytes",
               "Disk space used by the database (read every database_sizes.ttl, default 1m)",
               {{"datname", *datname}}, *v);
  }
}

std::string BgwriterSql(int v) {
  if (v >= 170000) {
    return "SELECT c.num_timed AS checkpoints_timed, c.num_requested AS checkpoints_req, "
           "c.write_time AS checkpoint_write_time, c.sync_time AS checkpoint_sync_time, "
           "c.buffers_written AS buffers_checkpoint, b.buffers_clean, b.maxwritten_clean, "
           "b.buffers_alloc FROM pg_catalog.pg_stat_checkpointer c, pg_catalog.pg_stat_bgwriter b";
  }
  return "SELECT checkpoints_timed, checkpoints_req, checkpoint_write_time, checkpoint_sync_time, "
         "buffers_checkpoint, buffers_clean, maxwritten_clean, buffers_backend, "
         "buffers_backend_fsync, buffers_alloc FROM pg_catalog.pg_stat_bgwriter";
}

void EmitBgwriter(const QueryResult& rows, MetricSink& sink) {
  struct Column {
    const char* name;
    const char* help;
  };
  static constexpr Column kColumns[] = {
      {"checkpoints_timed", "Number of scheduled checkpoints that have been performed"},
      {"checkpoints_req", "Number of requested checkpoints that have been performed"},
      {"checkpoint_write_time",
       "Total time spent writing checkpoint files to disk, in milliseconds"},
      {"checkpoint_sync_time",
       "Total time spent synchronizing checkpoint files to disk, in milliseconds"},
      {"buffers_checkpoint", "Number of buffers written during checkpoints"},
      {"buffers_clean", "Number of buffers written by the background writer"},
      {"maxwritten_clean",
       "Number of times the background writer stopped a cleaning scan for writing too many "
       "buffers"},
      {"buffers_backend", "Number of buffers written directly by a backend"},
      {"buffers_backend_fsync", "Number of times a backend had to execute its own fsync call"},
      {"buffers_alloc", "Number of buffers allocated"},
  };
  if (rows.rows.empty()) return;
  for (const auto& c : kColumns) {
    if (auto v = ParseNumber(rows.Get(0, c.name))) {
      sink.Counter(std::string("pg_stat_bgwriter_") + c.name + "_total", c.help, {}, *v);
    }
  }
}

}  // namespace thoth::postgres

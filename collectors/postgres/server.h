#pragma once

#include <string>

#include "collectors/postgres/query_result.h"
#include "exporter/metric_sink.h"

namespace thoth::postgres {

// The server as a whole: version, start time, replica or not, replay lag, and the schema of the
// pg_stat_statements extension in this database (NULL when not installed).
std::string ServerSql();
// ServerSql in two parts: what cannot change while a session lasts (version, start time; read
// once per session) and what can (replica, lag), both with the pg_stat_statements schema.
// EmitServer takes their rows side by side.
std::string ServerIdentitySql();
std::string ServerStateSql();
// pg_static{version,short_version}, pg_postmaster_start_time_seconds, pg_replication_is_replica,
// pg_replication_lag_seconds.
void EmitServer(const QueryResult& rows, int server_version_num, MetricSink& sink);

// "15.20.0" for 150020, "9.6.24" for 90624: postgres_exporter's short_version.
std::string ShortVersion(int server_version_num);

// pg_stat_database, every column, plus stats_reset as unix seconds.
std::string DatabaseStatsSql();
// pg_stat_database_<column>{datid,datname} for every numeric column (the set differs between
// PostgreSQL versions; whatever the server has is exported).
void EmitDatabaseStats(const QueryResult& rows, MetricSink& sink);

// Size of every database the exporter may measure.
std::string DatabaseSizeSql();
// pg_database_size_bytes{datname}.
void EmitDatabaseSize(const QueryResult& rows, MetricSink& sink);

// Background writer and checkpointer counters (pg_stat_checkpointer on PostgreSQL 17+).
std::string BgwriterSql(int server_version_num);
// pg_stat_bgwriter_*_total.
void EmitBgwriter(const QueryResult& rows, MetricSink& sink);

}  // namespace thoth::postgres

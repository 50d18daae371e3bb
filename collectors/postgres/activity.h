#pragma once

#include <string>

#include "collectors/postgres/query_result.h"
#include "exporter/metric_sink.h"

namespace thoth::postgres {

// Backends per database and state, with the age of the oldest open transaction. Every
// (database, state) pair is listed, with 0 when empty, so that series do not come and go.
std::string ActivitySql();
// pg_stat_activity_count{datname,state}, pg_stat_activity_max_tx_duration{datname,state}.
void EmitActivity(const QueryResult& rows, MetricSink& sink);

// Active client queries per database (the exporter's own excluded): how many have run longer
// than threshold_seconds, and the age of the oldest.
std::string LongRunningSql(double threshold_seconds);
// pg_stat_activity_long_running_queries{datname}, pg_stat_activity_oldest_query_seconds{datname}.
void EmitLongRunning(const QueryResult& rows, double threshold_seconds, MetricSink& sink);

// Locks per database and mode, every pair listed (postgres_exporter's query).
std::string LocksSql();
// pg_locks_count{datname,mode}.
void EmitLocks(const QueryResult& rows, MetricSink& sink);

}  // namespace thoth::postgres

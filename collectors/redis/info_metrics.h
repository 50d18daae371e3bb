#pragma once

#include "collectors/redis/info_parser.h"
#include "exporter/metric_sink.h"

namespace thoth::redis {

// Writes the metrics derived from one INFO ALL reply, with redis_exporter's names, types, label
// names and units (usec → seconds, avg_ttl ms → seconds, "ok" → 1):
// redis_instance_info, the scalar gauges and counters of the field table, redis_commands_total,
// redis_commands_duration_seconds_total, redis_commands_{rejected,failed}_calls_total,
// redis_errors_total, redis_db_keys, redis_db_keys_expiring, redis_db_avg_ttl_seconds,
// redis_master_link_up (replicas only), redis_connected_slave_{offset_bytes,lag_seconds}.
// A field that is absent or not a number produces no sample (never a 0 that would lie).
// Pure: no I/O.
void WriteInfoMetrics(const RedisInfo& info, MetricSink& sink);

}  // namespace thoth::redis

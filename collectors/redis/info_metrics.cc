#include "collectors/redis/info_metrics.h"

#include <optional>
#include <string_view>

namespace thoth::redis {

namespace {

enum class Kind { kGauge, kCounter };

// One INFO field exported as one unlabeled sample, named as redis_exporter names it.
struct FieldMetric {
  std::string_view field;
  std::string_view metric;
  Kind kind;
  std::string_view help;
  double scale = 1;  // applied to the INFO value (e.g. 1e-6 for microseconds)
};

// redis_exporter's metricMapGauges / metricMapCounters for the fields Redis 2.8–7.x report.
// Left out on purpose: redis_exporter's *_duration_sec metrics (rdb/aof save and rewrite
// times), whose abbreviated unit fails `promtool check metrics`.
constexpr FieldMetric kFieldMetrics[] = {
    // Server
    {"uptime_in_seconds", "redis_uptime_in_seconds", Kind::kGauge,
     "Seconds since the server started."},
    // Clients
    {"connected_clients", "redis_connected_clients", Kind::kGauge,
     "Client connections (excluding replicas)."},
    {"blocked_clients", "redis_blocked_clients", Kind::kGauge,
     "Clients pending on a blocking call."},
    {"tracking_clients", "redis_tracking_clients", Kind::kGauge,
     "Clients being tracked (client-side caching)."},
    {"client_recent_max_input_buffer", "redis_client_recent_max_input_buffer_bytes", Kind::kGauge,
     "Biggest recent client input buffer."},
    {"client_recent_max_output_buffer", "redis_client_recent_max_output_buffer_bytes", Kind::kGauge,
     "Biggest recent client output buffer."},
    {"client_longest_output_list", "redis_client_longest_output_list", Kind::kGauge,
     "Longest client output list (Redis < 5)."},
    {"client_biggest_input_buf", "redis_client_biggest_input_buf", Kind::kGauge,
     "Biggest client input buffer (Redis < 5)."},
    // Memory
    {"used_memory", "redis_memory_used_bytes", Kind::kGauge,
     "Bytes allocated by Redis (used_memory)."},
    {"used_memory_rss", "redis_memory_used_rss_bytes", Kind::kGauge,
     "Resident set size of the Redis process."},
    {"used_memory_peak", "redis_memory_used_peak_bytes", Kind::kGauge, "Peak of used_memory."},
    {"used_memory_lua", "redis_memory_used_lua_bytes", Kind::kGauge,
     "Bytes used by the Lua engine."},
    {"used_memory_overhead", "redis_memory_used_overhead_bytes", Kind::kGauge,
     "Bytes of internal overhead."},
    {"used_memory_startup", "redis_memory_used_startup_bytes", Kind::kGauge,
     "Bytes used at startup."},
    {"used_memory_dataset", "redis_memory_used_dataset_bytes", Kind::kGauge,
     "Bytes used by the dataset."},
    {"used_memory_scripts", "redis_memory_used_scripts_bytes", Kind::kGauge,
     "Bytes used by cached scripts."},
    {"maxmemory", "redis_memory_max_bytes", Kind::kGauge, "The maxmemory setting (0 = no limit)."},
    {"total_system_memory", "redis_total_system_memory_bytes", Kind::kGauge,
     "Memory of the host Redis runs on."},
    {"mem_fragmentation_ratio", "redis_mem_fragmentation_ratio", Kind::kGauge,
     "used_memory_rss / used_memory."},
    {"mem_fragmentation_bytes", "redis_mem_fragmentation_bytes", Kind::kGauge,
     "used_memory_rss - used_memory."},
    {"mem_clients_slaves", "redis_mem_clients_slaves", Kind::kGauge,
     "Bytes used by replica client buffers."},
    {"mem_clients_normal", "redis_mem_clients_normal", Kind::kGauge,
     "Bytes used by normal client buffers."},
    {"mem_not_counted_for_evict", "redis_mem_not_counted_for_eviction_bytes", Kind::kGauge,
     "Bytes not counted for eviction."},
    {"lazyfree_pending_objects", "redis_lazyfree_pending_objects", Kind::kGauge,
     "Objects waiting to be freed."},
    {"active_defrag_running", "redis_active_defrag_running", Kind::kGauge,
     "1 while active defragmentation runs."},
    // Persistence
    {"loading", "redis_loading_dump_file", Kind::kGauge, "1 while a dump file is being loaded."},
    {"rdb_changes_since_last_save", "redis_rdb_changes_since_last_save", Kind::kGauge,
     "Changes since the last RDB save."},
    {"rdb_bgsave_in_progress", "redis_rdb_bgsave_in_progress", Kind::kGauge,
     "1 while an RDB save runs."},
    {"rdb_last_save_time", "redis_rdb_last_save_timestamp_seconds", Kind::kGauge,
     "Unix time of the last successful RDB save."},
    {"rdb_last_bgsave_status", "redis_rdb_last_bgsave_status", Kind::kGauge,
     "1 if the last RDB save succeeded."},
    {"rdb_last_cow_size", "redis_rdb_last_cow_size_bytes", Kind::kGauge,
     "Copy-on-write bytes of the last RDB save."},
    {"aof_enabled", "redis_aof_enabled", Kind::kGauge, "1 if AOF is enabled."},
    {"aof_rewrite_in_progress", "redis_aof_rewrite_in_progress", Kind::kGauge,
     "1 while an AOF rewrite runs."},
    {"aof_rewrite_scheduled", "redis_aof_rewrite_scheduled", Kind::kGauge,
     "1 if an AOF rewrite is scheduled."},
    {"aof_last_cow_size", "redis_aof_last_cow_size_bytes", Kind::kGauge,
     "Copy-on-write bytes of the last AOF rewrite."},
    {"aof_current_size", "redis_aof_current_size_bytes", Kind::kGauge, "Current AOF size."},
    {"aof_base_size", "redis_aof_base_size_bytes", Kind::kGauge,
     "AOF size after the last rewrite."},
    {"aof_last_bgrewrite_status", "redis_aof_last_bgrewrite_status", Kind::kGauge,
     "1 if the last AOF rewrite succeeded."},
    {"aof_last_write_status", "redis_aof_last_write_status", Kind::kGauge,
     "1 if the last AOF write succeeded."},
    // Stats
    {"total_connections_received", "redis_connections_received_total", Kind::kCounter,
     "Connections accepted by the server."},
    {"total_commands_processed", "redis_commands_processed_total", Kind::kCounter,
     "Commands processed by the server."},
    {"rejected_connections", "redis_rejected_connections_total", Kind::kCounter,
     "Connections rejected because of maxclients."},
    {"total_net_input_bytes", "redis_net_input_bytes_total", Kind::kCounter,
     "Bytes read from the network."},
    {"total_net_output_bytes", "redis_net_output_bytes_total", Kind::kCounter,
     "Bytes written to the network."},
    {"expired_keys", "redis_expired_keys_total", Kind::kCounter,
     "Keys removed because their TTL expired."},
    {"evicted_keys", "redis_evicted_keys_total", Kind::kCounter,
     "Keys evicted because of maxmemory."},
    {"keyspace_hits", "redis_keyspace_hits_total", Kind::kCounter, "Successful key lookups."},
    {"keyspace_misses", "redis_keyspace_misses_total", Kind::kCounter, "Failed key lookups."},
    {"expired_stale_perc", "redis_expired_stale_percentage", Kind::kGauge,
     "Estimated percentage of expired keys still in memory."},
    {"expired_time_cap_reached_count", "redis_expired_time_cap_reached_total", Kind::kCounter,
     "Times the active expire cycle hit its time limit."},
    {"pubsub_channels", "redis_pubsub_channels", Kind::kGauge,
     "Pub/sub channels with subscribers."},
    {"pubsub_patterns", "redis_pubsub_patterns", Kind::kGauge, "Pub/sub pattern subscriptions."},
    {"latest_fork_usec", "redis_latest_fork_seconds", Kind::kGauge, "Duration of the latest fork.",
     1e-6},
    // Replication
    {"connected_slaves", "redis_connected_slaves", Kind::kGauge, "Connected replicas."},
    {"repl_backlog_size", "redis_replication_backlog_bytes", Kind::kGauge,
     "Size of the replication backlog."},
    {"repl_backlog_active", "redis_repl_backlog_is_active", Kind::kGauge,
     "1 if the replication backlog is active."},
    {"repl_backlog_first_byte_offset", "redis_repl_backlog_first_byte_offset", Kind::kGauge,
     "Master offset of the backlog's first byte."},
    {"repl_backlog_histlen", "redis_repl_backlog_history_bytes", Kind::kGauge,
     "Bytes of data in the backlog."},
    {"master_repl_offset", "redis_master_repl_offset", Kind::kGauge,
     "Replication offset of this server."},
    {"second_repl_offset", "redis_second_repl_offset", Kind::kGauge,
     "Offset up to which replication IDs are accepted."},
    {"slave_expires_tracked_keys", "redis_slave_expires_tracked_keys", Kind::kGauge,
     "Keys tracked for expiry on a writable replica."},
    {"slave_priority", "redis_slave_priority", Kind::kGauge, "Replica priority for failover."},
    {"sync_full", "redis_replica_resyncs_full", Kind::kGauge,
     "Full resynchronisations with replicas."},
    {"sync_partial_ok", "redis_replica_partial_resync_accepted", Kind::kGauge,
     "Accepted partial resync requests."},
    {"sync_partial_err", "redis_replica_partial_resync_denied", Kind::kGauge,
     "Denied partial resync requests."},
    // CPU
    {"used_cpu_sys", "redis_cpu_sys_seconds_total", Kind::kCounter,
     "System CPU consumed by the server."},
    {"used_cpu_user", "redis_cpu_user_seconds_total", Kind::kCounter,
     "User CPU consumed by the server."},
    {"used_cpu_sys_children", "redis_cpu_sys_children_seconds_total", Kind::kCounter,
     "System CPU consumed by background processes."},
    {"used_cpu_user_children", "redis_cpu_user_children_seconds_total", Kind::kCounter,
     "User CPU consumed by background processes."},
};

// Status fields are words; redis_exporter maps them to 1/0.
std::optional<double> FieldValue(const std::string& raw) {
  if (raw == "ok" || raw == "true" || raw == "up") return 1;
  if (raw == "err" || raw == "fail" || raw == "false" || raw == "down") return 0;
  return ParseNumber(raw);
}

std::string FieldOr(const RedisInfo& info, std::string_view key, std::string_view def = "") {
  const std::string* v = info.Find(key);
  return v == nullptr ? std::string(def) : *v;
}

void WriteInstanceInfo(const RedisInfo& info, MetricSink& sink) {
  // Nothing useful identifies a reply without a version or a role (e.g. a truncated reply).
  if (info.Find("redis_version") == nullptr && info.Find("role") == nullptr) return;
  std::string mode = FieldOr(info, "redis_mode");
  if (mode.empty()) mode = FieldOr(info, "server_mode");
  sink.Gauge("redis_instance_info", "Information about the Redis instance.",
             {{"role", FieldOr(info, "role")},
              {"redis_version", FieldOr(info, "redis_version")},
              {"redis_build_id", FieldOr(info, "redis_build_id")},
              {"redis_mode", mode},
              {"os", FieldOr(info, "os")},
              {"maxmemory_policy", FieldOr(info, "maxmemory_policy")},
              {"tcp_port", FieldOr(info, "tcp_port")}},
             1);
}

void WriteReplication(const RedisInfo& info, MetricSink& sink) {
  const Labels master = {{"master_host", FieldOr(info, "master_host")},
                         {"master_port", FieldOr(info, "master_port")}};
  // Only replicas report a link to a master.
  if (const std::string* link = info.Find("master_link_status")) {
    sink.Gauge("redis_master_link_up", "1 if this replica's link to its master is up.", master,
               *link == "up" ? 1 : 0);
  }
  if (auto v = info.Number("master_last_io_seconds_ago")) {
    sink.Gauge("redis_master_last_io_seconds_ago",
               "Seconds since the last interaction with the master.", master, *v);
  }
  if (auto v = info.Number("master_sync_in_progress")) {
    sink.Gauge("redis_master_sync_in_progress", "1 while the replica syncs with its master.",
               master, *v);
  }
  for (const auto& r : info.replicas) {
    const Labels labels = {{"slave_ip", r.ip}, {"slave_port", r.port}, {"slave_state", r.state}};
    sink.Gauge("redis_connected_slave_offset_bytes", "Replication offset of a connected replica.",
               labels, r.offset);
    if (r.lag_seconds) {
      sink.Gauge("redis_connected_slave_lag_seconds", "Lag of a connected replica.", labels,
                 *r.lag_seconds);
    }
  }
}

}  // namespace

void WriteInfoMetrics(const RedisInfo& info, MetricSink& sink) {
  WriteInstanceInfo(info, sink);
  for (const auto& m : kFieldMetrics) {
    const std::string* raw = info.Find(m.field);
    if (raw == nullptr) continue;
    auto value = FieldValue(*raw);
    if (!value) continue;
    *value *= m.scale;
    if (m.kind == Kind::kCounter) {
      sink.Counter(m.metric, m.help, {}, *value);
    } else {
      sink.Gauge(m.metric, m.help, {}, *value);
    }
  }
  WriteReplication(info, sink);

  for (const auto& c : info.commands) {
    sink.Counter("redis_commands_total", "Total number of calls per command.", {{"cmd", c.cmd}},
                 c.calls);
  }
  for (const auto& c : info.commands) {
    sink.Counter("redis_commands_duration_seconds_total",
                 "Total amount of time in seconds spent per command.", {{"cmd", c.cmd}},
                 c.usec / 1e6);
  }
  for (const auto& c : info.commands) {
    if (!c.rejected_calls) continue;
    sink.Counter("redis_commands_rejected_calls_total",
                 "Calls rejected before execution per command (Redis >= 6.2).", {{"cmd", c.cmd}},
                 *c.rejected_calls);
  }
  for (const auto& c : info.commands) {
    if (!c.failed_calls) continue;
    sink.Counter("redis_commands_failed_calls_total",
                 "Calls that failed during execution per command (Redis >= 6.2).", {{"cmd", c.cmd}},
                 *c.failed_calls);
  }
  for (const auto& [err, count] : info.errors) {
    sink.Counter("redis_errors_total", "Error replies by error prefix (Redis >= 6.2).",
                 {{"err", err}}, count);
  }
  for (const auto& db : info.keyspace) {
    sink.Gauge("redis_db_keys", "Total number of keys by DB.", {{"db", db.db}}, db.keys);
  }
  for (const auto& db : info.keyspace) {
    sink.Gauge("redis_db_keys_expiring", "Total number of expiring keys by DB.", {{"db", db.db}},
               db.expires);
  }
  for (const auto& db : info.keyspace) {
    if (!db.avg_ttl_ms) continue;
    sink.Gauge("redis_db_avg_ttl_seconds", "Average TTL of the expiring keys by DB.",
               {{"db", db.db}}, *db.avg_ttl_ms / 1000);
  }
}

}  // namespace thoth::redis

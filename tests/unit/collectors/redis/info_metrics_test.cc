#include "collectors/redis/info_metrics.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "tests/test_fixtures.h"

namespace thoth::redis {
namespace {

Families Metrics(const std::string& fixture) {
  MetricSink sink("cache");
  WriteInfoMetrics(ParseInfo(Fixture("redis/" + fixture)), sink);
  return sink.Take();
}

const Family* FindFamily(const Families& f, const std::string& name) {
  for (const auto& fam : f) {
    if (fam.name == name) return &fam;
  }
  return nullptr;
}

TEST(RedisInfoMetrics, SpecMetricsFromRecordedRedis70) {
  const auto f = Metrics("info_all_7.0_master.txt");
  EXPECT_EQ(Value(f, "redis_instance_info",
                  {{"role", "master"},
                   {"redis_version", "7.0.15"},
                   {"redis_mode", "standalone"},
                   {"maxmemory_policy", "noeviction"}}),
            1);
  EXPECT_EQ(Value(f, "redis_uptime_in_seconds"), 6);
  EXPECT_EQ(Value(f, "redis_connected_clients"), 1);
  EXPECT_EQ(Value(f, "redis_blocked_clients"), 0);
  EXPECT_EQ(Value(f, "redis_memory_used_bytes"), 1188464);
  EXPECT_EQ(Value(f, "redis_memory_used_rss_bytes"), 7356416);
  EXPECT_EQ(Value(f, "redis_memory_max_bytes"), 0);
  EXPECT_EQ(Value(f, "redis_total_system_memory_bytes"), 25276502016);
  EXPECT_EQ(Value(f, "redis_mem_fragmentation_ratio"), 6.41);
  EXPECT_EQ(Value(f, "redis_commands_processed_total"), 64);
  EXPECT_EQ(Value(f, "redis_evicted_keys_total"), 0);
  EXPECT_EQ(Value(f, "redis_keyspace_hits_total"), 1);
  EXPECT_EQ(Value(f, "redis_cpu_sys_seconds_total"), 0.012258);
  EXPECT_EQ(Value(f, "redis_rdb_last_bgsave_status"), 1);
  EXPECT_EQ(Value(f, "redis_rdb_last_save_timestamp_seconds"), 1795312760);
  EXPECT_EQ(Value(f, "redis_connected_slaves"), 1);
  EXPECT_EQ(Value(f, "redis_commands_total", {{"cmd", "set"}}), 52);
  EXPECT_DOUBLE_EQ(Value(f, "redis_commands_duration_seconds_total", {{"cmd", "set"}}), 312e-6);
  EXPECT_EQ(Value(f, "redis_commands_total", {{"cmd", "config|set"}}), 2);
  EXPECT_EQ(Value(f, "redis_commands_rejected_calls_total", {{"cmd", "debug"}}), 1);
  EXPECT_EQ(Value(f, "redis_commands_failed_calls_total", {{"cmd", "lpush"}}), 1);
  EXPECT_EQ(Value(f, "redis_errors_total", {{"err", "ERR"}}), 2);
  EXPECT_EQ(Value(f, "redis_errors_total", {{"err", "WRONGTYPE"}}), 1);
  EXPECT_EQ(Value(f, "redis_db_keys", {{"db", "db0"}}), 51);
  EXPECT_EQ(Value(f, "redis_db_keys_expiring", {{"db", "db0"}}), 50);
  EXPECT_EQ(Value(f, "redis_db_keys", {{"db", "db1"}}), 1);
  EXPECT_DOUBLE_EQ(Value(f, "redis_db_avg_ttl_seconds", {{"db", "db0"}}), 3597.757);
  EXPECT_EQ(Value(f, "redis_connected_slave_lag_seconds",
                  {{"slave_ip", "127.0.0.1"}, {"slave_port", "16380"}, {"slave_state", "online"}}),
            1);
  // A master has no link to a master.
  EXPECT_FALSE(Has(f, "redis_master_link_up"));
  // Every sample carries the target label first.
  EXPECT_EQ(FindFamily(f, "redis_connected_clients")->SampleLabels(0)[0].first, "target");
  EXPECT_EQ(FindFamily(f, "redis_connected_clients")->SampleLabels(0)[0].second, "cache");
}

TEST(RedisInfoMetrics, TypesFollowRedisExporter) {
  const auto f = Metrics("info_all_7.0_master.txt");
  for (const char* counter :
       {"redis_commands_total", "redis_commands_duration_seconds_total", "redis_errors_total",
        "redis_keyspace_hits_total", "redis_cpu_user_seconds_total",
        "redis_connections_received_total", "redis_net_input_bytes_total"}) {
    ASSERT_NE(FindFamily(f, counter), nullptr) << counter;
    EXPECT_EQ(FindFamily(f, counter)->type, prometheus::MetricType::Counter) << counter;
  }
  for (const char* gauge : {"redis_memory_used_bytes", "redis_db_keys", "redis_uptime_in_seconds",
                            "redis_instance_info"}) {
    ASSERT_NE(FindFamily(f, gauge), nullptr) << gauge;
    EXPECT_EQ(FindFamily(f, gauge)->type, prometheus::MetricType::Gauge) << gauge;
  }
  // One family per name.
  std::set<std::string> names;
  for (const auto& fam : f) EXPECT_TRUE(names.insert(fam.name).second) << fam.name;
}

TEST(RedisInfoMetrics, ReplicaLink) {
  const auto f = Metrics("info_all_7.0_replica.txt");
  EXPECT_EQ(
      Value(f, "redis_master_link_up", {{"master_host", "127.0.0.1"}, {"master_port", "16379"}}),
      1);
  EXPECT_EQ(Value(f, "redis_instance_info", {{"role", "slave"}}), 1);
  EXPECT_EQ(Value(f, "redis_master_sync_in_progress"), 0);
}

TEST(RedisInfoMetrics, OlderShapes) {
  const auto v6 = Metrics("info_all_6.0_shape.txt");
  EXPECT_EQ(Value(v6, "redis_rdb_last_bgsave_status"), 0);  // "err"
  EXPECT_EQ(Value(v6, "redis_evicted_keys_total"), 42);
  EXPECT_DOUBLE_EQ(Value(v6, "redis_latest_fork_seconds"), 0.0015);  // usec -> seconds
  EXPECT_EQ(Value(v6, "redis_memory_max_bytes"), 1073741824);
  EXPECT_EQ(Value(v6, "redis_commands_total", {{"cmd", "incr"}}), 765);
  EXPECT_FALSE(Has(v6, "redis_commands_rejected_calls_total"));
  EXPECT_FALSE(Has(v6, "redis_errors_total"));
  EXPECT_EQ(Value(v6, "redis_db_keys", {{"db", "db2"}}), 3);

  const auto v26 = Metrics("info_2.6_shape.txt");
  EXPECT_EQ(Value(v26, "redis_client_longest_output_list"), 0);
  EXPECT_EQ(Value(v26, "redis_connected_slaves"), 1);
  EXPECT_FALSE(Has(v26, "redis_connected_slave_offset_bytes"));
  EXPECT_FALSE(Has(v26, "redis_db_avg_ttl_seconds"));
}

TEST(RedisInfoMetrics, HostileInputEmitsNoLies) {
  const auto f = Metrics("info_non_numeric.txt");
  EXPECT_FALSE(Has(f, "redis_uptime_in_seconds"));
  EXPECT_FALSE(Has(f, "redis_memory_used_bytes"));
  EXPECT_FALSE(Has(f, "redis_memory_max_bytes"));
  EXPECT_FALSE(Has(f, "redis_mem_fragmentation_ratio"));
  EXPECT_FALSE(Has(f, "redis_keyspace_hits_total"));
  EXPECT_FALSE(Has(f, "redis_rdb_last_bgsave_status"));  // "maybe"
  EXPECT_EQ(Value(f, "redis_keyspace_misses_total"), 7);
  EXPECT_EQ(Value(f, "redis_commands_total", {{"cmd", "set"}}), 3);
  EXPECT_FALSE(Has(f, "redis_commands_rejected_calls_total"));
  EXPECT_EQ(Value(f, "redis_errors_total", {{"err", "NOPERM"}}), 2);

  const auto truncated = Metrics("info_truncated.txt");
  EXPECT_FALSE(Has(truncated, "redis_memory_used_bytes"));
  EXPECT_EQ(Value(truncated, "redis_connected_clients"), 1);

  const auto missing = Metrics("info_missing_sections.txt");
  EXPECT_EQ(Value(missing, "redis_db_keys", {{"db", "db0"}}), 10);
  EXPECT_EQ(Value(missing, "redis_instance_info", {{"redis_version", "7.2.4"}, {"role", ""}}), 1);
  EXPECT_FALSE(Has(missing, "redis_connected_clients"));

  MetricSink empty;
  WriteInfoMetrics(ParseInfo(""), empty);
  EXPECT_TRUE(empty.families().empty());
}

TEST(RedisInfoMetrics, SerializesAsValidText) {
  const std::string text = SerializeText(Metrics("info_all_7.0_master.txt"));
  EXPECT_NE(text.find("# TYPE redis_commands_total counter"), std::string::npos);
  EXPECT_NE(text.find("redis_commands_total{target=\"cache\",cmd=\"config|set\"} 2"),
            std::string::npos);
}

}  // namespace
}  // namespace thoth::redis

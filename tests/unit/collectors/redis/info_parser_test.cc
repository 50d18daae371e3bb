#include "collectors/redis/info_parser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/test_fixtures.h"

namespace thoth::redis {
namespace {

TEST(RedisInfoParser, Redis70MasterRecorded) {
  const RedisInfo info = ParseInfo(Fixture("redis/info_all_7.0_master.txt"));
  EXPECT_FALSE(info.truncated);
  EXPECT_EQ(info.malformed_lines, 0);
  EXPECT_EQ(*info.Find("redis_version"), "7.0.15");
  EXPECT_EQ(*info.Find("role"), "master");
  EXPECT_EQ(info.Number("used_memory"), 1188464);
  EXPECT_EQ(info.Number("maxclients"), 10000);
  EXPECT_EQ(info.Number("mem_fragmentation_ratio"), 6.41);
  // Words are fields but not numbers.
  EXPECT_EQ(*info.Find("rdb_last_bgsave_status"), "ok");
  EXPECT_FALSE(info.Number("rdb_last_bgsave_status"));
  // Values that hold ':' keep everything after the first one.
  EXPECT_EQ(*info.Find("monotonic_clock"), "POSIX clock_gettime");

  const std::vector<std::string> sections = {
      "Server",  "Clients",      "Memory",     "Persistence",  "Stats",   "Replication", "CPU",
      "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"};
  EXPECT_EQ(info.sections, sections);

  ASSERT_EQ(info.commands.size(), 10u);
  const CommandStat* set = nullptr;
  const CommandStat* config_set = nullptr;
  const CommandStat* debug = nullptr;
  for (const auto& c : info.commands) {
    if (c.cmd == "set") set = &c;
    if (c.cmd == "config|set") config_set = &c;
    if (c.cmd == "debug") debug = &c;
  }
  ASSERT_TRUE(set && config_set && debug);
  EXPECT_EQ(set->calls, 52);
  EXPECT_EQ(set->usec, 312);
  EXPECT_EQ(config_set->calls, 2);
  EXPECT_EQ(debug->rejected_calls, 1);
  EXPECT_EQ(debug->failed_calls, 0);

  ASSERT_EQ(info.errors.size(), 2u);
  EXPECT_EQ(info.errors[0], (std::pair<std::string, double>{"ERR", 2}));
  EXPECT_EQ(info.errors[1], (std::pair<std::string, double>{"WRONGTYPE", 1}));

  ASSERT_EQ(info.keyspace.size(), 2u);
  EXPECT_EQ(info.keyspace[0].db, "db0");
  EXPECT_EQ(info.keyspace[0].keys, 51);
  EXPECT_EQ(info.keyspace[0].expires, 50);
  EXPECT_EQ(info.keyspace[0].avg_ttl_ms, 3597757);
  EXPECT_EQ(info.keyspace[1].db, "db1");

  ASSERT_EQ(info.replicas.size(), 1u);
  EXPECT_EQ(info.replicas[0].ip, "127.0.0.1");
  EXPECT_EQ(info.replicas[0].port, "16380");
  EXPECT_EQ(info.replicas[0].state, "online");
  EXPECT_EQ(info.replicas[0].offset, 3749);
  EXPECT_EQ(info.replicas[0].lag_seconds, 1);
  // Latency percentiles are kept as plain fields, not mistaken for commands.
  EXPECT_NE(info.Find("latency_percentiles_usec_get"), nullptr);
}

TEST(RedisInfoParser, Redis70ReplicaRecorded) {
  const RedisInfo info = ParseInfo(Fixture("redis/info_all_7.0_replica.txt"));
  EXPECT_EQ(info.malformed_lines, 0);
  EXPECT_EQ(*info.Find("role"), "slave");
  EXPECT_EQ(*info.Find("master_link_status"), "up");
  EXPECT_EQ(*info.Find("master_port"), "16379");
  EXPECT_TRUE(info.replicas.empty());
}

TEST(RedisInfoParser, Redis60ShapeHasNoExtendedCommandStats) {
  const RedisInfo info = ParseInfo(Fixture("redis/info_all_6.0_shape.txt"));
  EXPECT_EQ(info.malformed_lines, 0);
  EXPECT_FALSE(info.Find("maxclients"));
  ASSERT_EQ(info.commands.size(), 3u);
  EXPECT_FALSE(info.commands[0].rejected_calls);
  EXPECT_FALSE(info.commands[0].failed_calls);
  EXPECT_TRUE(info.errors.empty());
  ASSERT_EQ(info.keyspace.size(), 2u);
  EXPECT_EQ(info.keyspace[1].db, "db2");
}

TEST(RedisInfoParser, Redis26ShapeOldReplicaLineIsMalformedNotFatal) {
  const RedisInfo info = ParseInfo(Fixture("redis/info_2.6_shape.txt"));
  EXPECT_EQ(info.malformed_lines, 1);  // slave0:127.0.0.1,6380,online
  EXPECT_TRUE(info.replicas.empty());
  ASSERT_EQ(info.keyspace.size(), 1u);
  EXPECT_EQ(info.keyspace[0].keys, 4);
  EXPECT_FALSE(info.keyspace[0].avg_ttl_ms);
  EXPECT_EQ(info.Number("used_memory"), 1048576);
}

TEST(RedisInfoParser, MissingSectionsAndUnknownFields) {
  const RedisInfo info = ParseInfo(Fixture("redis/info_missing_sections.txt"));
  EXPECT_EQ(info.malformed_lines, 0);
  EXPECT_EQ(info.sections, (std::vector<std::string>{"Server", "Keyspace"}));
  EXPECT_EQ(*info.Find("some_future_field"), "hello");
  EXPECT_EQ(info.Number("another_one"), 1500);
  EXPECT_FALSE(info.Find("used_memory"));
  ASSERT_EQ(info.keyspace.size(), 1u);
  EXPECT_EQ(info.keyspace[0].keys, 10);
}

TEST(RedisInfoParser, NonNumericValuesAreNotNumbers) {
  const RedisInfo info = ParseInfo(Fixture("redis/info_non_numeric.txt"));
  EXPECT_FALSE(info.Number("uptime_in_seconds"));
  EXPECT_FALSE(info.Number("used_memory"));
  EXPECT_FALSE(info.Number("used_memory_rss"));
  EXPECT_FALSE(info.Number("maxmemory"));                // nan
  EXPECT_FALSE(info.Number("mem_fragmentation_ratio"));  // inf
  EXPECT_EQ(info.Number("total_system_memory"), -1);
  EXPECT_FALSE(info.Number("keyspace_hits"));
  EXPECT_EQ(info.Number("keyspace_misses"), 7);
  // Only the well-formed structured lines survive.
  ASSERT_EQ(info.commands.size(), 1u);
  EXPECT_EQ(info.commands[0].cmd, "set");
  EXPECT_FALSE(info.commands[0].rejected_calls);  // "zz"
  ASSERT_EQ(info.errors.size(), 1u);
  EXPECT_EQ(info.errors[0].first, "NOPERM");
  ASSERT_EQ(info.keyspace.size(), 1u);
  EXPECT_EQ(info.keyspace[0].db, "db1");
  EXPECT_EQ(*info.Find("dbx"), "keys=1,expires=0");  // not a database name
  // cmdstat_get (calls=x), cmdstat_ (no name), cmdstat_ping (no colon), errorstat_ERR (empty),
  // db0 (no expires), the line without a colon, the line starting with a colon.
  EXPECT_EQ(info.malformed_lines, 7);
}

TEST(RedisInfoParser, TruncatedReplyDropsTheCutLine) {
  const RedisInfo info = ParseInfo(Fixture("redis/info_truncated.txt"));
  EXPECT_TRUE(info.truncated);
  EXPECT_FALSE(info.Find("used_memory"));
  EXPECT_EQ(*info.Find("redis_version"), "7.0.15");
  EXPECT_EQ(info.Number("connected_clients"), 1);
}

TEST(RedisInfoParser, EmptyAndGarbage) {
  EXPECT_TRUE(ParseInfo("").fields.empty());
  const RedisInfo garbage = ParseInfo(std::string("\0\x01\xff\r\n\r\n#\r\n:\r\n", 13));
  EXPECT_TRUE(garbage.fields.empty());
  EXPECT_EQ(garbage.malformed_lines, 2);
  // LF-only line ends are accepted too.
  EXPECT_EQ(ParseInfo("a:1\nb:2\n").Number("b"), 2);
}

TEST(RedisInfoParser, LabeledEntriesAreBounded) {
  std::string text;
  for (size_t i = 0; i < kMaxLabeledEntries + 10; ++i) {
    text += "cmdstat_c" + std::to_string(i) + ":calls=1,usec=1,usec_per_call=1\r\n";
  }
  EXPECT_EQ(ParseInfo(text).commands.size(), kMaxLabeledEntries);
}

TEST(RedisInfoParser, ParseNumber) {
  EXPECT_EQ(ParseNumber("0"), 0);
  EXPECT_EQ(ParseNumber("-1"), -1);
  EXPECT_EQ(ParseNumber("1.25"), 1.25);
  EXPECT_EQ(ParseNumber("2e3"), 2000);
  EXPECT_FALSE(ParseNumber(""));
  EXPECT_FALSE(ParseNumber("1 "));
  EXPECT_FALSE(ParseNumber("0x10"));
  EXPECT_FALSE(ParseNumber("NaN"));
  EXPECT_FALSE(ParseNumber("-inf"));
}

}  // namespace
}  // namespace thoth::redis

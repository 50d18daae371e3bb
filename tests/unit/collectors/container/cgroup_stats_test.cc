#include "collectors/container/cgroup_stats.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace thoth {
namespace {

// Reads every file of fixture directories into one CgroupFiles, as the collector would.
CgroupFiles ReadFixtureDirs(const std::vector<std::string>& dirs) {
  CgroupFiles files;
  for (const auto& rel : dirs) {
    std::filesystem::path dir = std::filesystem::path(THOTH_FIXTURES_DIR) / "container" / rel;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path());
      std::stringstream ss;
      ss << in.rdbuf();
      files[entry.path().filename().string()] = ss.str();
    }
  }
  return files;
}

// The fixtures' 64-digit Docker ids repeat one two-digit pair.
std::string Id(const std::string& pair) {
  std::string id;
  for (int i = 0; i < 32; ++i) id += pair;
  return id;
}

CgroupFiles V1(const std::string& cgroup) {
  return ReadFixtureDirs(
      {"v1/sys/fs/cgroup/cpu,cpuacct" + cgroup, "v1/sys/fs/cgroup/memory" + cgroup});
}

TEST(CgroupStats, V1UnlimitedContainer) {
  CgroupStats s = StatsFromV1(V1("/thoth/exporter"), 100);
  EXPECT_DOUBLE_EQ(*s.cpu_usage_seconds, 12.5);
  EXPECT_DOUBLE_EQ(*s.cpu_user_seconds, 8);
  EXPECT_DOUBLE_EQ(*s.cpu_system_seconds, 3);
  EXPECT_DOUBLE_EQ(*s.cpu_quota_us, 0);  // -1 = unlimited
  EXPECT_DOUBLE_EQ(*s.cpu_period_us, 100000);
  EXPECT_DOUBLE_EQ(*s.cfs_periods, 0);
  EXPECT_DOUBLE_EQ(*s.memory_usage_bytes, 104857600);
  EXPECT_DOUBLE_EQ(*s.memory_limit_bytes, 0);  // 9223372036854771712 = unlimited
  EXPECT_DOUBLE_EQ(*s.memory_working_set_bytes, 104857600 - 20971520);
  EXPECT_DOUBLE_EQ(*s.memory_rss_bytes, 52428800);
  EXPECT_DOUBLE_EQ(*s.memory_cache_bytes, 41943040);
  EXPECT_DOUBLE_EQ(*s.memory_swap_bytes, 0);
  EXPECT_DOUBLE_EQ(*s.oom_events, 0);
}

TEST(CgroupStats, V1LimitedAndThrottled) {
  CgroupStats s = StatsFromV1(V1("/docker/" + Id("a1")), 100);
  EXPECT_DOUBLE_EQ(*s.cpu_usage_seconds, 3);
  EXPECT_DOUBLE_EQ(*s.cpu_user_seconds, 2);
  EXPECT_DOUBLE_EQ(*s.cpu_system_seconds, 0.5);
  EXPECT_DOUBLE_EQ(*s.cpu_quota_us, 50000);
  EXPECT_DOUBLE_EQ(*s.cfs_periods, 1000);
  EXPECT_DOUBLE_EQ(*s.cfs_throttled_periods, 25);
  EXPECT_DOUBLE_EQ(*s.cfs_throttled_seconds, 1.5);
  EXPECT_DOUBLE_EQ(*s.memory_limit_bytes, 536870912);
  // inactive_file (400 MB) above usage (300 MB): floored at 0, never negative.
  EXPECT_DOUBLE_EQ(*s.memory_working_set_bytes, 0);
  EXPECT_DOUBLE_EQ(*s.memory_swap_bytes, 4096);
  EXPECT_DOUBLE_EQ(*s.oom_events, 2);
}

TEST(CgroupStats, V1UserHzScalesTicks) {
  CgroupStats s = StatsFromV1(V1("/thoth/exporter"), 250);
  EXPECT_DOUBLE_EQ(*s.cpu_user_seconds, 800.0 / 250);
  EXPECT_DOUBLE_EQ(*s.cpu_system_seconds, 300.0 / 250);
}

TEST(CgroupStats, V1DamagedFilesGivePartialStats) {
  CgroupStats s = StatsFromV1(V1("/system.slice/postgresql.service"), 100);
  EXPECT_DOUBLE_EQ(*s.cpu_usage_seconds, 1);
  EXPECT_DOUBLE_EQ(*s.cpu_user_seconds, 0.1);
  EXPECT_FALSE(s.cpu_system_seconds);  // "sys" cut short
  EXPECT_FALSE(s.cfs_periods);         // no cpu.stat
  EXPECT_FALSE(s.cpu_quota_us);
  EXPECT_DOUBLE_EQ(*s.memory_limit_bytes, 0);  // 2^63-1
  EXPECT_DOUBLE_EQ(*s.memory_working_set_bytes, 40000000);
  EXPECT_FALSE(s.memory_rss_bytes);  // "abc"
  EXPECT_DOUBLE_EQ(*s.memory_cache_bytes, 40000000);
  EXPECT_FALSE(s.oom_events);  // "-3"
}

TEST(CgroupStats, V1MemswGivesSwapWhenStatHasNone) {
  CgroupFiles files = {{"memory.usage_in_bytes", "1000\n"},
                       {"memory.memsw.usage_in_bytes", "1500\n"}};
  EXPECT_DOUBLE_EQ(*StatsFromV1(files, 100).memory_swap_bytes, 500);
  files["memory.memsw.usage_in_bytes"] = "900\n";  // sampled a moment apart: never negative
  EXPECT_DOUBLE_EQ(*StatsFromV1(files, 100).memory_swap_bytes, 0);
}

TEST(CgroupStats, V1LimitThreshold) {
  CgroupFiles files = {{"memory.limit_in_bytes", "4611686018427387903\n"}};
  EXPECT_DOUBLE_EQ(*StatsFromV1(files, 100).memory_limit_bytes, 4611686018427387903.0);
  files["memory.limit_in_bytes"] = "4611686018427387904\n";  // 2^62
  EXPECT_DOUBLE_EQ(*StatsFromV1(files, 100).memory_limit_bytes, 0);
}

TEST(CgroupStats, V2Unlimited) {
  CgroupStats s =
      StatsFromV2(ReadFixtureDirs({"v2/sys/fs/cgroup/system.slice/thoth-exporter.service"}));
  EXPECT_DOUBLE_EQ(*s.cpu_usage_seconds, 2.5);
  EXPECT_DOUBLE_EQ(*s.cpu_user_seconds, 2);
  EXPECT_DOUBLE_EQ(*s.cpu_system_seconds, 0.5);
  EXPECT_DOUBLE_EQ(*s.cpu_quota_us, 0);
  EXPECT_DOUBLE_EQ(*s.cpu_period_us, 100000);
  EXPECT_DOUBLE_EQ(*s.memory_usage_bytes, 67108864);
  EXPECT_DOUBLE_EQ(*s.memory_limit_bytes, 0);
  EXPECT_DOUBLE_EQ(*s.memory_working_set_bytes, 67108864 - 8388608);
  EXPECT_DOUBLE_EQ(*s.memory_rss_bytes, 33554432);
  EXPECT_DOUBLE_EQ(*s.memory_cache_bytes, 25165824);
  EXPECT_DOUBLE_EQ(*s.memory_swap_bytes, 0);
  EXPECT_DOUBLE_EQ(*s.oom_events, 0);
}

TEST(CgroupStats, V2Limited) {
  CgroupStats s = StatsFromV2(ReadFixtureDirs({"v2/sys/fs/cgroup/docker/" + Id("c3")}));
  EXPECT_DOUBLE_EQ(*s.cpu_usage_seconds, 9);
  EXPECT_DOUBLE_EQ(*s.cfs_periods, 500);
  EXPECT_DOUBLE_EQ(*s.cfs_throttled_periods, 10);
  EXPECT_DOUBLE_EQ(*s.cfs_throttled_seconds, 0.25);
  EXPECT_DOUBLE_EQ(*s.cpu_quota_us, 50000);
  EXPECT_DOUBLE_EQ(*s.memory_limit_bytes, 268435456);
  EXPECT_DOUBLE_EQ(*s.memory_working_set_bytes, 200000000);
  EXPECT_DOUBLE_EQ(*s.memory_swap_bytes, 1048576);
  EXPECT_DOUBLE_EQ(*s.oom_events, 1);
}

TEST(CgroupStats, V2HostileFilesGiveNothingWrong) {
  CgroupStats s =
      StatsFromV2(ReadFixtureDirs({"v2/sys/fs/cgroup/system.slice/postgresql.service"}));
  EXPECT_FALSE(s.cpu_usage_seconds);  // 2^64 overflows
  EXPECT_DOUBLE_EQ(*s.cpu_user_seconds, 42e-6);
  EXPECT_FALSE(s.cpu_quota_us);
  EXPECT_FALSE(s.memory_usage_bytes);  // "-5"
  EXPECT_FALSE(s.memory_working_set_bytes);
  EXPECT_FALSE(s.memory_limit_bytes);  // "max max"
  EXPECT_FALSE(s.memory_rss_bytes);
  EXPECT_TRUE(s.Empty());
}

TEST(CgroupStats, NoFilesNoStats) {
  EXPECT_TRUE(StatsFromV1({}, 100).Empty());
  EXPECT_TRUE(StatsFromV2({}).Empty());
}

}  // namespace
}  // namespace thoth

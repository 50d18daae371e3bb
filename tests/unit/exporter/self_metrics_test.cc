#include "exporter/self_metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace thoth {
namespace {

// The stat line of tests/unit/procfs/proc_pid_test.cc: utime 250, stime 50, starttime 5000,
// vsize 104857600, rss 2560 pages. The command holds a space and parentheses.
const char* kStat =
    "4242 (memory (svc) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 4 0 5000 "
    "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(SelfMetrics, ProcessStatsFromTheSharedProcStatParser) {
  ProcessStats s;
  ASSERT_TRUE(ParseProcSelfStat(kStat, 100, 4096, 1700000000, &s));
  EXPECT_DOUBLE_EQ(s.cpu_seconds, 3.0);
  EXPECT_DOUBLE_EQ(s.start_time_seconds, 1700000050.0);
  EXPECT_DOUBLE_EQ(s.virtual_bytes, 104857600.0);
  EXPECT_DOUBLE_EQ(s.resident_bytes, 2560.0 * 4096);
}

TEST(SelfMetrics, CutOrMalformedStatIsRejected) {
  ProcessStats s;
  std::string stat = kStat;
  EXPECT_FALSE(ParseProcSelfStat(stat.substr(0, stat.find(" 2560")), 100, 4096, 0, &s));
  EXPECT_FALSE(ParseProcSelfStat("4242 memory-service S 1", 100, 4096, 0, &s));
  EXPECT_FALSE(ParseProcSelfStat(kStat, 0, 4096, 0, &s));  // no clock ticks: no division
}

}  // namespace
}  // namespace thoth

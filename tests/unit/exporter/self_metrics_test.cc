#include "exporter/self_metrics.h"

#include <chrono>

#include "gtest/gtest.h"

namespace thoth {
namespace {

// /proc/<pid>/stat of a process whose command holds spaces and parentheses; utime 250,
// stime 50, starttime 1000 (ticks), vsize 123456789, rss 300 pages.
constexpr char kStat[] =
    "42 (a) b (c) S 1 42 42 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 4 0 1000 123456789 300 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ParseProcSelfStat, ReadsFieldsAfterTheLastParenthesis) {
  ProcessStats s;
  ASSERT_TRUE(ParseProcSelfStat(kStat, 100, 4096, 1.7e9, &s));
  EXPECT_DOUBLE_EQ(s.cpu_seconds, 3);
  EXPECT_DOUBLE_EQ(s.start_time_seconds, 1.7e9 + 10);
  EXPECT_DOUBLE_EQ(s.virtual_bytes, 123456789);
  EXPECT_DOUBLE_EQ(s.resident_bytes, 300 * 4096);
}

TEST(ParseProcSelfStat, RejectsTruncatedAndMalformedText) {
  ProcessStats s;
  EXPECT_FALSE(ParseProcSelfStat("", 100, 4096, 0, &s));
  EXPECT_FALSE(ParseProcSelfStat("42 no parenthesis S 1 2 3", 100, 4096, 0, &s));
  EXPECT_FALSE(
      ParseProcSelfStat("42 (cmd) S 1 42 42 0 -1 4194304 100 0 0 0 250", 100, 4096, 0, &s));
  EXPECT_FALSE(ParseProcSelfStat(kStat, 0, 4096, 0, &s));  // no clock ticks per second
}

TEST(EmitProcessMetrics, DescribesThisProcess) {
  MetricSink sink;
  EmitProcessMetrics(sink);
  const auto& f = sink.families();
  double v = -1;
  ASSERT_TRUE(FindSample(f, "process_cpu_seconds_total", {}, &v));
  EXPECT_GE(v, 0);
  ASSERT_TRUE(FindSample(f, "process_resident_memory_bytes", {}, &v));
  EXPECT_GT(v, 1 << 20);
  ASSERT_TRUE(FindSample(f, "process_virtual_memory_bytes", {}, &v));
  EXPECT_GT(v, 1 << 20);
  ASSERT_TRUE(FindSample(f, "process_open_fds", {}, &v));
  EXPECT_GE(v, 3);  // stdin, stdout, stderr at least; not the one counting them
  ASSERT_TRUE(FindSample(f, "process_max_fds", {}, &v));
  EXPECT_GE(v, 0);
  ASSERT_TRUE(FindSample(f, "process_start_time_seconds", {}, &v));
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(v, now + 1);
  EXPECT_GT(v, now - 24 * 3600);  // this test binary started today
}

}  // namespace
}  // namespace thoth

#include "exporter/metric_sink.h"

#include "gtest/gtest.h"

namespace thoth {
namespace {

TEST(MetricSink, SameNameSharesOneFamilyAndTargetLabelComesFirst) {
  MetricSink sink("memory-db");
  sink.Gauge("pg_up", "Whether PostgreSQL answers.", {}, 1);
  sink.Gauge("pg_database_size_bytes", "Size.", {{"datname", "a"}}, 10);
  sink.Gauge("pg_database_size_bytes", "Size.", {{"datname", "b"}}, 20);
  const auto& f = sink.families();
  ASSERT_EQ(f.size(), 2u);
  ASSERT_EQ(f[1].size(), 2u);
  EXPECT_EQ(f[1].SampleLabels(1)[0].first, "target");
  EXPECT_EQ(f[1].SampleLabels(1)[0].second, "memory-db");
  EXPECT_EQ(f[1].SampleLabels(1)[1].second, "b");
  double v = 0;
  ASSERT_TRUE(FindSample(f, "pg_database_size_bytes", {{"datname", "b"}}, &v));
  EXPECT_EQ(v, 20);
  EXPECT_FALSE(FindSample(f, "pg_database_size_bytes", {{"datname", "c"}}, &v));
}

TEST(MetricSink, NoTargetLabelWithoutTarget) {
  MetricSink sink;
  sink.Counter("x_total", "h", {{"a", "1"}}, 3);
  EXPECT_EQ(SerializeText(sink.Take()),
            "# HELP x_total h\n# TYPE x_total counter\nx_total{a=\"1\"} 3\n");
}

TEST(MetricSink, HelpIsEscapedAndLabelValuesToo) {
  MetricSink sink;
  sink.Gauge("g", "line one\nback\\slash", {{"l", "quote\" nl\n bs\\"}}, 1);
  std::string text = SerializeText(sink.Take());
  EXPECT_NE(text.find("# HELP g line one\\nback\\\\slash\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g{l=\"quote\\\" nl\\n bs\\\\\"} 1"), std::string::npos) << text;
}

TEST(MetricSink, HistogramHasCumulativeBucketsAndInf) {
  MetricSink sink;
  sink.Histogram("h_seconds", "h", {}, {0.5, 2}, {3, 5}, 6, 9.5);
  std::string text = SerializeText(sink.Take());
  EXPECT_NE(text.find("h_seconds_bucket{le=\"0.5\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_bucket{le=\"2\"} 5"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_bucket{le=\"+Inf\"} 6"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_count 6"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_sum 9.5"), std::string::npos) << text;
}

TEST(EscapeHelp, EscapesOnlyBackslashAndNewline) {
  EXPECT_EQ(EscapeHelp("a\\b\nc\"d"), "a\\\\b\\nc\"d");
}

}  // namespace
}  // namespace thoth

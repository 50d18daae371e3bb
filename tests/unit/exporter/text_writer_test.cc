// The text writer (MetricSink, SerializeText) against the former path, prometheus-cpp 1.0.1's
// TextSerializer (tests/support/legacy_text.h): byte for byte on hostile label values and HELP
// text, special and awkward numbers, and histograms. Every other sink of the unit tests (every
// fixture-driven collector output) is compared the same way as it is taken or dropped.

#include <cmath>
#include <cstring>
#include <limits>
#include <locale>
#include <random>
#include <sstream>

#include "exporter/metric_sink.h"
#include "gtest/gtest.h"
#include "tests/support/legacy_text.h"

namespace thoth {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The text writer's text of a sink, after checking it against the old path's.
std::string Checked(MetricSink& sink) {
  const std::size_t before = testing::LegacyComparisons();
  const std::string text = SerializeText(sink.Take());
  EXPECT_EQ(testing::LegacyComparisons(), before + 1) << "the old path did not render the sink";
  EXPECT_EQ(text, testing::LegacyText(testing::LegacyFamilies(sink)));
  return text;
}

const std::vector<std::string>& HostileStrings() {
  static const std::vector<std::string> kStrings = {
      "",
      "plain",
      "back\\slash",
      "\\",
      "\\\\n",
      "new\nline",
      "\n",
      "quote\"d",
      "\"",
      "\"}",
      "a,b=\"c\"",
      "} 1\n# HELP fake",
      "tab\there\rcr",
      "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
      "invalid utf-8 \xff\xfe \xc3",
      std::string("nul\0inside", 10),
      "trailing backslash\\",
      std::string(300, 'x') + "\\\"\n",
  };
  return kStrings;
}

const std::vector<double>& AwkwardNumbers() {
  static const std::vector<double> kNumbers = {
      0.0,
      -0.0,
      1,
      -1,
      0.1,
      0.5,
      1.5,
      2.5e-7,
      1e-300,
      4.9e-324,  // the smallest subnormal
      2.2250738585072014e-308,
      1e15 - 1,
      1e15,
      1e15 + 1,
      9007199254740991,  // 2^53 - 1
      9007199254740993.0,
      1e16,
      1e17,
      123456789012345678.0,
      1e21,
      1e22,
      1.7976931348623157e308,
      -1.7976931348623157e308,
      0.30000000000000004,
      1.0 / 3,
      2.0 / 3,
      100.0 / 3,
      1e-5,
      1e-4,
      0.0001234,
      12345.678,
      -98765.4321,
      std::pow(2.0, 63),
      -std::pow(2.0, 63),
      std::pow(2.0, 64),
      18446744073709551615.0,
      kInf,
      -kInf,
      kNaN,
      -kNaN,
  };
  return kNumbers;
}

TEST(TextWriter, HostileLabelValuesAndHelpTextMatchTheOldPath) {
  MetricSink sink("tar\"get\\\n\xc3\xa9");
  int i = 0;
  for (const std::string& s : HostileStrings()) {
    sink.Gauge("hostile_gauge", s, {{"value", s}, {"other", "x"}}, i);
    sink.Counter("hostile_help_" + std::to_string(i) + "_total", s, {}, i);
    sink.Untyped("hostile_untyped", "", {{"v", s}}, i);
    sink.Histogram("hostile_seconds", s, {{"v", s}}, {0.1, 1}, {1, 2}, 3, 0.25);
    ++i;
  }
  const std::string text = Checked(sink);
  EXPECT_NE(text.find("hostile_gauge{target=\"tar\\\"get\\\\\\n\xc3\xa9\",value=\"new\\nline\""),
            std::string::npos)
      << text;
}

TEST(TextWriter, SpecialAndAwkwardNumbersMatchTheOldPath) {
  MetricSink sink;
  int i = 0;
  for (double v : AwkwardNumbers()) {
    const Labels labels = {{"i", std::to_string(i++)}};
    sink.Gauge("n_gauge", "Numbers.", labels, v);
    sink.Counter("n_total", "Numbers.", labels, v);
    sink.Untyped("n_untyped", "Numbers.", labels, v);
  }
  // Bucket bounds as le="...", sums, and a count past 2^53.
  sink.Histogram("n_seconds", "Buckets.", {}, AwkwardNumbers(),
                 std::vector<std::uint64_t>(AwkwardNumbers().size(), 3), 18446744073709551615ull,
                 kNaN);
  sink.Histogram("n_seconds", "Buckets.", {{"k", "v"}}, {0.005, 0.01, 0.025, 0.05, 0.1, 0.25},
                 {0, 1, 2, 3, 4, 5}, 6, -kInf);
  sink.Histogram("n_seconds", "Buckets.", {{"k", "no buckets"}}, {}, {}, 0, 0);
  sink.Histogram("n_seconds", "Buckets.", {{"k", "fewer counts"}}, {1, 2, 3}, {1}, 4, 1e300);
  sink.Histogram("n_seconds", "Buckets.", {{"k", "+Inf given"}}, {1, kInf}, {1, 2}, 2, 1);
  const std::string text = Checked(sink);
  EXPECT_NE(text.find("n_gauge{i=\"1\"} -0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Nan\n"), std::string::npos);
  EXPECT_NE(text.find("n_seconds_bucket{le=\"+Inf\"} 18446744073709551615\n"), std::string::npos);
}

// The number formatting alone, on random bit patterns and random "ordinary" values, against an
// ostream set up as TextSerializer sets one up.
TEST(TextWriter, NumbersAsAnOstreamWithPrecision16) {
  std::ostringstream ref;
  ref.imbue(std::locale::classic());
  ref.precision(std::numeric_limits<double>::max_digits10 - 1);
  std::mt19937_64 rng(20261207);
  std::uniform_real_distribution<double> ordinary(-1e6, 1e6);
  std::string got;
  for (int i = 0; i < 300000; ++i) {
    double v;
    if (i % 3 == 0) {
      const std::uint64_t bits = rng();
      std::memcpy(&v, &bits, sizeof v);
    } else if (i % 3 == 1) {
      v = ordinary(rng);
    } else {
      v = std::round(ordinary(rng) * 1000) / (i % 2 ? 1 : 1000);
    }
    if (std::isnan(v) || std::isinf(v)) continue;
    ref.str("");
    ref << v;
    got.clear();
    AppendNumber(v, &got);
    ASSERT_EQ(got, ref.str()) << "bits of v: " << std::hexfloat << v;
  }
}

TEST(TextWriter, ReadsBackLabelsAndValues) {
  MetricSink sink("db");
  sink.Gauge("g", "h", {{"a", "x\"y\\z\nw"}, {"b", ""}}, 2.5);
  sink.Histogram("h", "h", {{"a", "1"}}, {1}, {1}, 4, 3);
  const Families& f = sink.families();
  ASSERT_EQ(f.size(), 2u);
  const Labels want = {{"target", "db"}, {"a", "x\"y\\z\nw"}, {"b", ""}};
  EXPECT_EQ(f[0].SampleLabels(0), want);
  EXPECT_EQ(f[0].LabelValue(0, "a"), "x\"y\\z\nw");
  EXPECT_EQ(f[0].LabelValue(0, "missing"), "");
  double v = 0;
  EXPECT_TRUE(FindSample(f, "g", {{"a", "x\"y\\z\nw"}, {"b", ""}}, &v));
  EXPECT_EQ(v, 2.5);
  EXPECT_FALSE(FindSample(f, "g", {{"a", "x\"y\\z\n"}}, &v));
  EXPECT_FALSE(FindSample(f, "g", {{"b", "x"}}, &v));
  ASSERT_TRUE(FindSample(f, "h", {{"a", "1"}}, &v));  // a histogram's count
  EXPECT_EQ(v, 4);
  EXPECT_EQ(f[1].SampleLabels(0), (Labels{{"target", "db"}, {"a", "1"}}));
}

// The old sink wrote a sample whose type conflicts with its family's under the family's type,
// with a value of 0; the writer drops it.
TEST(TextWriter, SampleOfAnotherTypeIsDropped) {
  const std::size_t skipped = testing::LegacySkippedComparisons();
  MetricSink sink;
  sink.Gauge("m", "h", {{"k", "1"}}, 5);
  sink.Counter("m", "h", {{"k", "2"}}, 7);
  sink.Histogram("m", "h", {{"k", "3"}}, {1}, {1}, 1, 1);
  sink.Gauge("m", "h", {{"k", "4"}}, 6);
  EXPECT_EQ(SerializeText(sink.Take()), "# HELP m h\n# TYPE m gauge\nm{k=\"1\"} 5\nm{k=\"4\"} 6\n");
  EXPECT_EQ(testing::LegacySkippedComparisons(), skipped + 1);
}

// A refilled Families writes only its new samples.
TEST(TextWriter, RefilledBuffersForgetTheLastCollection) {
  MetricSink first("a");
  first.Gauge("x", "h", {{"k", "v"}}, 1);
  first.Gauge("y", "h", {}, 2);
  Families reused = first.Take();
  MetricSink second("b", std::move(reused));
  second.Gauge("y", "other", {}, 3);
  EXPECT_EQ(Checked(second), "# HELP y other\n# TYPE y gauge\ny{target=\"b\"} 3\n");
}

}  // namespace
}  // namespace thoth

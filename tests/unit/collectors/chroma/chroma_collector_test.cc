// The collector against nothing: what it reports when the server cannot be reached, and the
// --once rows it derives from a collection's families. (Behaviour against real and recorded
// servers is in tests/integration/chroma.)
#include "collectors/chroma/chroma_collector.h"

#include <gtest/gtest.h>

#include "exporter/memory_errors.h"
#include "exporter/metric_sink.h"
#include "exporter/registry.h"

namespace thoth::chroma {
namespace {

std::shared_ptr<Collector> Make(const std::string& yaml, const CollectorEnv& env = {}) {
  auto c = BuildCollectors("chroma", ParseYaml(yaml, "t.yml"), env);
  EXPECT_EQ(c.size(), 1u);
  return c.at(0);
}

TEST(ChromaCollectorTest, RefusedConnectionIsDownWithAReason) {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  auto c = Make("chroma:\n  - {name: v, url: \"http://127.0.0.1:1\"}\n");
  MetricSink sink("v");
  Status s = c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("v2 heartbeat: no answer"), std::string::npos) << s.message();
  double up = -1;
  ASSERT_TRUE(FindSample(sink.families(), "chroma_up", {{"target", "v"}}, &up));
  EXPECT_EQ(up, 0);
  EXPECT_FALSE(FindSample(sink.families(), "chroma_info", {}, &up));
}

TEST(ChromaCollectorTest, ExpiredDeadlineMakesNoRequest) {
  auto c = Make("chroma:\n  - {name: v, url: \"http://127.0.0.1:1\"}\n");
  MetricSink sink("v");
  Status s = c->Collect(ScrapeContext{Clock::now()}, sink);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("deadline"), std::string::npos) << s.message();
}

TEST(ChromaCollectorTest, TimedOutReportsDown) {
  auto c = Make("chroma:\n  - {name: v}\n");
  MetricSink sink("v");
  c->TimedOut(sink);
  double up = -1;
  ASSERT_TRUE(FindSample(sink.families(), "chroma_up", {}, &up));
  EXPECT_EQ(up, 0);
}

Families Families(const std::vector<std::pair<std::string, double>>& records,
                  const std::vector<std::string>& mismatching) {
  MetricSink sink("v");
  sink.Gauge("chroma_up", "h", {}, 1);
  for (const auto& [name, n] : records) {
    const Labels l = {{"tenant", "t"}, {"database", "d"}, {"collection", name}};
    sink.Gauge("chroma_collection_records", "h", l, n);
    bool bad = std::find(mismatching.begin(), mismatching.end(), name) != mismatching.end();
    sink.Gauge("chroma_collection_dimension_mismatch", "h", l, bad ? 1 : 0);
  }
  return sink.Take();
}

const HealthCheck* Row(const std::vector<HealthCheck>& rows, const std::string& check) {
  for (const auto& r : rows) {
    if (r.check == check) return &r;
  }
  return nullptr;
}

TEST(ChromaCollectorTest, OnceRowsGradeCollectionsAndMismatches) {
  auto c = Make("chroma:\n  - {name: v, expected_dimension: 1536}\n");
  std::vector<HealthCheck> rows;
  c->Checks(Families({{"small", 10}, {"big", 1500000}, {"huge", 6000000}}, {"small"}), true,
            Thresholds{}, rows);
  ASSERT_NE(Row(rows, "reachable"), nullptr);
  EXPECT_EQ(Row(rows, "reachable")->status, Severity::kOk);
  EXPECT_EQ(Row(rows, "collected"), nullptr);
  ASSERT_NE(Row(rows, "records t/d/small"), nullptr);
  EXPECT_EQ(Row(rows, "records t/d/small")->status, Severity::kOk);
  EXPECT_EQ(Row(rows, "records t/d/big")->status, Severity::kWarning);
  EXPECT_EQ(Row(rows, "records t/d/big")->value, "1500000");
  EXPECT_EQ(Row(rows, "records t/d/big")->threshold, "> 1000000 warn, > 5000000 crit");
  EXPECT_EQ(Row(rows, "records t/d/huge")->status, Severity::kCritical);
  const HealthCheck* m = Row(rows, "dimension mismatches (MEM-005)");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->status, Severity::kCritical);
  EXPECT_EQ(m->value, "1: t/d/small");
}

TEST(ChromaCollectorTest, OnceRowsWithoutExpectedDimensionOrWhenDown) {
  auto c = Make("chroma:\n  - {name: v}\n");
  std::vector<HealthCheck> rows;
  c->Checks(Families({{"a", 1}}, {}), false, Thresholds{}, rows);
  EXPECT_EQ(Row(rows, "dimension mismatches (MEM-005)"), nullptr);
  ASSERT_NE(Row(rows, "collected"), nullptr);
  EXPECT_EQ(Row(rows, "collected")->status, Severity::kCritical);

  rows.clear();
  MetricSink down("v");
  c->TimedOut(down);
  c->Checks(down.Take(), false, Thresholds{}, rows);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].check, "reachable");
  EXPECT_EQ(rows[0].value, "no");
  EXPECT_EQ(rows[0].status, Severity::kCritical);
}

TEST(ChromaCollectorTest, OnceRowsOfManyCollectionsAreSummarised) {
  auto c = Make("chroma:\n  - {name: v}\n");
  std::vector<std::pair<std::string, double>> records;
  for (int i = 0; i < 200; ++i) records.push_back({"c" + std::to_string(i), double(i)});
  records.push_back({"big", 2e6});
  std::vector<HealthCheck> rows;
  c->Checks(Families(records, {}), true, Thresholds{}, rows);
  EXPECT_LT(rows.size(), 10u);
  ASSERT_NE(Row(rows, "records t/d/big"), nullptr);
  const HealthCheck* rest = Row(rows, "records of 200 more collections");
  ASSERT_NE(rest, nullptr);
  EXPECT_EQ(rest->status, Severity::kOk);
  EXPECT_EQ(rest->value, "largest 199 (t/d/c199)");
  EXPECT_EQ(Row(rows, "records t/d/big")->status, Severity::kWarning);
}

}  // namespace
}  // namespace thoth::chroma

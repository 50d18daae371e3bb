#include "collectors/http/expectations.h"

#include <cmath>

#include "collectors/http/http_collector.h"
#include "gtest/gtest.h"

namespace thoth::http {
namespace {

std::vector<TargetConfig> Root(const std::string& yaml) {
  std::vector<TargetConfig> targets;
  Status status = ParseConfig(ParseYaml(yaml, "test.yml").Child("http"), &targets);
  if (!status.ok()) throw ConfigError(status.message());
  return targets;
}

TEST(ProbeExpectations, NothingSeenUpPagesOnlyForRequired) {
  ProbeExpectations e;
  EXPECT_FALSE(e.Expected("api", "", false));
  EXPECT_FALSE(e.Expected("api", "v0.1", false));
  EXPECT_TRUE(e.Expected("api", "", true));
  EXPECT_TRUE(e.Expected("api", "v0.1", true));
  // Failures change nothing.
  e.Record("api", "v0.1", false);
  EXPECT_FALSE(e.Expected("api", "v0.1", false));
  EXPECT_FALSE(e.SeenUp("api"));
}

TEST(ProbeExpectations, ATargetSeenUpStaysExpected) {
  ProbeExpectations e;
  e.Record("nginx", "", true);
  EXPECT_TRUE(e.SeenUp("nginx"));
  EXPECT_TRUE(e.Expected("nginx", "", false));
  e.Record("nginx", "", false);
  EXPECT_TRUE(e.Expected("nginx", "", false));
  // An empty layout groups nothing: another core target is not expected because nginx was up.
  EXPECT_FALSE(e.Expected("prometheus", "", false));
}

TEST(ProbeExpectations, OneServiceUpMakesItsWholeLayoutExpected) {
  ProbeExpectations e;
  e.Record("gateway", "v0.2", true);
  EXPECT_TRUE(e.Expected("auth-service", "v0.2", false));
  EXPECT_TRUE(e.Expected("rag-service", "v0.2", false));
  // The other layout is not.
  EXPECT_FALSE(e.Expected("thoth-api", "v0.1", false));
  EXPECT_FALSE(e.Expected("letta", "v0.1", false));
  // Nor a core target.
  EXPECT_FALSE(e.Expected("nginx", "", false));
  // Layout names are compared exactly.
  EXPECT_FALSE(e.Expected("x", "V0.2", false));
}

TEST(ProbeExpectations, TheProcessWideOneIsOneObject) {
  EXPECT_EQ(&ProcessProbeExpectations(), &ProcessProbeExpectations());
}

// Rows of the `up` check for a target in a given state.
std::vector<HealthCheck> Rows(const std::string& yaml, ProbeExpectations* e, double success,
                              std::optional<double> expected_sample) {
  auto collectors = MakeCollectorsWithExpectations(Root(yaml), {}, e);
  EXPECT_EQ(collectors.size(), 1u);
  MetricSink sink;
  sink.Gauge("probe_success", "", {}, success);
  sink.Gauge("probe_duration_seconds", "", {}, 0.01);
  if (expected_sample) sink.Gauge("thoth_probe_expected", "", {}, *expected_sample);
  std::vector<HealthCheck> rows;
  collectors[0]->Checks(sink.families(), true, Thresholds{}, rows);
  return rows;
}

TEST(HttpChecks, DownAndNeverSeenUpIsAWarningNotACritical) {
  ProbeExpectations e;
  const std::string yaml = "http: [{service: letta, layout: v0.1, url: 'http://h:8283/health'}]";
  auto rows = Rows(yaml, &e, 0, 0.0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].check, "up");
  EXPECT_EQ(rows[0].status, Severity::kWarning);
  EXPECT_NE(rows[0].value.find("not seen up since start"), std::string::npos) << rows[0].value;
  EXPECT_NE(rows[0].value.find("v0.1"), std::string::npos) << rows[0].value;
  EXPECT_EQ(rows[0].threshold, "pages once v0.1 seen up");
  // Expected (the collection's own sample says so): CRITICAL.
  rows = Rows(yaml, &e, 0, 1.0);
  EXPECT_EQ(rows[0].status, Severity::kCritical);
  // Without a sample (e.g. a late collection) the shared state decides.
  rows = Rows(yaml, &e, 0, std::nullopt);
  EXPECT_EQ(rows[0].status, Severity::kWarning);
  e.Record("thoth-api", "v0.1", true);
  rows = Rows(yaml, &e, 0, std::nullopt);
  EXPECT_EQ(rows[0].status, Severity::kCritical);
  // Up is OK whatever the expectation.
  rows = Rows(yaml, &e, 1, 0.0);
  EXPECT_EQ(rows[0].status, Severity::kOk);
}

TEST(HttpChecks, RequiredIsCriticalFromTheFirstProbe) {
  ProbeExpectations e;
  auto rows = Rows("http: [{service: api, required: true, url: 'http://h/'}]", &e, 0, 1.0);
  EXPECT_EQ(rows[0].status, Severity::kCritical);
  EXPECT_EQ(rows[0].threshold, "required");
  rows = Rows("http: [{service: api, url: 'http://h/'}]", &e, 0, 0.0);
  EXPECT_EQ(rows[0].threshold, "pages once seen up");
  EXPECT_EQ(rows[0].status, Severity::kWarning);
}

TEST(HttpChecks, TimedOutWritesTheExpectation) {
  ProbeExpectations e;
  auto collectors = MakeCollectorsWithExpectations(
      Root("http: [{service: rag-service, layout: v0.2, url: 'http://h:5003/health'}]"), {}, &e);
  MetricSink sink;
  collectors[0]->TimedOut(sink);
  double v = -1;
  ASSERT_TRUE(FindSample(sink.families(), "thoth_probe_expected", {}, &v));
  EXPECT_EQ(v, 0);
  e.Record("gateway", "v0.2", true);
  MetricSink again;
  collectors[0]->TimedOut(again);
  ASSERT_TRUE(FindSample(again.families(), "thoth_probe_expected", {}, &v));
  EXPECT_EQ(v, 1);
}

std::string ConfigErrorOf(const std::string& yaml) {
  ProbeExpectations e;
  try {
    MakeCollectorsWithExpectations(Root(yaml), {}, &e);
  } catch (const ConfigError& err) {
    return err.what();
  }
  return "";
}

TEST(HttpTargetConfig, LayoutAndRequired) {
  EXPECT_EQ(ConfigErrorOf("http: [{service: a, url: 'http://h/', layout: v0.2, required: true}]"),
            "");
  EXPECT_EQ(ConfigErrorOf("http: [{service: a, url: 'http://h/', layout: ''}]"), "");
  std::string bad = ConfigErrorOf("http: [{service: a, url: 'http://h/', layout: 'v 0.2'}]");
  EXPECT_NE(bad.find("test.yml:1:"), std::string::npos) << bad;
  EXPECT_NE(bad.find("layout"), std::string::npos) << bad;
  bad = ConfigErrorOf("http: [{service: a, url: 'http://h/', required: maybe}]");
  EXPECT_NE(bad.find("required"), std::string::npos) << bad;
  bad = ConfigErrorOf("http: [{service: a, url: 'http://h/', layuot: v0.1}]");
  EXPECT_NE(bad.find("layuot"), std::string::npos) << bad;
}

}  // namespace
}  // namespace thoth::http

// The json collector against real HTTP servers on 127.0.0.1: the civetweb test server answering
// a memory-service statistics document, and the same server hanging, stalling mid-body, lying
// (HTML, a truncated document, invalid UTF-8, 10 MiB, a 503, bytes that are not HTTP), refusing a
// token; a port where nothing listens; and the exporter binary on its embedded default.

#include "nlohmann/json.hpp"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "collectors/json/json_collector.h"
#include "exporter/http_client.h"
#include "exporter/metric_sink.h"
#include "exporter/registry.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/harness/http_test_server.h"
#include "tests/integration/harness/process.h"
#include "tests/test_fixtures.h"

namespace thoth::json {
namespace {

testing::HttpTestServer* server = nullptr;

class Servers : public ::testing::Environment {
 public:
  void SetUp() override {
    InitHttpClientLibrary();
    server = new testing::HttpTestServer;
    ASSERT_TRUE(server->Start()) << "cannot start the test HTTP server";
  }
  void TearDown() override { delete server; }
};
const auto* const kServers = ::testing::AddGlobalTestEnvironment(new Servers);

// The test server's URL that answers `body` with `extra` query parameters.
std::string Answering(const std::string& body, const std::string& extra = "") {
  return server->Url("/respond?body=" + UrlEncode(body) + extra);
}

struct Scraped {
  Status status;
  Families families;
  double seconds = 0;
  std::vector<HealthCheck> checks;

  double Value(const std::string& name, const Labels& labels = {}) const {
    return thoth::Value(families, name, labels);
  }
  std::string Text() const { return SerializeText(families); }
};

// One target `s` (prefix `stats`) with `url` and the extra YAML lines, collected once.
Scraped Scrape(const std::string& url, const std::string& extra = "", double deadline_seconds = 8) {
  const std::string yaml =
      "json:\n  - name: s\n    prefix: stats\n    url: '" + url + "'\n" + extra;
  auto collectors = BuildCollectors("json", ParseYaml(yaml, "test.yml"), CollectorEnv{});
  EXPECT_EQ(collectors.size(), 1u);
  Scraped s;
  if (collectors.empty()) return s;
  MetricSink sink(collectors[0]->TargetLabel());
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(deadline_seconds));
  s.status = collectors[0]->Collect(ScrapeContext{deadline}, sink);
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  s.families = sink.Take();
  collectors[0]->Checks(s.families, s.status.ok(), Thresholds{}, s.checks);
  return s;
}

// promtool parses the text; lint findings (exit 3) are allowed, because names follow the
// document's keys (`query_ms_p95`, `MEM_004`), but a parse error is not.
void ExpectValidExposition(const std::string& text) {
  const auto check = testing::PromtoolCheckMetrics(text);
  EXPECT_TRUE(check.exit_code == 0 || check.exit_code == 3) << check.output << text;
  std::istringstream lines(check.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) {
      EXPECT_NE(line.find(" should "), std::string::npos) << line;
    }
  }
}

// Every lie must end the same way: json_up 0, an error, no document metric, on time.
void ExpectDown(const Scraped& s, const std::string& says, double within_seconds = 3) {
  EXPECT_FALSE(s.status.ok());
  EXPECT_NE(s.status.message().find(says), std::string::npos) << s.status.message();
  EXPECT_EQ(s.Value("json_up", {{"target", "s"}}), 0) << s.Text();
  EXPECT_GE(s.Value("json_scrape_duration_seconds"), 0);
  EXPECT_TRUE(std::isnan(s.Value("json_series"))) << s.Text();
  for (const auto& f : s.families) {
    EXPECT_EQ(f.name.rfind("stats_", 0), std::string::npos) << f.name;
  }
  EXPECT_LT(s.seconds, within_seconds);
  ASSERT_FALSE(s.checks.empty());
  EXPECT_EQ(s.checks[0].check, "reachable");
  EXPECT_EQ(s.checks[0].status, Severity::kWarning);
  EXPECT_NE(s.checks[0].value.find(says), std::string::npos) << s.checks[0].value;
}

TEST(JsonCollector, MemoryStatisticsBecomeGauges) {
  Scraped s = Scrape(Answering(Fixture("json/memory_stats.json")));
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("json_up", {{"target", "s"}}), 1);
  EXPECT_EQ(s.Value("json_series"), 26);
  EXPECT_EQ(s.Value("json_series_omitted"), 0);
  EXPECT_TRUE(std::isnan(s.Value("json_mappings_unmatched")));
  EXPECT_EQ(s.Value("stats_memory_total_entities", {{"target", "s"}}), 15234);
  EXPECT_EQ(s.Value("stats_database_pool_in_use"), 12);
  EXPECT_EQ(s.Value("stats_errors_MEM_007"), 17);
  EXPECT_EQ(s.Value("stats_cache_enabled"), 0);
  EXPECT_GT(s.Value("json_scrape_duration_seconds"), 0);
  EXPECT_LT(s.Value("json_scrape_duration_seconds"), 2);

  ExpectValidExposition(s.Text());

  ASSERT_EQ(s.checks.size(), 2u);
  EXPECT_EQ(s.checks[0].value, "yes");
  EXPECT_EQ(s.checks[0].status, Severity::kOk);
  EXPECT_EQ(s.checks[1].check, "series");
  EXPECT_EQ(s.checks[1].value, "26 exported, 0 omitted");
  EXPECT_EQ(s.checks[1].status, Severity::kOk);
}

TEST(JsonCollector, MappingsAndMaxSeries) {
  Scraped s = Scrape(Answering(Fixture("json/memory_stats.json")), R"(    max_series: 4
    mappings:
      - {pointer: /memory/total_entities, name: entities, help: "Entities held."}
      - {pointer: /agents/*/memories, name: agent_memories, labels_from: {agent: name}}
      - {pointer: /cache/hits, name: cache_hits_total, type: counter}
      - {pointer: /memory/by_type/*, name: entities_by_type, key_labels: [type]}
      - {pointer: /gone, name: gone}
)");
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("stats_entities"), 15234);
  EXPECT_EQ(s.Value("stats_agent_memories", {{"agent", "discovery"}}), 5023);
  EXPECT_EQ(s.Value("stats_cache_hits_total"), 93211);
  EXPECT_EQ(s.Value("json_series"), 4);
  EXPECT_EQ(s.Value("json_series_omitted"), 3);  // the three by_type values
  EXPECT_EQ(s.Value("json_mappings_unmatched"), 1);
  const std::string text = s.Text();
  EXPECT_NE(text.find("# TYPE stats_cache_hits_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("# HELP stats_entities Entities held."), std::string::npos) << text;
  ExpectValidExposition(text);

  ASSERT_EQ(s.checks.size(), 3u);
  EXPECT_EQ(s.checks[1].value, "4 exported, 3 omitted");
  EXPECT_EQ(s.checks[1].status, Severity::kWarning);
  EXPECT_EQ(s.checks[2].value, "4 / 5");
  EXPECT_EQ(s.checks[2].status, Severity::kWarning);
}

TEST(JsonCollector, HostileKeysStillMakeAValidExposition) {
  Scraped s = Scrape(Answering(Fixture("json/hostile_values.json")), R"(    mappings:
      - {pointer: /*, name: value, key_labels: [key]}
)");
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("stats_value", {{"key", "weird key/with~chars and spaces"}}), 1);
  EXPECT_EQ(s.Value("stats_value", {{"key", "plain"}}), 42);
  // DBL_MAX would be written as 1.797693134862316e+308, which Prometheus cannot parse.
  EXPECT_TRUE(std::isnan(s.Value("stats_value", {{"key", "max"}})));
  ExpectValidExposition(s.Text());
}

TEST(JsonCollector, ATokenIsSentAndARefusalIsDown) {
  Scraped ok = Scrape(server->Url("/auth?token=T0KEN"), "    bearer_token: T0KEN\n");
  EXPECT_TRUE(ok.status.ok()) << ok.status.message();
  EXPECT_EQ(ok.Value("json_up"), 1);
  EXPECT_EQ(ok.Value("json_series"), 0);  // {"status":"healthy"}: no number

  Scraped refused = Scrape(server->Url("/auth?token=T0KEN"), "    bearer_token: WR0NG\n");
  ExpectDown(refused, "HTTP 401");
  EXPECT_EQ(refused.status.message().find("WR0NG"), std::string::npos);
}

TEST(JsonCollector, AHungServerIsDownWithinTheTimeout) {
  Scraped s = Scrape(Answering("{\"a\": 1}", "&delay_ms=20000"), "    timeout: 1s\n");
  ExpectDown(s, "no whole answer within 1 s", 2);
  EXPECT_GE(s.seconds, 0.9);
}

TEST(JsonCollector, AHungServerIsDownWithinTheScrapeDeadline) {
  Scraped s = Scrape(Answering("{\"a\": 1}", "&delay_ms=20000"), "", 1.5);  // timeout 5 s
  ExpectDown(s, "no whole answer", 1.5);
}

TEST(JsonCollector, AServerThatStallsMidBodyIsDown) {
  Scraped s =
      Scrape(Answering(Fixture("json/memory_stats.json"), "&stall_ms=20000"), "    timeout: 1s\n");
  ExpectDown(s, "", 2);
}

TEST(JsonCollector, LyingServersAreDown) {
  ExpectDown(Scrape(Answering(Fixture("json/bad_gateway.html"), "&content_type=text/html")),
             "not JSON");
  ExpectDown(Scrape(Answering(Fixture("json/truncated.json"))), "not JSON");
  ExpectDown(Scrape(Answering("{\"a\": \"\xff\xfe\"}")), "not JSON");
  ExpectDown(Scrape(Answering("{\"a\": NaN}")), "not JSON");
  ExpectDown(Scrape(Answering("{\"a\": 1e999}")), "not JSON");
  ExpectDown(Scrape(Answering("")), "empty body");
  ExpectDown(Scrape(Answering(std::string(2000, '[') + std::string(2000, ']'))),
             "nested deeper than 64");
  ExpectDown(Scrape(Answering("{\"detail\": \"down\"}", "&status=503")), "HTTP 503");
  ExpectDown(Scrape(server->Url("/respond?garbage=1")), "no answer");
  // A server that sends more than max_body_bytes is cut off, not read to its end.
  ExpectDown(Scrape(server->Url("/respond?body_bytes=10485760")), "larger than max_body_bytes");
  ExpectDown(
      Scrape(server->Url("/respond?body_bytes=5000&chunked=1"), "    max_body_bytes: 4096\n"),
      "larger than max_body_bytes");
}

TEST(JsonCollector, NothingListeningIsDownAtOnce) {
  const int port = testing::FreePort();
  Scraped s = Scrape("http://127.0.0.1:" + std::to_string(port) + "/api/memory/stats");
  ExpectDown(s, "no answer", 1);
}

// The exporter binary on its embedded default, with only the stack's environment: the memory
// service's statistics are read from LETTA_SERVER_URL + /api/memory/stats. The test server
// answers only /respond, so the URL given ends in a query parameter that swallows the path.
TEST(JsonCollector, TheEmbeddedDefaultWatchesTheMemoryServiceStatistics) {
  std::vector<std::string> only_json = {"--once", "--format=json"};
  for (const char* kind : {"postgres", "redis", "chroma", "http", "container", "process",
                           "filesystem", "backup", "logs"}) {
    only_json.push_back(std::string("--no-collector.") + kind);
  }
  auto json_rows = [](const std::string& output) {
    std::map<std::string, std::pair<std::string, std::string>> rows;
    const auto brace = output.find('{');
    if (brace == std::string::npos) return rows;
    const auto doc = nlohmann::json::parse(output.substr(brace));
    for (const auto& row : doc["checks"]) {
      if (row["collector"] == "json") {
        EXPECT_EQ(row["target"], "letta-memory-stats");
        rows[row["check"]] = {row["value"], row["status"]};
      }
    }
    return rows;
  };

  const std::string up = Answering(Fixture("json/memory_stats.json"), "&path=");
  testing::RunResult once = testing::RunExporter(only_json, {{"LETTA_SERVER_URL", up}});
  auto rows = json_rows(once.output);
  EXPECT_EQ(rows["reachable"].second, "OK") << once.output;
  EXPECT_EQ(rows["series"].first, "26 exported, 0 omitted") << once.output;

  const int port = testing::FreePort();
  once = testing::RunExporter(only_json,
                              {{"LETTA_SERVER_URL", "http://127.0.0.1:" + std::to_string(port)}});
  EXPECT_EQ(once.exit_code, 1) << once.output;  // a warning, not a crash
  rows = json_rows(once.output);
  EXPECT_EQ(rows["reachable"].second, "WARNING") << once.output;
  EXPECT_NE(rows["reachable"].first.find("no answer"), std::string::npos) << once.output;

  // Served: json_up and the document's gauges under the documented prefix.
  testing::ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start("json:\n  - name: letta-memory-stats\n    url: '" + up +
                             "'\n    prefix: letta_memory_stats\n"))
      << exporter.Log();
  const std::string metrics = exporter.Metrics();
  EXPECT_EQ(testing::SampleValue(metrics, "json_up", {{"target", "letta-memory-stats"}}), 1)
      << metrics;
  EXPECT_EQ(testing::SampleValue(metrics, "letta_memory_stats_memory_total_entities",
                                 {{"target", "letta-memory-stats"}}),
            15234);
  EXPECT_EQ(testing::SampleValue(metrics, "thoth_exporter_collector_success",
                                 {{"collector", "json"}, {"target", "letta-memory-stats"}}),
            1);
  ExpectValidExposition(metrics);
}

}  // namespace
}  // namespace thoth::json

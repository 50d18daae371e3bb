// The chroma collector against a real ChromaDB 1.x server (API v2), started once for this file.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <map>

#include "collectors/chroma/chroma_json.h"
#include "exporter/http_client.h"
#include "nlohmann/json.hpp"
#include "tests/integration/chroma/scrape_util.h"
#include "tests/integration/harness/chroma_server.h"
#include "tests/integration/harness/exporter_process.h"

namespace thoth::chroma {
namespace {

using testing::ChromaServer;

// The data every test of the suite may read (and none changes): name → {records, dimension}.
const std::map<std::string, std::pair<int, int>> kCollections = {
    {"notes", {25, 16}},
    {"memories", {120, 16}},
    {"wrong_dim", {7, 4}},  // expected_dimension is 16
    {"empty_one", {0, 0}},
};
constexpr int kSecondDatabaseCollections = 30;

class ChromaRealServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    InitHttpClientLibrary();
    server_ = new ChromaServer();
    std::string error;
    if (!server_->Start(&error)) {
      setup_error_ = "cannot start the Chroma test server: " + error;
      return;
    }
    for (const auto& [name, spec] : kCollections) {
      const std::string id = server_->CreateCollection(name, "default_database", &error);
      if (id.empty() || (spec.first > 0 && !server_->AddRecords(id, spec.first, spec.second,
                                                                "default_database", "r", &error))) {
        setup_error_ = "cannot build " + name + ": " + error;
        return;
      }
    }
    if (!server_->CreateDatabase("second", &error)) {
      setup_error_ = "cannot create database second: " + error;
      return;
    }
    for (int i = 0; i < kSecondDatabaseCollections; ++i) {
      const std::string id = server_->CreateCollection("col" + std::to_string(i), "second", &error);
      if (id.empty() || !server_->AddRecords(id, i + 1, 16, "second", "r", &error)) {
        setup_error_ = "cannot build second/col" + std::to_string(i) + ": " + error;
        return;
      }
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  std::string Config(const std::string& extra = "") const {
    return "chroma:\n  - name: vectors\n    url: " + server_->url() +
           "\n    expected_dimension: 16\n" + extra;
  }

  static ChromaServer* server_;
  static std::string setup_error_;
};

ChromaServer* ChromaRealServerTest::server_ = nullptr;
std::string ChromaRealServerTest::setup_error_;

TEST_F(ChromaRealServerTest, ReportsCountsAndDimensionsExactly) {
  MemoryErrors errors;
  auto c = MakeOne(Config(), &errors);
  Scraped s = ScrapeOnce(*c);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("chroma_up", {{"target", "vectors"}}), 1);
  EXPECT_GT(s.Value("chroma_heartbeat_duration_seconds"), 0);

  StatusOr<std::string> version = ParseVersion(server_->Request("GET", "/api/v2/version").body);
  ASSERT_TRUE(version.ok()) << version.status().message();
  EXPECT_EQ(s.Value("chroma_info", {{"api", "v2"}, {"version", *version}}), 1);

  EXPECT_EQ(s.Value("chroma_collections",
                    {{"tenant", "default_tenant"}, {"database", "default_database"}}),
            static_cast<double>(kCollections.size()));
  EXPECT_EQ(s.Count("chroma_collection_records"), kCollections.size());
  for (const auto& [name, spec] : kCollections) {
    EXPECT_EQ(s.Value("chroma_collection_records", Coll(name)), spec.first) << name;
    if (spec.first == 0) {
      EXPECT_FALSE(s.Has("chroma_collection_dimension", Coll(name))) << name;
      EXPECT_FALSE(s.Has("chroma_collection_dimension_mismatch", Coll(name))) << name;
      continue;
    }
    EXPECT_EQ(s.Value("chroma_collection_dimension", Coll(name)), spec.second) << name;
    EXPECT_EQ(s.Value("chroma_collection_dimension_mismatch", Coll(name)),
              spec.second != 16 ? 1 : 0)
        << name;
  }
  // MEM-005 once for the one mismatching collection, and not again on the next scrape.
  EXPECT_EQ(errors.Get("MEM-005", "chroma"), 1u);
  s = ScrapeOnce(*c);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("chroma_collection_dimension_mismatch", Coll("wrong_dim")), 1);
  EXPECT_EQ(errors.Get("MEM-005", "chroma"), 1u);
  EXPECT_EQ(errors.Get("MEM-007", "chroma"), 0u);
}

TEST_F(ChromaRealServerTest, PaginatesEveryDatabase) {
  MemoryErrors errors;
  // 7 a page: 30 collections take five pages.
  auto c =
      MakeOne(Config("    databases: [default_database, second]\n    page_size: 7\n"), &errors);
  Scraped s = ScrapeOnce(*c);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("chroma_collections", {{"database", "second"}}), kSecondDatabaseCollections);
  EXPECT_EQ(s.Value("chroma_collections", {{"database", "default_database"}}),
            static_cast<double>(kCollections.size()));
  EXPECT_EQ(s.Count("chroma_collection_records"), kCollections.size() + kSecondDatabaseCollections);
  for (int i = 0; i < kSecondDatabaseCollections; ++i) {
    const std::string name = "col" + std::to_string(i);
    EXPECT_EQ(s.Value("chroma_collection_records", Coll(name, "second")), i + 1) << name;
    EXPECT_EQ(s.Value("chroma_collection_dimension", Coll(name, "second")), 16) << name;
  }
}

TEST_F(ChromaRealServerTest, CacheServesCountsAndListingsUntilTheTtl) {
  MemoryErrors errors;
  std::string error;
  const std::string id = server_->CreateCollection("growing", "second", &error);
  ASSERT_FALSE(id.empty()) << error;
  ASSERT_TRUE(server_->AddRecords(id, 10, 16, "second", "a", &error)) << error;

  auto cached = MakeOne(Config("    database: second\n    cache_ttl: 1h\n"), &errors);
  auto uncached = MakeOne(Config("    database: second\n    cache_ttl: 0s\n"), &errors);
  Scraped s = ScrapeOnce(*cached);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("chroma_collection_records", Coll("growing", "second")), 10);
  EXPECT_EQ(s.cache_age, 0);

  ASSERT_TRUE(server_->AddRecords(id, 5, 16, "second", "b", &error)) << error;
  s = ScrapeOnce(*cached);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("chroma_collection_records", Coll("growing", "second")), 10);  // cached
  EXPECT_GT(s.cache_age, 0);
  Scraped fresh = ScrapeOnce(*uncached);
  ASSERT_TRUE(fresh.status.ok()) << fresh.status.message();
  EXPECT_EQ(fresh.Value("chroma_collection_records", Coll("growing", "second")), 15);
  EXPECT_EQ(fresh.cache_age, 0);

  // A new collection shows at once without the cache, and within the TTL with it.
  const std::string id2 = server_->CreateCollection("newcomer", "second", &error);
  ASSERT_FALSE(id2.empty()) << error;
  ASSERT_TRUE(server_->AddRecords(id2, 3, 16, "second", "n", &error)) << error;
  fresh = ScrapeOnce(*uncached);
  ASSERT_TRUE(fresh.status.ok()) << fresh.status.message();
  EXPECT_EQ(fresh.Value("chroma_collections", {{"database", "second"}}),
            kSecondDatabaseCollections + 2);
  EXPECT_EQ(fresh.Value("chroma_collection_records", Coll("newcomer", "second")), 3);
  s = ScrapeOnce(*cached);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("chroma_collections", {{"database", "second"}}),
            kSecondDatabaseCollections + 1);
  EXPECT_FALSE(s.Has("chroma_collection_records", Coll("newcomer", "second")));

  // A deleted collection is gone at the next uncached scrape, without an error.
  HttpResponse del = server_->Request(
      "DELETE", "/api/v2/tenants/default_tenant/databases/second/collections/newcomer");
  ASSERT_EQ(del.status, 200) << del.body;
  fresh = ScrapeOnce(*uncached);
  ASSERT_TRUE(fresh.status.ok()) << fresh.status.message();
  EXPECT_FALSE(fresh.Has("chroma_collection_records", Coll("newcomer", "second")));
  EXPECT_EQ(fresh.Value("chroma_collections", {{"database", "second"}}),
            kSecondDatabaseCollections + 1);

  del = server_->Request("DELETE",
                         "/api/v2/tenants/default_tenant/databases/second/collections/growing");
  ASSERT_EQ(del.status, 200) << del.body;
}

TEST_F(ChromaRealServerTest, ApiV1AgainstChroma1IsDownAndSaysWhy) {
  MemoryErrors errors;
  auto c = MakeOne(Config("    api: v1\n"), &errors);
  Scraped s = ScrapeOnce(*c);
  EXPECT_FALSE(s.status.ok());
  EXPECT_NE(s.status.message().find("v1 heartbeat: HTTP 410"), std::string::npos)
      << s.status.message();
  EXPECT_NE(s.status.message().find("deprecated"), std::string::npos) << s.status.message();
  EXPECT_EQ(s.Value("chroma_up"), 0);
}

TEST_F(ChromaRealServerTest, UnknownDatabaseFailsTheCollectionNotTheServer) {
  MemoryErrors errors;
  auto c = MakeOne(Config("    databases: [default_database, nosuchdb]\n"), &errors);
  Scraped s = ScrapeOnce(*c);
  EXPECT_FALSE(s.status.ok());
  EXPECT_NE(s.status.message().find("default_tenant/nosuchdb: database: HTTP 404"),
            std::string::npos)
      << s.status.message();
  EXPECT_EQ(s.Value("chroma_up"), 1);
  EXPECT_EQ(s.Value("chroma_collection_records", Coll("notes")), 25);
}

TEST_F(ChromaRealServerTest, AThousandCollections) {
  std::string error;
  ASSERT_TRUE(server_->CreateDatabase("scale", &error)) << error;
  const auto build_start = Clock::now();
  std::vector<std::string> names;
  for (int i = 0; i < 1000; ++i) names.push_back("scale" + std::to_string(i));
  const std::vector<std::string> ids = server_->CreateCollections(names, "scale", 4, &error);
  ASSERT_EQ(ids.size(), names.size()) << error;
  // Every tenth has records, so that counts vary.
  for (int i = 0; i < 1000; i += 10) {
    ASSERT_TRUE(server_->AddRecords(ids[i], i / 10 + 1, 16, "scale", "r", &error)) << error;
  }
  const double build = std::chrono::duration<double>(Clock::now() - build_start).count();

  MemoryErrors errors;
  auto c = MakeOne(Config("    database: scale\n    cache_ttl: 5m\n"), &errors);
  // A generous deadline: this checks correctness at scale; the times are printed, and judged by
  // the benchmarks on a quiet machine.
  Scraped cold = ScrapeOnce(*c, 30);
  ASSERT_TRUE(cold.status.ok()) << cold.status.message();
  EXPECT_EQ(cold.Value("chroma_collections", {{"database", "scale"}}), 1000);
  EXPECT_EQ(cold.Count("chroma_collection_records"), 1000u);
  for (int i = 0; i < 1000; i += 10) {
    EXPECT_EQ(cold.Value("chroma_collection_records", Coll("scale" + std::to_string(i), "scale")),
              i / 10 + 1);
  }
  EXPECT_EQ(cold.Value("chroma_collection_records", Coll("scale999", "scale")), 0);
  Scraped cached = ScrapeOnce(*c);
  ASSERT_TRUE(cached.status.ok()) << cached.status.message();
  EXPECT_EQ(cached.Count("chroma_collection_records"), 1000u);
  EXPECT_GT(cached.cache_age, 0);
  std::cout << "[ measure  ] 1000 collections on Chroma 1.x: built in " << build << " s, cold "
            << "scrape " << cold.seconds << " s, cached scrape " << cached.seconds << " s\n";
  RecordProperty("cold_scrape_seconds", std::to_string(cold.seconds));
  RecordProperty("cached_scrape_seconds", std::to_string(cached.seconds));
}

TEST_F(ChromaRealServerTest, EndToEndThroughTheExporter) {
  testing::ExporterProcess exporter;
  const std::string config =
      "exporter: {scrape_timeout: 8s}\n"
      "container: {self: false}\n"
      "filesystem: []\n"
      "chroma:\n"
      "  - {name: vectors, url: \"" +
      server_->url() + "\", expected_dimension: 16, token: Tok-SECRET-42}\n";
  ASSERT_TRUE(exporter.Start(config)) << exporter.Log();
  std::string metrics = exporter.Metrics();
  metrics = exporter.Metrics();  // a second scrape must not count MEM-005 again
  using testing::SampleValue;
  EXPECT_EQ(SampleValue(metrics, "chroma_up", {{"target", "vectors"}}), 1) << exporter.Log();
  EXPECT_EQ(SampleValue(metrics, "thoth_exporter_collector_success",
                        {{"collector", "chroma"}, {"target", "vectors"}}),
            1);
  for (const auto& [name, spec] : kCollections) {
    EXPECT_EQ(SampleValue(metrics, "chroma_collection_records",
                          {{"target", "vectors"}, {"collection", name}}),
              spec.first)
        << name;
  }
  EXPECT_EQ(SampleValue(metrics, "chroma_collection_dimension_mismatch",
                        {{"target", "vectors"}, {"collection", "wrong_dim"}}),
            1);
  EXPECT_EQ(SampleValue(metrics, "thoth_memory_errors_total",
                        {{"code", "MEM-005"}, {"source", "chroma"}}),
            1);
  auto check = testing::PromtoolCheckMetrics(metrics);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(metrics.find("SECRET"), std::string::npos);
  EXPECT_EQ(exporter.Log().find("SECRET"), std::string::npos);

  // --once: reachable, every collection within the vector thresholds, one mismatch: critical.
  testing::WriteFile(exporter.dir() + "/once.yml", config);
  testing::RunResult once = testing::RunExporter(
      {"--once", "--format=json", "--config.file=" + exporter.dir() + "/once.yml"});
  EXPECT_EQ(once.exit_code, 2) << once.output;
  ASSERT_NE(once.output.find('{'), std::string::npos) << once.output;
  const auto doc = nlohmann::json::parse(once.output.substr(once.output.find('{')));
  std::map<std::string, std::string> status;
  for (const auto& row : doc["checks"]) {
    if (row["collector"] == "chroma") status[row["check"]] = row["status"];
  }
  EXPECT_EQ(status["reachable"], "OK") << once.output;
  EXPECT_EQ(status["records default_tenant/default_database/memories"], "OK") << once.output;
  EXPECT_EQ(status["dimension mismatches (MEM-005)"], "CRITICAL") << once.output;
  EXPECT_EQ(once.output.find("SECRET"), std::string::npos);
}

// Last: it kills the server.
TEST_F(ChromaRealServerTest, KilledServerIsDownOnTimeAndBackAfterRestart) {
  MemoryErrors errors;
  auto c = MakeOne(Config("    cache_ttl: 1h\n"), &errors);
  Scraped before = ScrapeOnce(*c);
  ASSERT_TRUE(before.status.ok()) << before.status.message();

  server_->Kill();
  Scraped down = ScrapeOnce(*c, 3);
  EXPECT_FALSE(down.status.ok());
  EXPECT_EQ(down.Value("chroma_up"), 0);
  EXPECT_FALSE(down.Has("chroma_collection_records"));
  EXPECT_LT(down.seconds, 3.5);
  EXPECT_NE(down.status.message().find("no answer"), std::string::npos) << down.status.message();

  std::string error;
  ASSERT_TRUE(server_->Restart(&error)) << error;
  Scraped back = ScrapeOnce(*c);
  ASSERT_TRUE(back.status.ok()) << back.status.message();
  EXPECT_EQ(back.Value("chroma_up"), 1);
  for (const auto& [name, spec] : kCollections) {
    EXPECT_EQ(back.Value("chroma_collection_records", Coll(name)), spec.first) << name;
  }
}

}  // namespace
}  // namespace thoth::chroma

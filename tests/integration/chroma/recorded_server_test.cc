// The chroma collector against a local HTTP server that answers like Chroma 0.4/0.5 (API v1,
// recorded shapes from tests/fixtures/chroma), like large or paginating servers, and like
// broken ones: auth failures, HTML error pages, malformed JSON, 500s, stalls.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <regex>

#include "exporter/http_client.h"
#include "tests/integration/chroma/scrape_util.h"
#include "tests/integration/harness/chroma_server.h"

namespace thoth::chroma {
namespace {

using testing::FakeChromaServer;
using Request = FakeChromaServer::Request;
using Response = FakeChromaServer::Response;

Response NotFound() { return {404, "application/json", R"({"detail":"Not Found"})", -1}; }
Response Json(const std::string& body) { return {200, "application/json", body, -1}; }

// The collection id in /api/v1/collections/{id}/<what>, or "".
std::string IdIn(const std::string& path, const std::string& what) {
  static const std::regex re("^/api/v[12]/.*collections/([^/]+)/([a-z]+)$");
  std::smatch m;
  if (std::regex_match(path, m, re) && m[2] == what) return m[1];
  return "";
}

// Chroma 0.4.24: no v2, no count_collections, limit/offset ignored, no `dimension` field.
Response Chroma04(const Request& r) {
  static const std::map<std::string, std::string> kNames = {
      {"3c1ae0b2-6d1f-4b8e-9a57-2f0e1c9d4a11", "memories"},
      {"a7f2c8e4-1b3d-4e5f-8a9b-0c1d2e3f4a5b", "documents"},
      {"e5d4c3b2-a190-4f8e-b7d6-c5b4a3928170", "scratch"}};
  const std::string dir = "v1_0.4.24/";
  if (r.method == "GET" && r.path == "/api/v1/heartbeat") {
    return FakeChromaServer::Fixture(dir + "heartbeat.json");
  }
  if (r.method == "GET" && r.path == "/api/v1/version") {
    return FakeChromaServer::Fixture(dir + "version.json");
  }
  if (r.method == "GET" && r.path == "/api/v1/collections") {
    return FakeChromaServer::Fixture(dir + "collections.json");
  }
  if (auto id = IdIn(r.path, "count"); r.method == "GET" && kNames.count(id)) {
    return FakeChromaServer::Fixture(dir + "count_" + kNames.at(id) + ".json");
  }
  if (auto id = IdIn(r.path, "get"); r.method == "POST" && kNames.count(id)) {
    if (r.body.find("\"embeddings\"") == std::string::npos) return {400, "", "no include", -1};
    return FakeChromaServer::Fixture(dir + "get_" + kNames.at(id) + ".json");
  }
  return NotFound();
}

// Chroma 0.5.5: v1 with count_collections and the `dimension` field.
Response Chroma05(const Request& r) {
  static const std::map<std::string, std::string> kNames = {
      {"0b6e4f1a-2c3d-4e5f-a6b7-c8d9e0f1a2b3", "memories"},
      {"1c7f5a2b-3d4e-4f60-b7c8-d9e0f1a2b3c4", "legacy_384"},
      {"2d8a6b3c-4e5f-4071-c8d9-e0f1a2b3c4d5", "empty"}};
  const std::string dir = "v1_0.5.5/";
  if (r.method != "GET") return NotFound();
  if (r.path == "/api/v1/heartbeat") return FakeChromaServer::Fixture(dir + "heartbeat.json");
  if (r.path == "/api/v1/version") return FakeChromaServer::Fixture(dir + "version.json");
  if (r.path == "/api/v1/count_collections") {
    return FakeChromaServer::Fixture(dir + "count_collections.json");
  }
  if (r.path == "/api/v1/collections") {
    if (FakeChromaServer::QueryParam(r.query, "offset") != "0") return Json("[]");
    return FakeChromaServer::Fixture(dir + "collections.json");
  }
  if (auto id = IdIn(r.path, "count"); kNames.count(id)) {
    return FakeChromaServer::Fixture(dir + "count_" + kNames.at(id) + ".json");
  }
  return NotFound();
}

// A v1 or v2 server with `n` generated collections that honours limit/offset (capped at
// `max_page`); collection i has i % 1000 records and dimension 16.
FakeChromaServer::Handler Generated(bool v2, int n, int max_page = 1 << 30) {
  return [=](const Request& r) -> Response {
    const std::string api = v2 ? "/api/v2" : "/api/v1";
    if (r.path == api + "/heartbeat") return Json(R"({"nanosecond heartbeat":1})");
    if (r.path == api + "/version") return Json(v2 ? R"("1.0.0")" : R"("0.5.5")");
    const bool list = v2 ? r.path.ends_with("/collections") : r.path == "/api/v1/collections";
    const bool count =
        v2 ? r.path.ends_with("/collections_count") : r.path == "/api/v1/count_collections";
    if (count) return Json(std::to_string(n));
    if (v2 && r.path == "/api/v2/tenants/default_tenant/databases/default_database") {
      return Json(R"({"id":"00000000-0000-0000-0000-000000000000","name":"default_database",)"
                  R"("tenant":"default_tenant"})");
    }
    if (list) {
      const int limit =
          std::min(max_page, std::stoi(FakeChromaServer::QueryParam(r.query, "limit")));
      const int offset = std::stoi(FakeChromaServer::QueryParam(r.query, "offset"));
      std::string body = "[";
      for (int i = offset; i < n && i < offset + limit; ++i) {
        body += (i == offset ? "" : ",");
        body += R"({"id":"id-)" + std::to_string(i) + R"(","name":"col)" + std::to_string(i) +
                R"(","dimension":16,"metadata":null})";
      }
      return Json(body + "]");
    }
    if (auto id = IdIn(r.path, "count"); id.rfind("id-", 0) == 0) {
      return Json(std::to_string(std::stoi(id.substr(3)) % 1000));
    }
    return NotFound();
  };
}

class ChromaRecordedTest : public ::testing::Test {
 protected:
  // One server for the suite (civetweb takes up to 2 s to stop); each test installs its own
  // handler. Stalled answers of a test stay stalled until the suite ends.
  static void SetUpTestSuite() {
    InitHttpClientLibrary();
    server_ = new FakeChromaServer(nullptr);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->ok()); }
  // A test's handler may capture its locals.
  void TearDown() override { server_->SetHandler(nullptr); }

  static FakeChromaServer& Serve(FakeChromaServer::Handler handler) {
    server_->SetHandler(std::move(handler));
    server_->ClearRequests();
    return *server_;
  }

  std::string Config(const FakeChromaServer& server, const std::string& extra = "") {
    // No cache unless the test asks for one: every scrape asks the server.
    const std::string ttl =
        extra.find("cache_ttl") == std::string::npos ? "    cache_ttl: 0s\n" : "";
    return "chroma:\n  - name: old\n    url: " + server.url() + "\n" + ttl + extra;
  }
  static std::size_t CountRequests(const FakeChromaServer& s, const std::string& method,
                                   const std::string& path_part) {
    std::size_t n = 0;
    for (const auto& r : s.requests()) {
      if (r.method == method && r.path.find(path_part) != std::string::npos) ++n;
    }
    return n;
  }

  MemoryErrors errors_;
  static FakeChromaServer* server_;
};

FakeChromaServer* ChromaRecordedTest::server_ = nullptr;

TEST_F(ChromaRecordedTest, Chroma04FallsBackToV1AndProbesDimensionsOnce) {
  FakeChromaServer& server = Serve(Chroma04);
  auto c = MakeOne(Config(server, "    expected_dimension: 8\n    page_size: 2\n"), &errors_);
  Scraped s = ScrapeOnce(*c);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("chroma_up"), 1);
  EXPECT_EQ(s.Value("chroma_info", {{"api", "v1"}, {"version", "0.4.24"}}), 1);
  // limit/offset ignored, no count endpoint: every collection once, no loop.
  EXPECT_EQ(s.Value("chroma_collections"), 3);
  EXPECT_EQ(s.Value("chroma_collection_records", Coll("memories")), 1250);
  EXPECT_EQ(s.Value("chroma_collection_records", Coll("documents")), 42);
  EXPECT_EQ(s.Value("chroma_collection_records", Coll("scratch")), 0);
  EXPECT_EQ(s.Value("chroma_collection_dimension", Coll("memories")), 8);
  EXPECT_EQ(s.Value("chroma_collection_dimension", Coll("documents")), 4);
  EXPECT_FALSE(s.Has("chroma_collection_dimension", Coll("scratch")));
  EXPECT_EQ(s.Value("chroma_collection_dimension_mismatch", Coll("memories")), 0);
  EXPECT_EQ(s.Value("chroma_collection_dimension_mismatch", Coll("documents")), 1);
  EXPECT_EQ(errors_.Get("MEM-005", "chroma"), 1u);

  // The second scrape remembers both the API and the probed dimensions.
  Scraped again = ScrapeOnce(*c);
  ASSERT_TRUE(again.status.ok()) << again.status.message();
  EXPECT_EQ(again.Value("chroma_collection_dimension", Coll("memories")), 8);
  EXPECT_EQ(CountRequests(server, "GET", "/api/v2/heartbeat"), 1u);
  EXPECT_EQ(CountRequests(server, "POST", "/get"), 2u);  // memories and documents, once each
  // scratch is empty: nothing to probe.
  EXPECT_EQ(CountRequests(server, "POST", "e5d4c3b2-a190-4f8e-b7d6-c5b4a3928170"), 0u);
  EXPECT_EQ(errors_.Get("MEM-005", "chroma"), 1u);
}

TEST_F(ChromaRecordedTest, Chroma05ReadsTheDimensionField) {
  FakeChromaServer& server = Serve(Chroma05);
  auto c = MakeOne(Config(server, "    expected_dimension: 1536\n"), &errors_);
  Scraped s = ScrapeOnce(*c);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("chroma_info", {{"api", "v1"}, {"version", "0.5.5"}}), 1);
  EXPECT_EQ(s.Value("chroma_collections"), 3);
  EXPECT_EQ(s.Value("chroma_collection_records", Coll("memories")), 2000017);
  EXPECT_EQ(s.Value("chroma_collection_dimension", Coll("memories")), 1536);
  EXPECT_EQ(s.Value("chroma_collection_dimension_mismatch", Coll("memories")), 0);
  EXPECT_EQ(s.Value("chroma_collection_dimension_mismatch", Coll("legacy_384")), 1);
  EXPECT_FALSE(s.Has("chroma_collection_dimension", Coll("empty")));
  EXPECT_EQ(CountRequests(server, "POST", "/get"), 0u);
  // tenant and database travel as query parameters in v1.
  bool saw_query = false;
  for (const auto& r : server.requests()) {
    if (r.path == "/api/v1/collections") {
      saw_query = r.query.find("tenant=default_tenant&database=default_database") == 0;
    }
  }
  EXPECT_TRUE(saw_query);

  // --once: 2,000,017 records is over the 1 M warning; one mismatch is critical.
  std::vector<HealthCheck> rows;
  c->Checks(s.families, true, Thresholds{}, rows);
  std::map<std::string, Severity> by_check;
  for (const auto& r : rows) by_check[r.check] = r.status;
  EXPECT_EQ(by_check["reachable"], Severity::kOk);
  EXPECT_EQ(by_check["records default_tenant/default_database/memories"], Severity::kWarning);
  EXPECT_EQ(by_check["records default_tenant/default_database/legacy_384"], Severity::kOk);
  EXPECT_EQ(by_check["dimension mismatches (MEM-005)"], Severity::kCritical);
}

TEST_F(ChromaRecordedTest, V1PaginationWithLimitAndOffset) {
  FakeChromaServer& server = Serve(Generated(/*v2=*/false, 2500));
  auto c = MakeOne(Config(server, "    page_size: 1000\n"), &errors_);
  Scraped s = ScrapeOnce(*c);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("chroma_collections"), 2500);
  EXPECT_EQ(s.Count("chroma_collection_records"), 2500u);
  EXPECT_EQ(s.Value("chroma_collection_records", Coll("col2499")), 499);
  std::size_t pages = 0;
  for (const auto& r : server.requests()) pages += r.path == "/api/v1/collections" ? 1 : 0;
  EXPECT_EQ(pages, 3u);
}

TEST_F(ChromaRecordedTest, PagesCappedBelowTheLimitStillListEverything) {
  FakeChromaServer& server = Serve(Generated(/*v2=*/true, 450, /*max_page=*/100));
  auto c = MakeOne(Config(server, "    page_size: 1000\n"), &errors_);
  Scraped s = ScrapeOnce(*c);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Count("chroma_collection_records"), 450u);
}

TEST_F(ChromaRecordedTest, TenThousandCollections) {
  FakeChromaServer& server = Serve(Generated(/*v2=*/true, 10000));
  auto c = MakeOne(Config(server, "    cache_ttl: 10m\n    parallelism: 8\n"), &errors_);
  Scraped s = ScrapeOnce(*c, 60);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("chroma_collections"), 10000);
  ASSERT_EQ(s.Count("chroma_collection_records"), 10000u);
  double sum = 0;
  for (const auto& f : s.families) {
    if (f.name != "chroma_collection_records") continue;
    for (size_t i = 0; i < f.size(); ++i) sum += f.Value(i);
  }
  EXPECT_EQ(sum, 10.0 * (999.0 * 1000 / 2));  // ten rounds of 0..999
  const std::size_t requests = server.requests().size();
  Scraped cached = ScrapeOnce(*c);
  ASSERT_TRUE(cached.status.ok()) << cached.status.message();
  EXPECT_EQ(cached.Count("chroma_collection_records"), 10000u);
  // heartbeat and version only: the listing and the counts come from the cache.
  EXPECT_EQ(server.requests().size() - requests, 2u);
  std::cout << "[ measure  ] 10,000 collections (local fake server): cold " << s.seconds
            << " s, cached " << cached.seconds << " s\n";
}

TEST_F(ChromaRecordedTest, TokenGoesInBothHeaders) {
  FakeChromaServer& server = Serve([](const Request& r) -> Response {
    if (r.authorization != "Bearer tok-123" || r.chroma_token != "tok-123") {
      return {r.authorization.empty() ? 401 : 403, "application/json",
              R"({"error":"AuthError","message":"Unauthorized"})", -1};
    }
    return Chroma05(r);
  });
  auto good = MakeOne(Config(server, "    token: tok-123\n"), &errors_);
  Scraped s = ScrapeOnce(*good);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("chroma_up"), 1);
  EXPECT_EQ(errors_.Get("MEM-007", "chroma"), 0u);
  for (const auto& r : server.requests()) {
    EXPECT_EQ(r.authorization, "Bearer tok-123") << r.path;
    EXPECT_EQ(r.chroma_token, "tok-123") << r.path;
  }

  auto none = MakeOne(Config(server), &errors_);
  s = ScrapeOnce(*none);
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(s.Value("chroma_up"), 0);
  EXPECT_NE(s.status.message().find("HTTP 401"), std::string::npos) << s.status.message();
  EXPECT_EQ(errors_.Get("MEM-007", "chroma"), 1u);

  auto wrong = MakeOne(Config(server, "    token: nope-SECRET\n"), &errors_);
  s = ScrapeOnce(*wrong);
  EXPECT_FALSE(s.status.ok());
  EXPECT_NE(s.status.message().find("HTTP 403"), std::string::npos) << s.status.message();
  EXPECT_EQ(s.status.message().find("SECRET"), std::string::npos) << s.status.message();
  EXPECT_EQ(errors_.Get("MEM-007", "chroma"), 2u);
  EXPECT_EQ(SerializeText(s.families).find("SECRET"), std::string::npos);
}

TEST_F(ChromaRecordedTest, AuthFailureOfEveryCountIsOneMem007PerScrape) {
  // Like a server whose heartbeat is open but whose data needs a token with more rights.
  FakeChromaServer& server = Serve([](const Request& r) -> Response {
    if (r.path.ends_with("/count"))
      return {403, "application/json", R"({"error":"Forbidden"})", -1};
    return Chroma05(r);
  });
  auto c = MakeOne(Config(server), &errors_);
  Scraped s = ScrapeOnce(*c);
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(s.Value("chroma_up"), 1);
  EXPECT_NE(s.status.message().find("record counts of 3 of 3 collections failed"),
            std::string::npos)
      << s.status.message();
  EXPECT_EQ(errors_.Get("MEM-007", "chroma"), 1u);
  ScrapeOnce(*c);
  EXPECT_EQ(errors_.Get("MEM-007", "chroma"), 2u);
}

TEST_F(ChromaRecordedTest, HtmlErrorPageIsDownWithWhatCameBack) {
  FakeChromaServer& server = Serve(
      [](const Request&) { return FakeChromaServer::Fixture("hostile/bad_gateway.html", 502); });
  auto c = MakeOne(Config(server), &errors_);
  Scraped s = ScrapeOnce(*c);
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(s.Value("chroma_up"), 0);
  EXPECT_NE(s.status.message().find("HTTP 502 (text/html"), std::string::npos)
      << s.status.message();
  EXPECT_NE(s.status.message().find("502 Bad Gateway"), std::string::npos) << s.status.message();
}

TEST_F(ChromaRecordedTest, LoginPageWith200IsNotAHeartbeat) {
  FakeChromaServer& server =
      Serve([](const Request&) { return FakeChromaServer::Fixture("hostile/login_page.html"); });
  auto c = MakeOne(Config(server), &errors_);
  Scraped s = ScrapeOnce(*c);
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(s.Value("chroma_up"), 0);
  EXPECT_NE(s.status.message().find("not JSON"), std::string::npos) << s.status.message();
}

TEST_F(ChromaRecordedTest, MalformedListingFailsTheCollection) {
  FakeChromaServer& server = Serve([](const Request& r) -> Response {
    if (r.path.ends_with("/collections")) {
      return FakeChromaServer::Fixture("hostile/truncated_collections.json");
    }
    if (r.path.ends_with("/collections_count")) return Json("2");
    return Generated(true, 2)(r);
  });
  auto c = MakeOne(Config(server), &errors_);
  Scraped s = ScrapeOnce(*c);
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(s.Value("chroma_up"), 1);
  EXPECT_NE(s.status.message().find("collections at offset 0: not JSON"), std::string::npos)
      << s.status.message();
  EXPECT_FALSE(s.Has("chroma_collections"));
}

TEST_F(ChromaRecordedTest, ServerErrorsAndVanishedCollections) {
  FakeChromaServer& server = Serve([](const Request& r) -> Response {
    if (IdIn(r.path, "count") == "id-1") {
      return FakeChromaServer::Fixture("hostile/internal_error.json", 500);
    }
    if (IdIn(r.path, "count") == "id-2") {
      return {404, "application/json",
              R"({"error":"NotFoundError","message":"Collection [id-2] does not exist."})", -1};
    }
    if (IdIn(r.path, "count") == "id-3") return Json("\"12\"");
    return Generated(true, 5)(r);
  });
  auto c = MakeOne(Config(server), &errors_);
  Scraped s = ScrapeOnce(*c);
  EXPECT_FALSE(s.status.ok());
  EXPECT_NE(s.status.message().find("record counts of 2 of 5 collections failed, first col1: "
                                    "HTTP 500"),
            std::string::npos)
      << s.status.message();
  EXPECT_NE(s.status.message().find("database is locked"), std::string::npos) << s.status.message();
  EXPECT_EQ(s.Value("chroma_collection_records", Coll("col0")), 0);
  EXPECT_EQ(s.Value("chroma_collection_records", Coll("col4")), 4);
  EXPECT_FALSE(s.Has("chroma_collection_records", Coll("col1")));
  EXPECT_FALSE(s.Has("chroma_collection_records", Coll("col2")));  // deleted: no error
  EXPECT_FALSE(s.Has("chroma_collection_records", Coll("col3")));
}

TEST_F(ChromaRecordedTest, ServerThatStallsMidBodyCostsNoMoreThanTheDeadline) {
  std::atomic<bool> stall{true};
  FakeChromaServer& server = Serve([&](const Request& r) -> Response {
    Response resp = Generated(true, 50)(r);
    if (stall && r.path.ends_with("/collections")) resp.stall_after_bytes = 100;
    return resp;
  });
  auto c = MakeOne(Config(server), &errors_);
  Scraped s = ScrapeOnce(*c, 2);
  EXPECT_FALSE(s.status.ok());
  EXPECT_LT(s.seconds, 3);
  EXPECT_NE(s.status.message().find("HTTP 200 then the transfer failed after 100 bytes"),
            std::string::npos)
      << s.status.message();

  stall = false;
  s = ScrapeOnce(*c);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Count("chroma_collection_records"), 50u);
}

TEST_F(ChromaRecordedTest, StalledCountsAreBoundedByTheRequestTimeout) {
  FakeChromaServer& server = Serve([](const Request& r) -> Response {
    Response resp = Generated(true, 20)(r);
    if (IdIn(r.path, "count") == "id-7") resp.stall_after_bytes = 0;
    return resp;
  });
  auto c = MakeOne(Config(server, "    timeout: 1s\n"), &errors_);
  Scraped s = ScrapeOnce(*c, 8);
  EXPECT_FALSE(s.status.ok());
  EXPECT_LT(s.seconds, 4);
  EXPECT_NE(s.status.message().find("first col7"), std::string::npos) << s.status.message();
  EXPECT_EQ(s.Count("chroma_collection_records"), 19u);
}

TEST_F(ChromaRecordedTest, ApiIsRedetectedWhenTheServerChanges) {
  FakeChromaServer& server = Serve(Chroma05);
  auto c = MakeOne(Config(server), &errors_);
  Scraped s = ScrapeOnce(*c);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("chroma_info", {{"api", "v1"}}), 1);
  // Upgraded to 1.x: v1 answers 410, v2 works.
  server.SetHandler([](const Request& r) -> Response {
    if (r.path.rfind("/api/v1/", 0) == 0) {
      return FakeChromaServer::Fixture("v2_1.0.0/v1_heartbeat_410.json", 410);
    }
    return Generated(true, 4)(r);
  });
  s = ScrapeOnce(*c);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("chroma_info", {{"api", "v2"}, {"version", "1.0.0"}}), 1);
  EXPECT_EQ(s.Count("chroma_collection_records"), 4u);
}

}  // namespace
}  // namespace thoth::chroma

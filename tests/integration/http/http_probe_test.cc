// The http collector and the ad-hoc prober, in process, against real local servers: a civetweb
// test server with chosen delays, statuses and bodies, and nginx terminating TLS in front of it.

#include <cmath>

#include "collectors/http/http_collector.h"
#include "exporter/http_client.h"
#include "exporter/memory_errors.h"
#include "exporter/registry.h"
#include "exporter/scrape_engine.h"
#include "gtest/gtest.h"
#include "tests/integration/http/servers.h"
#include "tests/test_fixtures.h"

namespace thoth::http {
namespace {

using testing::FreePort;
using testing::HttpTestServer;
using testing::TlsFront;

class Servers : public ::testing::Environment {
 public:
  void SetUp() override {
    InitHttpClientLibrary();
    server = new HttpTestServer;
    ASSERT_TRUE(server->Start()) << "cannot start the test HTTP server";
    tls = new TlsFront;
    ASSERT_TRUE(tls->Start(server->port())) << tls->error();
  }
  void TearDown() override {
    delete tls;
    delete server;
  }
};
const auto* const kServers = ::testing::AddGlobalTestEnvironment(new Servers);

struct Outcome {
  Status status;
  Families families;
  double elapsed = 0;

  double Value(const std::string& name, const Labels& labels = {}) const {
    return thoth::Value(families, name, labels);
  }
};

// Builds one target from the fields of its YAML flow mapping and collects it once.
Outcome Collect(const std::string& fields, MemoryErrors* errors = nullptr,
                double deadline_seconds = 8) {
  MemoryErrors own;
  CollectorEnv env;
  env.memory_errors = errors != nullptr ? errors : &own;
  auto collectors =
      BuildCollectors("http", ParseYaml("http: [{service: svc, " + fields + "}]", "test.yml"), env);
  EXPECT_EQ(collectors.size(), 1u);
  MetricSink sink(collectors[0]->TargetLabel());
  const auto start = Clock::now();
  ScrapeContext ctx{start + std::chrono::milliseconds(static_cast<int>(deadline_seconds * 1000))};
  Outcome out;
  out.status = collectors[0]->Collect(ctx, sink);
  out.elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  out.families = sink.Take();
  return out;
}

std::string Url(const std::string& path_and_query) {
  return "url: '" + server->Url(path_and_query) + "'";
}

TEST(HttpProbe, HealthyJsonEndpoint) {
  Outcome o = Collect(Url("/respond") + ", expect_status: [200], expect_json: {status: healthy}");
  EXPECT_TRUE(o.status.ok()) << o.status.message();
  EXPECT_EQ(o.Value("probe_success"), 1);
  EXPECT_EQ(o.Value("probe_http_status_code"), 200);
  EXPECT_EQ(o.Value("probe_http_content_length"), 20);  // {"status":"healthy"}
  EXPECT_EQ(o.Value("probe_http_version"), 1.1);
  EXPECT_EQ(o.Value("probe_failed_due_to_body"), 0);
  EXPECT_EQ(o.Value("probe_http_duration_seconds", {{"phase", "tls"}}), 0);
  EXPECT_GT(o.Value("probe_http_duration_seconds", {{"phase", "connect"}}), 0);
  EXPECT_TRUE(std::isnan(o.Value("probe_ssl_earliest_cert_expiry")));
  const std::string text = SerializeText(o.families);
  EXPECT_NE(text.find("probe_success{target=\"svc\"} 1"), std::string::npos) << text;
}

TEST(HttpProbe, SlowHandlerShowsInDurationAndProcessingPhase) {
  Outcome o = Collect(Url("/respond?delay_ms=300"));
  EXPECT_TRUE(o.status.ok()) << o.status.message();
  EXPECT_GE(o.Value("probe_duration_seconds"), 0.3);
  // The server waits before its first byte: libcurl books that under processing.
  EXPECT_GE(o.Value("probe_http_duration_seconds", {{"phase", "processing"}}), 0.29);
  EXPECT_LT(o.Value("probe_duration_seconds"), 5);
}

TEST(HttpProbe, ServiceUnavailable) {
  Outcome o = Collect(Url("/respond?status=503"));
  EXPECT_FALSE(o.status.ok());
  EXPECT_EQ(o.status.message(), "HTTP 503, expected 2xx");
  EXPECT_EQ(o.Value("probe_success"), 0);
  EXPECT_EQ(o.Value("probe_http_status_code"), 503);
  EXPECT_EQ(o.Value("probe_failed_due_to_body"), 0);
}

TEST(HttpProbe, ExpectStatusAcceptsListedCodesOnly) {
  EXPECT_TRUE(Collect(Url("/respond?status=503") + ", expect_status: [503]").status.ok());
  EXPECT_EQ(Collect(Url("/respond") + ", expect_status: [204]").status.message(),
            "HTTP 200, expected 204");
}

TEST(HttpProbe, WrongJsonFailsDueToBody) {
  Outcome o = Collect(Url("/respond?body=%7B%22status%22%3A%22degraded%22%7D") +
                      ", expect_json: {status: healthy}");
  EXPECT_EQ(o.status.message(), "JSON $.status is \"degraded\", expected \"healthy\"");
  EXPECT_EQ(o.Value("probe_success"), 0);
  EXPECT_EQ(o.Value("probe_failed_due_to_body"), 1);
  EXPECT_EQ(o.Value("probe_http_status_code"), 200);
}

TEST(HttpProbe, HtmlErrorPageIsNotJson) {
  Outcome o = Collect(Url("/respond?content_type=text/html&body=%3Chtml%3Ebad+gateway%3C/html%3E") +
                      ", expect_json: {status: healthy}");
  EXPECT_EQ(o.status.message(), "body is not valid JSON");
  EXPECT_EQ(o.Value("probe_failed_due_to_body"), 1);
}

TEST(HttpProbe, RegexOnBody) {
  EXPECT_TRUE(Collect(Url("/respond") + ", expect_regex: '\"status\": *\"healthy\"'").status.ok());
  Outcome o = Collect(Url("/respond?body=down") + ", expect_regex: '^up$'");
  EXPECT_EQ(o.status.message(), "body does not match expect_regex \"^up$\"");
  EXPECT_EQ(o.Value("probe_failed_due_to_body"), 1);
}

TEST(HttpProbe, ChunkedBodyHasNoContentLength) {
  Outcome o = Collect(Url("/respond?chunked=1") + ", expect_json: {status: healthy}");
  EXPECT_TRUE(o.status.ok()) << o.status.message();
  EXPECT_EQ(o.Value("probe_http_content_length"), -1);
}

TEST(HttpProbe, OversizedBodyIsBoundedAndJudged) {
  Outcome o = Collect(Url("/respond?body_bytes=3000000") + ", expect_json: {status: healthy}");
  EXPECT_EQ(o.status.message(), "body is not valid JSON (body cut at the size limit)");
  EXPECT_EQ(o.Value("probe_http_content_length"), 3000000);
}

TEST(HttpProbe, TimeoutPerTarget) {
  Outcome o = Collect(Url("/respond?delay_ms=5000") + ", timeout: 500ms");
  EXPECT_EQ(o.status.message(), "no complete response within 0.5 s (timeout)");
  EXPECT_EQ(o.Value("probe_success"), 0);
  EXPECT_EQ(o.Value("probe_http_status_code"), 0);
  EXPECT_LT(o.elapsed, 3);  // generous: 0.5 s expected
}

TEST(HttpProbe, ScrapeDeadlineCapsTheTimeout) {
  Outcome o = Collect(Url("/respond?delay_ms=5000") + ", timeout: 30s", nullptr, 1.0);
  EXPECT_EQ(o.Value("probe_success"), 0);
  EXPECT_NE(o.status.message().find("cut short by the scrape deadline"), std::string::npos)
      << o.status.message();
  EXPECT_LT(o.elapsed, 1.0);  // returned before the deadline, with probe_success 0 written
}

TEST(HttpProbe, StallMidBody) {
  Outcome o = Collect(Url("/respond?stall_ms=3000&body_bytes=1000") + ", timeout: 500ms");
  EXPECT_EQ(o.Value("probe_success"), 0);
  EXPECT_EQ(o.status.message(), "HTTP 200 but the body did not complete within 0.5 s (timeout)");
  EXPECT_EQ(o.Value("probe_http_status_code"), 200);
}

TEST(HttpProbe, RefusedConnection) {
  const int port = FreePort();  // nothing listens there
  Outcome o = Collect("url: 'http://127.0.0.1:" + std::to_string(port) + "/health'");
  EXPECT_EQ(o.status.message(), "no response: Couldn't connect to server");
  EXPECT_EQ(o.Value("probe_success"), 0);
  EXPECT_EQ(o.Value("probe_http_status_code"), 0);
  EXPECT_EQ(o.Value("probe_http_version"), 0);
  EXPECT_EQ(o.Value("probe_http_duration_seconds", {{"phase", "processing"}}), 0);
}

TEST(HttpProbe, UnresolvableHost) {
  Outcome o = Collect("url: 'http://no-such-host.invalid/health', timeout: 3s");
  EXPECT_EQ(o.Value("probe_success"), 0);
  EXPECT_NE(o.status.message().find("no response"), std::string::npos) << o.status.message();
}

TEST(HttpProbe, NotHttpAtAll) {
  Outcome o = Collect(Url("/respond?garbage=1"));
  EXPECT_EQ(o.Value("probe_success"), 0);
  EXPECT_NE(o.status.message().find("no response"), std::string::npos) << o.status.message();
}

TEST(HttpProbe, RedirectsAreNotFollowedUnlessAsked) {
  const std::string target = server->Url("/respond");
  const std::string redirect = "/respond?status=302&location=" + UrlEncode(target);
  Outcome plain = Collect(Url(redirect));
  EXPECT_EQ(plain.status.message(), "HTTP 302, expected 2xx");
  Outcome followed = Collect(Url(redirect) + ", follow_redirects: true");
  EXPECT_TRUE(followed.status.ok()) << followed.status.message();
  EXPECT_EQ(followed.Value("probe_http_status_code"), 200);
}

TEST(HttpProbe, FreshConnectionForEveryProbe) {
  // The server keeps connections alive: a client that reuses one shows the same client port.
  HttpClient reuse;
  HttpRequest req;
  req.url = server->Url("/respond?keepalive=check");
  size_t before = server->RemotePorts().size();
  ASSERT_TRUE(reuse.Fetch(req).transport_ok);
  ASSERT_TRUE(reuse.Fetch(req).transport_ok);
  auto ports = server->RemotePorts();
  ASSERT_EQ(ports.size(), before + 2);
  ASSERT_EQ(ports[before], ports[before + 1]) << "the test server does not keep connections alive";

  MemoryErrors errors;
  CollectorEnv env;
  env.memory_errors = &errors;
  auto c = BuildCollectors(
      "http", ParseYaml("http: [{service: s, " + Url("/respond") + "}]", "t.yml"), env);
  before = server->RemotePorts().size();
  for (int i = 0; i < 2; ++i) {
    MetricSink sink("s");
    ASSERT_TRUE(c[0]->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink).ok());
  }
  ports = server->RemotePorts();
  ASSERT_EQ(ports.size(), before + 2);
  EXPECT_NE(ports[before], ports[before + 1]);
}

TEST(HttpProbe, AuthFailuresAndRateLimitsCountMemoryErrors) {
  MemoryErrors errors;
  EXPECT_EQ(Collect(Url("/auth?token=right"), &errors).status.message(), "HTTP 401, expected 2xx");
  EXPECT_EQ(errors.Get("MEM-007", "http"), 1u);
  Collect(Url("/respond?status=403"), &errors);
  EXPECT_EQ(errors.Get("MEM-007", "http"), 2u);
  Collect(Url("/respond?status=429"), &errors);
  EXPECT_EQ(errors.Get("MEM-006", "http"), 1u);
  Collect(Url("/respond?status=503"), &errors);
  EXPECT_EQ(errors.Get("MEM-007", "http"), 2u);
  EXPECT_EQ(errors.Get("MEM-006", "http"), 1u);

  // The configured token and headers are sent: the same endpoint then answers 200.
  EXPECT_TRUE(Collect(Url("/auth?token=right") + ", bearer_token: right", &errors).status.ok());
  EXPECT_TRUE(Collect(Url("/auth?token=t2") + ", headers: {Authorization: 'Bearer t2'}", &errors)
                  .status.ok());
  EXPECT_EQ(errors.Get("MEM-007", "http"), 2u);
}

TEST(HttpProbe, TlsEndpointWithItsCertificateAsCa) {
  Outcome o = Collect("url: '" + tls->Url("/respond") + "', ca_file: '" + tls->cert_path() +
                      "', expect_json: {status: healthy}");
  ASSERT_TRUE(o.status.ok()) << o.status.message();
  EXPECT_EQ(o.Value("probe_ssl_earliest_cert_expiry"), tls->cert_not_after());
  EXPECT_GT(o.Value("probe_http_duration_seconds", {{"phase", "tls"}}), 0);
  EXPECT_EQ(o.Value("probe_http_status_code"), 200);
}

TEST(HttpProbe, TlsSelfSignedIsRefusedUnlessTrustedOrInsecure) {
  Outcome strict = Collect("url: '" + tls->Url("/respond") + "'");
  EXPECT_EQ(strict.Value("probe_success"), 0);
  EXPECT_EQ(strict.status.message(),
            "no response: SSL peer certificate or SSH remote key was not OK");
  Outcome insecure = Collect("url: '" + tls->Url("/respond") + "', tls_insecure: true");
  EXPECT_TRUE(insecure.status.ok()) << insecure.status.message();
  EXPECT_EQ(insecure.Value("probe_ssl_earliest_cert_expiry"), tls->cert_not_after());
}

TEST(HttpProbe, TlsFailuresPassThroughTheFront) {
  Outcome o = Collect("url: '" + tls->Url("/respond?status=503") + "', tls_insecure: true");
  EXPECT_EQ(o.status.message(), "HTTP 503, expected 2xx");
  EXPECT_EQ(o.Value("probe_ssl_earliest_cert_expiry"), tls->cert_not_after());
}

std::shared_ptr<AdHocProber> Prober(const std::string& probe_yaml, MemoryErrors* errors) {
  CollectorEnv env;
  env.memory_errors = errors;
  return BuildProber("http", ParseYaml(probe_yaml, "test.yml"), env);
}

TEST(AdHocProber, AllowedTargetIsProbedWithoutTargetLabel) {
  MemoryErrors errors;
  auto prober =
      Prober("probe:\n  allowed_targets: ['http://127.0.0.1:" + std::to_string(server->port()) +
                 "/respond*']\n  modules: {http_2xx: {timeout: 5s}, "
                 "healthy: {expect_json: {status: healthy}}}\n",
             &errors);
  const std::string url = server->Url("/respond?delay_ms=300");
  ASSERT_TRUE(prober->Allowed(url, "http_2xx").ok());
  MetricSink sink;
  prober->Probe(url, "http_2xx", ScrapeContext{Clock::now() + std::chrono::seconds(8)}, sink);
  double v = 0;
  ASSERT_TRUE(FindSample(sink.families(), "probe_success", {}, &v));
  EXPECT_EQ(v, 1);
  ASSERT_TRUE(FindSample(sink.families(), "probe_duration_seconds", {}, &v));
  EXPECT_GE(v, 0.3);
  EXPECT_EQ(SerializeText(sink.families()).find("target="), std::string::npos);

  const std::string degraded = server->Url("/respond?body=%7B%22status%22%3A%22down%22%7D");
  ASSERT_TRUE(prober->Allowed(degraded, "healthy").ok());
  MetricSink body_sink;
  prober->Probe(degraded, "healthy", ScrapeContext{Clock::now() + std::chrono::seconds(8)},
                body_sink);
  ASSERT_TRUE(FindSample(body_sink.families(), "probe_failed_due_to_body", {}, &v));
  EXPECT_EQ(v, 1);

  MetricSink denied;
  prober->Probe(server->Url("/respond?status=429"), "",
                ScrapeContext{Clock::now() + std::chrono::seconds(8)}, denied);
  EXPECT_EQ(errors.Get("MEM-006", "http"), 1u);
}

TEST(AdHocProber, AllowlistIsEnforced) {
  MemoryErrors errors;
  const std::string port = std::to_string(server->port());
  auto prober =
      Prober("probe: {allowed_targets: ['http://127.0.0.1:" + port + "/respond']}", &errors);
  EXPECT_EQ(ErrorText(prober->Allowed(server->Url("/respond"), "")), "");
  EXPECT_NE(ErrorText(prober->Allowed(server->Url("/auth"), "")), "");
  EXPECT_NE(ErrorText(prober->Allowed(server->Url("/respond?status=500"), "")), "");
  EXPECT_NE(ErrorText(prober->Allowed(tls->Url("/respond"), "")), "");
  EXPECT_NE(ErrorText(prober->Allowed("http://127.0.0.1:" + port + "@169.254.169.254/respond", "")),
            "");

  const size_t before = server->RemotePorts().size();
  MetricSink sink;
  prober->Probe(server->Url("/auth"), "", ScrapeContext{Clock::now() + std::chrono::seconds(8)},
                sink);
  double v = 1;
  ASSERT_TRUE(FindSample(sink.families(), "probe_success", {}, &v));
  EXPECT_EQ(v, 0);
  EXPECT_EQ(server->RemotePorts().size(), before) << "a refused URL was fetched";

  auto closed = Prober("{}", &errors);
  EXPECT_NE(
      ErrorText(closed->Allowed(server->Url("/respond"), "")).find("allowed_targets is empty"),
      std::string::npos);
}

TEST(HttpProbe, HundredTargetsWithinOneScrape) {
  std::string yaml = "http:\n";
  for (int i = 0; i < 100; ++i) {
    yaml += "  - {service: svc-" + std::to_string(i) + ", url: '" +
            server->Url("/respond?delay_ms=300&n=" + std::to_string(i)) +
            "', expect_json: {status: healthy}}\n";
  }
  MemoryErrors errors;
  CollectorEnv env;
  env.memory_errors = &errors;
  ScrapeEngine engine;
  engine.SetCollectors(BuildCollectors("http", ParseYaml(yaml, "hundred.yml"), env));
  const auto start = Clock::now();
  auto results = engine.Collect(start + std::chrono::seconds(8));
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_EQ(results.size(), 100u);
  int ok = 0;
  for (const auto& r : results) ok += r.success ? 1 : 0;
  EXPECT_EQ(ok, 100);
  EXPECT_LT(elapsed, 8);
  std::printf("100 targets of 300 ms each collected in %.3f s\n", elapsed);
}

}  // namespace
}  // namespace thoth::http

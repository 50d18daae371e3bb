#include "collectors/http/probe.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cmath>
#include <cstring>

#include "collectors/http/http_collector.h"
#include "exporter/memory_errors.h"
#include "exporter/registry.h"
#include "gtest/gtest.h"
#include "tests/test_fixtures.h"

namespace thoth::http {
namespace {

ConfigNode Root(const std::string& yaml) { return ParseYaml(yaml, "test.yml"); }

std::string ConfigErrorOf(const std::string& yaml) {
  try {
    BuildCollectors("http", Root(yaml), CollectorEnv{});
    BuildProber("http", Root(yaml), CollectorEnv{});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

HttpResponse Response(int status, std::string body) {
  HttpResponse r;
  r.transport_ok = true;
  r.status = status;
  r.body = std::move(body);
  r.content_length = static_cast<double>(r.body.size());
  r.http_version = 1.1;
  return r;
}

TEST(ParseProbeSpec, Defaults) {
  ProbeSpec spec = ParseProbeSpec(Root("{}"), 5);
  EXPECT_EQ(spec.method, "GET");
  EXPECT_TRUE(spec.expect_status.empty());
  EXPECT_TRUE(spec.expect_body.empty());
  EXPECT_DOUBLE_EQ(spec.timeout_seconds, 5);
  EXPECT_FALSE(spec.follow_redirects);
  EXPECT_FALSE(spec.tls_insecure);
  EXPECT_TRUE(spec.headers.empty());
}

TEST(ParseProbeSpec, AllKeys) {
  setenv("THOTH_TEST_PROBE_TOKEN", "s3cret", 1);
  ProbeSpec spec = ParseProbeSpec(Root(R"(
method: post
headers: {X-Probe: thoth, Accept: application/json}
body: '{"ping": true}'
bearer_token: ${THOTH_TEST_PROBE_TOKEN}
expect_status: [200, 204]
expect_json: {status: healthy, checks: {database: {status: healthy}}, count: 3}
expect_regex: 'heal+thy'
timeout: 1500ms
follow_redirects: true
ca_file: /etc/ssl/certs/ca.pem
)"),
                                  5);
  EXPECT_EQ(spec.method, "POST");
  EXPECT_EQ(spec.headers, (std::vector<std::string>{"X-Probe: thoth", "Accept: application/json",
                                                    "Authorization: Bearer s3cret"}));
  EXPECT_EQ(spec.body, R"({"ping": true})");
  EXPECT_EQ(spec.expect_status, (std::vector<int>{200, 204}));
  ASSERT_TRUE(spec.expect_body.json.has_value());
  EXPECT_EQ(*spec.expect_body.json,
            nlohmann::json::parse(
                R"({"status":"healthy","checks":{"database":{"status":"healthy"}},"count":"3"})"));
  ASSERT_NE(spec.expect_body.regex, nullptr);
  EXPECT_DOUBLE_EQ(spec.timeout_seconds, 1.5);
  EXPECT_TRUE(spec.follow_redirects);
  EXPECT_EQ(spec.ca_file, "/etc/ssl/certs/ca.pem");
}

TEST(MakeCollectors, OneCollectorPerServiceNamedByService) {
  auto collectors = BuildCollectors("http", Root(R"(
http:
  - {service: thoth-api, url: "http://localhost:8000/health", expect_json: {status: healthy}}
  - {service: letta, url: "http://localhost:8283/v1/health/", timeout: 2s}
)"),
                                    CollectorEnv{});
  ASSERT_EQ(collectors.size(), 2u);
  EXPECT_EQ(collectors[0]->Kind(), "http");
  EXPECT_EQ(collectors[0]->Target(), "thoth-api");
  EXPECT_EQ(collectors[0]->TargetLabel(), "thoth-api");
  EXPECT_EQ(collectors[1]->Target(), "letta");
  EXPECT_NE(collectors[0]->Fingerprint(), collectors[1]->Fingerprint());
  EXPECT_TRUE(BuildCollectors("http", Root("{}"), CollectorEnv{}).empty());
}

TEST(MakeCollectors, FingerprintFollowsTheTargetsConfig) {
  auto a = BuildCollectors("http", Root("http: [{service: s, url: 'http://h/', timeout: 1s}]"), {});
  auto b = BuildCollectors("http", Root("http: [{service: s, url: 'http://h/', timeout: 1s}]"), {});
  auto c = BuildCollectors("http", Root("http: [{service: s, url: 'http://h/', timeout: 2s}]"), {});
  EXPECT_EQ(a[0]->Fingerprint(), b[0]->Fingerprint());
  EXPECT_NE(a[0]->Fingerprint(), c[0]->Fingerprint());
}

TEST(MakeCollectors, ConfigErrorsNameFileLineAndKey) {
  EXPECT_EQ(ConfigErrorOf("http:\n  - {service: a, url: 'http://h/', expct_status: [200]}\n")
                .rfind("test.yml:2:", 0),
            0u);
  EXPECT_NE(ConfigErrorOf("http:\n  - {service: a, url: 'http://h/', expct_status: [200]}\n")
                .find("unknown key"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("http: [{url: 'http://h/'}]").find("service: required key"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("http: [{service: a}]").find("url: required key"), std::string::npos);
  EXPECT_NE(
      ConfigErrorOf("http: [{service: a, url: 'file:///etc/passwd'}]").find("only http and https"),
      std::string::npos);
  EXPECT_NE(ConfigErrorOf("http: [{service: a, url: 'http://h/', expect_status: [999]}]")
                .find("between 100 and 599"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("http: [{service: a, url: 'http://h/', expect_status: 42}]")
                .find("between 100 and 599"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("http: [{service: a, url: 'http://h/', expect_regex: '(x'}]")
                .find("expect_regex"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("http: [{service: a, url: 'http://h/', timeout: 0s}]")
                .find("timeout: must be above 0"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("http: [{service: a, url: 'http://h/', method: TRACE}]").find("method"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("http: [{service: a, url: 'http://h/', method: HEAD, "
                          "expect_json: {status: ok}}]")
                .find("HEAD"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("http: [{service: a, url: 'http://h/', expect_json: healthy}]")
                .find("expect_json"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("http: [{service: a, url: 'http://h/', headers: {'Bad Name': x}}]")
                .find("header name"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("http: [{service: a, url: 'http://h/', headers: {X: \"a\\r\\nB: c\"}}]")
                .find("line breaks"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("http: [{service: a, url: 'http://h/', tls_insecure: true, "
                          "ca_file: /x}]")
                .find("not both"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("probe: {allowed_targets: ['http://*']}").find("bare *"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("probe: {allowd_targets: []}").find("unknown key"), std::string::npos);
  EXPECT_NE(ConfigErrorOf("probe: {modules: {m: {timeot: 1s}}}").find("unknown key"),
            std::string::npos);
}

TEST(MakeCollectors, SecretsStayOutOfErrors) {
  const std::string error = ConfigErrorOf(
      "http: [{service: a, url: 'http://h/', bearer_token: hunter2, "
      "headers: {Authorization: 'Basic hunter3'}}]");
  EXPECT_NE(error.find("not both"), std::string::npos);
  EXPECT_EQ(error.find("hunter2"), std::string::npos);
  EXPECT_EQ(error.find("hunter3"), std::string::npos);
}

TEST(EvaluateResponse, SuccessAndEachFailure) {
  ProbeSpec spec = ParseProbeSpec(Root("{expect_json: {status: healthy}}"), 5);
  ProbeResult ok = EvaluateResponse(spec, Response(200, R"({"status":"healthy"})"), 0.01);
  EXPECT_TRUE(ok.success);
  EXPECT_EQ(ok.detail, "");

  ProbeResult unavailable = EvaluateResponse(spec, Response(503, R"({"status":"healthy"})"), 0);
  EXPECT_FALSE(unavailable.success);
  EXPECT_FALSE(unavailable.failed_due_to_body);
  EXPECT_EQ(unavailable.detail, "HTTP 503, expected 2xx");

  ProbeResult wrong = EvaluateResponse(spec, Response(200, R"({"status":"degraded"})"), 0);
  EXPECT_FALSE(wrong.success);
  EXPECT_TRUE(wrong.failed_due_to_body);
  EXPECT_EQ(wrong.detail, "JSON $.status is \"degraded\", expected \"healthy\"");

  HttpResponse refused;
  refused.error = "Couldn't connect to server";
  ProbeResult down = EvaluateResponse(spec, refused, 0);
  EXPECT_FALSE(down.success);
  EXPECT_EQ(down.detail, "no response: Couldn't connect to server");

  HttpResponse stalled;
  stalled.status = 200;
  stalled.error = "Timeout was reached";
  EXPECT_EQ(EvaluateResponse(spec, stalled, 0).detail,
            "HTTP 200 but the body did not arrive: Timeout was reached");
}

TEST(PhasesFromTimings, BlackboxPhasesFromLibcurlTimings) {
  HttpTimings t{0.001, 0.003, 0.010, 0.011, 0.311, 0.312};
  ProbePhases tls = PhasesFromTimings(t, true);
  EXPECT_DOUBLE_EQ(tls.resolve, 0.001);
  EXPECT_DOUBLE_EQ(tls.connect, 0.002);
  EXPECT_DOUBLE_EQ(tls.tls, 0.007);
  EXPECT_DOUBLE_EQ(tls.processing, 0.300);
  EXPECT_NEAR(tls.transfer, 0.001, 1e-12);
  EXPECT_DOUBLE_EQ(PhasesFromTimings(t, false).tls, 0);
  // A refused connection reaches no phase after the lookup: none may go negative.
  ProbePhases refused = PhasesFromTimings(HttpTimings{0.001, 0, 0, 0, 0, 0.002}, false);
  EXPECT_DOUBLE_EQ(refused.connect, 0);
  EXPECT_DOUBLE_EQ(refused.processing, 0);
  EXPECT_DOUBLE_EQ(refused.transfer, 0);
}

TEST(WriteProbeMetrics, BlackboxNames) {
  HttpResponse resp = Response(200, "{}");
  resp.tls = true;
  resp.cert_earliest_expiry = 1893456000;
  resp.timings = HttpTimings{0.001, 0.003, 0.010, 0.011, 0.311, 0.312};
  ProbeResult r;
  r.success = true;
  r.duration_seconds = 0.32;
  r.response = resp;
  MetricSink sink("thoth-api");
  WriteProbeMetrics(r, sink);
  EXPECT_EQ(Value(sink, "probe_success"), 1);
  EXPECT_EQ(Value(sink, "probe_duration_seconds"), 0.32);
  EXPECT_DOUBLE_EQ(Value(sink, "probe_http_duration_seconds", {{"phase", "processing"}}), 0.3);
  EXPECT_EQ(Value(sink, "probe_http_status_code"), 200);
  EXPECT_EQ(Value(sink, "probe_http_content_length"), 2);
  EXPECT_EQ(Value(sink, "probe_http_version"), 1.1);
  EXPECT_EQ(Value(sink, "probe_ssl_earliest_cert_expiry"), 1893456000);
  EXPECT_EQ(Value(sink, "probe_failed_due_to_body"), 0);
  const std::string text = SerializeText(sink.families());
  EXPECT_NE(text.find("probe_success{target=\"thoth-api\"} 1"), std::string::npos);
  EXPECT_NE(text.find("probe_http_duration_seconds{target=\"thoth-api\",phase=\"tls\"}"),
            std::string::npos);

  MetricSink plain;
  r.response.tls = false;
  WriteProbeMetrics(r, plain);
  EXPECT_TRUE(std::isnan(Value(plain, "probe_ssl_earliest_cert_expiry")));
}

TEST(RunProbe, NoTimeLeftFailsWithoutFetching) {
  ProbeSpec spec;
  MemoryErrors errors;
  ProbeResult r = RunProbe(spec, "http://127.0.0.1:9/",
                           ScrapeContext{Clock::now() - std::chrono::seconds(1)}, &errors);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.detail, "no time left before the scrape deadline");
}

TEST(Prober, RefusesEverythingByDefault) {
  auto prober = BuildProber("http", Root("{}"), CollectorEnv{});
  ASSERT_NE(prober, nullptr);
  const std::string why = ErrorText(prober->Allowed("http://127.0.0.1:8000/health", ""));
  EXPECT_NE(why.find("probe.allowed_targets is empty"), std::string::npos);
  EXPECT_NE(why.find("/probe?collector=http&target=NAME"), std::string::npos);
  EXPECT_EQ(ErrorText(prober->Allowed("http://127.0.0.1:8000/health", "nope")),
            "unknown module \"nope\" (configured: http_2xx)");
}

TEST(Prober, AllowlistSchemesAndModules) {
  auto prober = BuildProber("http", Root(R"(
probe:
  allowed_targets: ["http://127.0.0.1:*/health*", "https://*.example.com"]
  modules:
    http_2xx: {timeout: 5s}
    healthy_json: {expect_json: {status: healthy}, timeout: 2s}
)"),
                            CollectorEnv{});
  EXPECT_EQ(ErrorText(prober->Allowed("http://127.0.0.1:8000/health", "http_2xx")), "");
  EXPECT_EQ(ErrorText(prober->Allowed("http://127.0.0.1:8000/healthz", "")), "");
  EXPECT_EQ(ErrorText(prober->Allowed("https://api.example.com/anything", "healthy_json")), "");
  EXPECT_NE(ErrorText(prober->Allowed("http://127.0.0.1:8000/admin", "")), "");
  EXPECT_NE(ErrorText(prober->Allowed("http://10.0.0.1:8000/health", "")), "");
  EXPECT_NE(ErrorText(prober->Allowed("https://example.com/", "")), "");
  EXPECT_NE(ErrorText(prober->Allowed("http://api.example.com/", "")), "");
  EXPECT_EQ(ErrorText(prober->Allowed("file:///etc/passwd", "")),
            "target refused: only http and https URLs can be probed");
  EXPECT_EQ(ErrorText(prober->Allowed("gopher://127.0.0.1:8000/health", "")),
            "target refused: only http and https URLs can be probed");
  EXPECT_EQ(ErrorText(prober->Allowed("http://u:secret@127.0.0.1:8000/health", "")),
            "target refused: credentials in the URL are not allowed");
  EXPECT_EQ(ErrorText(prober->Allowed("http://127.0.0.1:8000/health", "x\n\"y")),
            "unknown module \"x??y\" (configured: healthy_json, http_2xx)");
  // A refused URL is never fetched, even when Probe is called directly.
  MetricSink sink;
  prober->Probe("http://10.255.255.1:8000/health", "", ScrapeContext{Clock::now()}, sink);
  EXPECT_EQ(Value(sink, "probe_success"), 0);
  EXPECT_EQ(Value(sink, "probe_http_status_code"), 0);
}

TEST(Checks, UpAndLatencyAgainstApiThresholds) {
  // required: a failure pages whatever was seen before (expectations_test.cc has the rest).
  auto collectors =
      BuildCollectors("http", Root("http: [{service: api, url: 'http://h/', required: true}]"), {});
  auto judge = [&](double success, double seconds) {
    MetricSink sink;
    sink.Gauge("probe_success", "", {}, success);
    sink.Gauge("probe_duration_seconds", "", {}, seconds);
    std::vector<HealthCheck> rows;
    collectors[0]->Checks(sink.families(), success == 1, Thresholds{}, rows);
    return rows;
  };
  auto fast = judge(1, 0.1);
  ASSERT_EQ(fast.size(), 2u);
  EXPECT_EQ(fast[0].check, "up");
  EXPECT_EQ(fast[0].status, Severity::kOk);
  EXPECT_EQ(fast[1].check, "latency");
  EXPECT_EQ(fast[1].value, "0.1 s");
  EXPECT_EQ(fast[1].threshold, "> 0.5 s warn, > 2 s crit");
  EXPECT_EQ(fast[1].status, Severity::kOk);
  EXPECT_EQ(judge(1, 0.8)[1].status, Severity::kWarning);
  EXPECT_EQ(judge(1, 2.5)[1].status, Severity::kCritical);
  auto down = judge(0, 0.001);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].status, Severity::kCritical);
  EXPECT_EQ(down[0].target, "api");

  std::vector<HealthCheck> rows;
  collectors[0]->Checks({}, false, Thresholds{}, rows);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, Severity::kCritical);
}

TEST(TimedOut, WritesProbeSuccessZero) {
  auto collectors = BuildCollectors("http", Root("http: [{service: api, url: 'http://h/'}]"), {});
  MetricSink sink("api");
  collectors[0]->TimedOut(sink);
  EXPECT_EQ(Value(sink, "probe_success"), 0);
}

}  // namespace
}  // namespace thoth::http

namespace thoth::http {
namespace {

ProbeGuard Guard(const std::string& yaml) { return ParseProbeGuard(Root(yaml).Child("probe")); }

std::string Connect(const ProbeGuard& guard, const std::string& ip) {
  sockaddr_storage ss{};
  auto addr = ParseIpAddress(ip);
  EXPECT_TRUE(addr.has_value()) << ip;
  if (addr->v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    std::memcpy(&in6->sin6_addr, addr->bytes.data(), 16);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    std::memcpy(&in->sin_addr, addr->bytes.data(), 4);
  }
  return ErrorText(guard.ConnectAllowed(reinterpret_cast<const sockaddr*>(&ss)));
}

TEST(ParseProbeSpec, MaxRedirects) {
  EXPECT_EQ(ParseProbeSpec(Root("{}"), 5).max_redirects, 5);
  EXPECT_EQ(ParseProbeSpec(Root("{follow_redirects: true}"), 5).max_redirects, 5);
  EXPECT_EQ(ParseProbeSpec(Root("{follow_redirects: true, max_redirects: 0}"), 5).max_redirects, 0);
  EXPECT_EQ(ParseProbeSpec(Root("{follow_redirects: true, max_redirects: 20}"), 5).max_redirects,
            20);
  EXPECT_EQ(
      ConfigErrorOf("probe:\n  modules:\n    m: {follow_redirects: true, max_redirects: 21}\n"),
      "test.yml:3:48: probe.modules.m.max_redirects: must be between 0 and 20");
  EXPECT_NE(ConfigErrorOf("probe: {modules: {m: {follow_redirects: true, max_redirects: -1}}}")
                .find("between 0 and 20"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("probe: {modules: {m: {follow_redirects: true, max_redirects: x}}}")
                .find("max_redirects"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("probe: {modules: {m: {max_redirects: 3}}}")
                .find("max_redirects: applies only with follow_redirects: true"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("http: [{service: a, url: 'http://h/', max_redirects: 3}]")
                .find("applies only with follow_redirects"),
            std::string::npos);
}

TEST(ParseProbeGuard, DeniedNetworksDefaultAndOwnList) {
  const ProbeGuard defaults = Guard("probe: {}");
  EXPECT_EQ(defaults.denied.size(), DefaultDeniedNetworks().size());
  EXPECT_NE(Connect(defaults, "169.254.169.254"), "");
  EXPECT_EQ(Connect(defaults, "169.254.169.254"),
            "refused to connect to 169.254.169.254: it is in probe.denied_networks "
            "(169.254.0.0/16)");
  EXPECT_NE(Connect(defaults, "fd00:ec2::254"), "");
  EXPECT_NE(Connect(defaults, "::ffff:169.254.169.254"), "");
  EXPECT_EQ(Connect(defaults, "127.0.0.1"), "");
  EXPECT_EQ(Connect(defaults, "10.1.2.3"), "");

  // An own list replaces the default; `default` stands for it inside the list.
  const ProbeGuard rfc1918 =
      Guard("probe: {denied_networks: [default, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]}");
  EXPECT_EQ(rfc1918.denied.size(), DefaultDeniedNetworks().size() + 3);
  EXPECT_NE(Connect(rfc1918, "10.1.2.3"), "");
  EXPECT_NE(Connect(rfc1918, "169.254.169.254"), "");
  EXPECT_EQ(Connect(rfc1918, "127.0.0.1"), "");
  const ProbeGuard only_ten = Guard("probe: {denied_networks: [10.0.0.0/8]}");
  EXPECT_EQ(Connect(only_ten, "169.254.169.254"), "");
  EXPECT_NE(Connect(only_ten, "10.0.0.1"), "");
  EXPECT_TRUE(Guard("probe: {denied_networks: []}").denied.empty());
}

TEST(ParseProbeGuard, ConfigErrorsNameFileLineAndKey) {
  EXPECT_EQ(ConfigErrorOf("probe:\n  denied_networks:\n    - 10.0.0.0/8\n    - 10.0.0.1/8\n"),
            "test.yml:4:7: probe.denied_networks[1]: the address has bits set past the /8 prefix "
            "(a typo?)");
  EXPECT_NE(
      ConfigErrorOf("probe: {denied_networks: [metadata.google.internal]}").find("CIDR notation"),
      std::string::npos);
  EXPECT_NE(ConfigErrorOf("probe: {denied_networks: 10.0.0.0/8}").find("expected a list"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("probe: {denied_networks: [10.0.0.0/40]}").find("at most 32"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("probe: {denied_network: []}").find("unknown key"), std::string::npos);
}

TEST(ProbeGuard, AllowsOnlyMatchingUrlsWithoutCredentials) {
  const ProbeGuard guard = Guard("probe: {allowed_targets: ['http://127.0.0.1:8000/*']}");
  EXPECT_TRUE(guard.Allows(*ParseProbeUrl("http://127.0.0.1:8000/x")));
  EXPECT_FALSE(guard.Allows(*ParseProbeUrl("http://127.0.0.1:8001/x")));
  EXPECT_FALSE(guard.Allows(*ParseProbeUrl("http://localhost:8000/x")));
  EXPECT_FALSE(guard.Allows(*ParseProbeUrl("http://u:p@127.0.0.1:8000/x")));
}

TEST(AdjustRequestForRedirect, MethodAndBodyAsLibcurl) {
  auto after = [](int status, const std::string& method) {
    HttpRequest req;
    req.method = method;
    req.body = "payload";
    AdjustRequestForRedirect(status, req);
    return req.method + " " + req.body;
  };
  EXPECT_EQ(after(303, "POST"), "GET ");
  EXPECT_EQ(after(303, "PUT"), "GET ");
  EXPECT_EQ(after(303, "HEAD"), "HEAD payload");
  EXPECT_EQ(after(301, "POST"), "GET ");
  EXPECT_EQ(after(302, "POST"), "GET ");
  EXPECT_EQ(after(302, "PUT"), "PUT payload");
  EXPECT_EQ(after(307, "POST"), "POST payload");
  EXPECT_EQ(after(308, "POST"), "POST payload");
}

TEST(WriteProbeMetrics, RedirectHopsAddUp) {
  ProbeResult r;
  r.response = Response(200, "{}");
  r.response.timings = HttpTimings{0.001, 0.003, 0, 0.004, 0.104, 0.105};
  r.redirects = 2;
  r.earlier_hops.resolve = 0.01;
  r.earlier_hops.processing = 0.2;
  MetricSink sink;
  WriteProbeMetrics(r, sink);
  EXPECT_EQ(Value(sink, "probe_http_redirects"), 2);
  EXPECT_DOUBLE_EQ(Value(sink, "probe_http_duration_seconds", {{"phase", "resolve"}}), 0.011);
  EXPECT_DOUBLE_EQ(Value(sink, "probe_http_duration_seconds", {{"phase", "processing"}}), 0.3);
}

}  // namespace
}  // namespace thoth::http

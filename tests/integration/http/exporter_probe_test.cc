// The http collector and /probe through the real exporter binary: /metrics, the per-target and
// ad-hoc forms of /probe, and --once.

#include <cmath>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/http/servers.h"

namespace thoth::http {
namespace {

using testing::ExporterProcess;
using testing::FreePort;
using testing::PromtoolCheckMetrics;
using testing::RunExporter;
using testing::SampleValue;

// Only the http collector, so that results do not depend on this machine's other state.
const std::vector<std::string> kOnlyHttp = {"--no-collector.container", "--no-collector.filesystem",
                                            "--log.level=debug"};

std::string Target(const std::string& service, const std::string& url,
                   const std::string& more = "") {
  return "  - {service: " + service + ", url: '" + url + "'" + (more.empty() ? "" : ", " + more) +
         "}\n";
}

std::string StackConfig() {
  const std::string port = std::to_string(server->port());
  return "exporter: {scrape_timeout: 8s}\n"
         "http:\n" +
         Target("thoth-api", server->Url("/respond"), "expect_json: {status: healthy}") +
         Target("slow", server->Url("/respond?delay_ms=300")) +
         Target("down-503", server->Url("/respond?status=503")) +
         Target("degraded", server->Url("/respond?body=%7B%22status%22%3A%22degraded%22%7D"),
                "expect_json: {status: healthy}") +
         Target("refused", "http://127.0.0.1:" + std::to_string(FreePort()) + "/health") +
         Target("auth", server->Url("/auth?token=x")) +
         Target("tls", tls->Url("/respond"), "ca_file: '" + tls->cert_path() + "'") +
         "probe:\n"
         "  allowed_targets: ['http://127.0.0.1:" +
         port +
         "/respond*']\n"
         "  modules:\n"
         "    http_2xx: {timeout: 5s}\n"
         "    healthy: {expect_json: {status: healthy}, timeout: 2s}\n"
         "    follow: {follow_redirects: true, timeout: 2s}\n";
}

class ExporterProbe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    exporter_ = new ExporterProcess;
    ASSERT_TRUE(exporter_->Start(StackConfig(), kOnlyHttp)) << exporter_->Log();
  }
  static void TearDownTestSuite() {
    delete exporter_;
    exporter_ = nullptr;
  }
  static ExporterProcess* exporter_;
};
ExporterProcess* ExporterProbe::exporter_ = nullptr;

TEST_F(ExporterProbe, MetricsCarryEveryServiceAndPassPromtool) {
  auto metrics = exporter_->Request("/metrics");
  ASSERT_EQ(metrics.status, 200);
  const std::string& text = metrics.body;
  EXPECT_EQ(SampleValue(text, "probe_success", {{"target", "thoth-api"}}), 1) << text;
  EXPECT_EQ(SampleValue(text, "probe_success", {{"target", "slow"}}), 1);
  EXPECT_GE(SampleValue(text, "probe_duration_seconds", {{"target", "slow"}}), 0.3);
  EXPECT_EQ(SampleValue(text, "probe_success", {{"target", "down-503"}}), 0);
  EXPECT_EQ(SampleValue(text, "probe_http_status_code", {{"target", "down-503"}}), 503);
  EXPECT_EQ(SampleValue(text, "probe_success", {{"target", "degraded"}}), 0);
  EXPECT_EQ(SampleValue(text, "probe_failed_due_to_body", {{"target", "degraded"}}), 1);
  EXPECT_EQ(SampleValue(text, "probe_success", {{"target", "refused"}}), 0);
  EXPECT_EQ(SampleValue(text, "probe_success", {{"target", "tls"}}), 1);
  EXPECT_EQ(SampleValue(text, "probe_ssl_earliest_cert_expiry", {{"target", "tls"}}),
            tls->cert_not_after());
  EXPECT_GT(SampleValue(text, "probe_http_duration_seconds", {{"target", "tls"}, {"phase", "tls"}}),
            0);
  EXPECT_EQ(SampleValue(text, "thoth_exporter_collector_success",
                        {{"collector", "http"}, {"target", "thoth-api"}}),
            1);
  EXPECT_EQ(SampleValue(text, "thoth_exporter_collector_success",
                        {{"collector", "http"}, {"target", "down-503"}}),
            0);
  EXPECT_GE(
      SampleValue(text, "thoth_memory_errors_total", {{"code", "MEM-007"}, {"source", "http"}}), 1);
  auto check = PromtoolCheckMetrics(text);
  EXPECT_EQ(check.exit_code, 0) << check.output;

  // The failure details reach the landing page.
  auto landing = exporter_->Request("/");
  EXPECT_NE(landing.body.find("HTTP 503, expected 2xx"), std::string::npos) << landing.body;
  EXPECT_NE(landing.body.find("connect to server"), std::string::npos);
}

TEST_F(ExporterProbe, ConfiguredTargetByName) {
  auto r = exporter_->Request("/probe?collector=http&target=down-503");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(SampleValue(r.body, "probe_success", {{"target", "down-503"}}), 0);
  EXPECT_EQ(SampleValue(r.body, "probe_http_status_code", {{"target", "down-503"}}), 503);
  EXPECT_TRUE(std::isnan(SampleValue(r.body, "probe_success", {{"target", "thoth-api"}})));
  auto ok = exporter_->Request("/probe?collector=http&target=thoth-api");
  EXPECT_EQ(SampleValue(ok.body, "probe_success", {{"target", "thoth-api"}}), 1);
  EXPECT_EQ(exporter_->Request("/probe?collector=http&target=nope").status, 404);
}

TEST_F(ExporterProbe, AdHocAllowedTarget) {
  auto r = exporter_->Request("/probe?target=" + UrlEncode(server->Url("/respond?delay_ms=300")) +
                              "&module=http_2xx");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(SampleValue(r.body, "probe_success"), 1) << r.body;
  EXPECT_GE(SampleValue(r.body, "probe_duration_seconds"), 0.3);
  EXPECT_EQ(SampleValue(r.body, "probe_http_status_code"), 200);
  EXPECT_EQ(r.body.find("target="), std::string::npos) << "ad-hoc probes carry no target label";
  EXPECT_EQ(r.body.find("thoth_"), std::string::npos) << "probe_* only";
  auto check = PromtoolCheckMetrics(r.body);
  EXPECT_EQ(check.exit_code, 0) << check.output;

  // The module's checks apply; no module means http_2xx.
  auto body = exporter_->Request(
      "/probe?module=healthy&target=" +
      UrlEncode(server->Url("/respond?body=%7B%22status%22%3A%22degraded%22%7D")));
  ASSERT_EQ(body.status, 200);
  EXPECT_EQ(SampleValue(body.body, "probe_success"), 0);
  EXPECT_EQ(SampleValue(body.body, "probe_failed_due_to_body"), 1);
  auto plain = exporter_->Request("/probe?target=" + UrlEncode(server->Url("/respond")));
  EXPECT_EQ(SampleValue(plain.body, "probe_success"), 1);
}

TEST_F(ExporterProbe, AdHocRefusals) {
  const size_t before = server->RemotePorts().size();
  auto outside = exporter_->Request("/probe?target=" + UrlEncode(server->Url("/auth?token=x")));
  EXPECT_EQ(outside.status, 403);
  EXPECT_EQ(outside.body, "target refused: the URL matches no entry of probe.allowed_targets\n");
  for (const std::string url :
       {"file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO", "dict://127.0.0.1:11211/stats"}) {
    auto r = exporter_->Request("/probe?target=" + UrlEncode(url));
    EXPECT_EQ(r.status, 403) << url;
    EXPECT_EQ(r.body, "target refused: only http and https URLs can be probed\n") << url;
  }
  auto other_host = exporter_->Request("/probe?target=" + UrlEncode("http://169.254.169.254/"));
  EXPECT_EQ(other_host.status, 403);
  auto module =
      exporter_->Request("/probe?module=tcp_connect&target=" + UrlEncode(server->Url("/respond")));
  EXPECT_EQ(module.status, 403);
  EXPECT_NE(module.body.find("unknown module \"tcp_connect\""), std::string::npos);
  EXPECT_EQ(server->RemotePorts().size(), before) << "a refused target was fetched";
}

TEST_F(ExporterProbe, AdHocRedirectOutsideTheAllowlistIsNotFollowed) {
  // /respond* is allowed, /auth is not: a redirect from one to the other stops the probe.
  const size_t before = server->RemotePorts().size();
  const std::string target =
      server->Url("/respond?status=302&location=" + UrlEncode(server->Url("/auth?token=x")));
  auto r = exporter_->Request("/probe?module=follow&target=" + UrlEncode(target));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(SampleValue(r.body, "probe_success"), 0);
  EXPECT_EQ(SampleValue(r.body, "probe_http_status_code"), 302);
  EXPECT_EQ(SampleValue(r.body, "probe_http_redirects"), 0);
  EXPECT_EQ(server->RemotePorts().size(), before + 1) << "the redirect was followed";
  EXPECT_NE(exporter_->Log().find("ad-hoc probe stopped: redirect refused: http://127.0.0.1:" +
                                  std::to_string(server->port()) +
                                  " matches no entry of probe.allowed_targets"),
            std::string::npos)
      << exporter_->Log();

  // Within the allowlist, the redirect is followed.
  const std::string inside =
      server->Url("/respond?status=302&location=" + UrlEncode(server->Url("/respond")));
  auto ok = exporter_->Request("/probe?module=follow&target=" + UrlEncode(inside));
  EXPECT_EQ(SampleValue(ok.body, "probe_success"), 1) << ok.body;
  EXPECT_EQ(SampleValue(ok.body, "probe_http_redirects"), 1);
}

TEST(ExporterProbeDenied, NameResolvingToADeniedNetworkIsNeverConnectedTo) {
  // localhost resolves through the system resolver to 127.0.0.1 and ::1, both denied here.
  ExporterProcess exporter;
  ASSERT_TRUE(
      exporter.Start("probe:\n  allowed_targets: ['http://localhost:*/*']\n"
                     "  denied_networks: [default, 127.0.0.0/8, '::1/128']\n",
                     kOnlyHttp))
      << exporter.Log();
  const size_t before = server->RemotePorts().size();
  auto r = exporter.Request(
      "/probe?target=" +
      UrlEncode("http://localhost:" + std::to_string(server->port()) + "/respond"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(SampleValue(r.body, "probe_success"), 0);
  EXPECT_EQ(SampleValue(r.body, "probe_http_status_code"), 0);
  EXPECT_EQ(server->RemotePorts().size(), before) << "a denied address was connected to";
  EXPECT_NE(exporter.Log().find("it is in probe.denied_networks"), std::string::npos)
      << exporter.Log();
}

TEST(ExporterProbeDefaults, AdHocProbesAreOffWithoutAnAllowlist) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start("http:\n" + Target("api", server->Url("/respond")), kOnlyHttp))
      << exporter.Log();
  auto r = exporter.Request("/probe?target=" + UrlEncode(server->Url("/respond")));
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("probe.allowed_targets is empty"), std::string::npos) << r.body;
  auto by_name = exporter.Request("/probe?collector=http&target=api");
  EXPECT_EQ(SampleValue(by_name.body, "probe_success", {{"target", "api"}}), 1);
}

TEST(ExporterProbeOnce, UpAndLatencyAgainstApiThresholds) {
  const std::string dir = testing::MakeTempDir("thoth-http-once");
  testing::WriteFile(dir + "/ok.yml", "http:\n" + Target("api", server->Url("/respond")) +
                                          Target("agent", server->Url("/respond?delay_ms=50")));
  testing::WriteFile(dir + "/slow.yml", "http:\n" + Target("api", server->Url("/respond")) +
                                            Target("agent", server->Url("/respond?delay_ms=700")));
  // required: CRITICAL from the first probe (a target never seen up is only a WARNING).
  testing::WriteFile(dir + "/down.yml",
                     "http:\n" +
                         Target("api", server->Url("/respond?status=503"), "required: true") +
                         Target("agent", server->Url("/respond?delay_ms=700")));
  auto run = [&](const std::string& file) {
    std::vector<std::string> args = {"--once", "--format=json",
                                     "--config.file=" + dir + "/" + file};
    args.insert(args.end(), kOnlyHttp.begin(), kOnlyHttp.end() - 1);
    return RunExporter(args);
  };
  auto rows = [](const testing::RunResult& r) {
    auto doc = nlohmann::json::parse(r.output.substr(r.output.find('{')), nullptr, false);
    std::map<std::string, std::string> out;
    if (doc.is_discarded()) return out;
    for (const auto& c : doc["checks"]) {
      out[c["target"].get<std::string>() + "/" + c["check"].get<std::string>()] =
          c["status"].get<std::string>() + " " + c["value"].get<std::string>();
    }
    return out;
  };

  auto ok = run("ok.yml");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  auto ok_rows = rows(ok);
  EXPECT_EQ(ok_rows["api/up"], "OK yes") << ok.output;
  EXPECT_EQ(ok_rows["agent/latency"].rfind("OK ", 0), 0u) << ok.output;

  auto slow = run("slow.yml");
  EXPECT_EQ(slow.exit_code, 1) << slow.output;  // > 0.5 s: WARNING
  EXPECT_EQ(rows(slow)["agent/latency"].rfind("WARNING ", 0), 0u) << slow.output;

  auto down = run("down.yml");
  EXPECT_EQ(down.exit_code, 2) << down.output;
  EXPECT_EQ(rows(down)["api/up"], "CRITICAL no: HTTP 503, expected 2xx") << down.output;
  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace thoth::http

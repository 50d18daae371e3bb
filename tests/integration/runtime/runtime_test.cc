// The exporter binary end to end: endpoints, auth, reload, --check-config and --once, with a
// configuration that needs no external server.
#include <crypt.h>
#include <curl/curl.h>
#include <signal.h>

#include <algorithm>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/integration/harness/exporter_process.h"

namespace thoth::testing {
namespace {

const char* kMinimalConfig = "exporter: {scrape_timeout: 5s}\n";

TEST(Runtime, EndpointsArePreciseAndMetricsPassPromtool) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(kMinimalConfig)) << exporter.Log();
  auto health = exporter.Request("/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_EQ(exporter.Request("/metricsX").status, 404);
  EXPECT_EQ(exporter.Request("/metrics/").status, 404);
  EXPECT_EQ(exporter.Request("/nope").status, 404);
  EXPECT_EQ(exporter.Request("/metrics", {}, "POST").status, 405);
  EXPECT_EQ(exporter.Request("/-/reload").status, 405);

  auto metrics = exporter.Request("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.content_type.find("version=0.0.4"), std::string::npos);
  EXPECT_EQ(SampleValue(metrics.body, "thoth_exporter_config_last_reload_successful"), 1);
  EXPECT_EQ(SampleValue(metrics.body, "thoth_exporter_build_info"), 1);
  EXPECT_GT(SampleValue(metrics.body, "process_resident_memory_bytes"), 1e6);
  EXPECT_GT(SampleValue(metrics.body, "process_open_fds"), 2);
  EXPECT_EQ(SampleValue(metrics.body, "thoth_error_code_info", {{"code", "MEM-005"}}), 1);
  auto findings = PromtoolFindings(metrics.body);
  EXPECT_TRUE(findings.empty()) << ::testing::PrintToString(findings);

  auto landing = exporter.Request("/");
  EXPECT_EQ(landing.status, 200);
  EXPECT_NE(landing.body.find("thoth-exporter"), std::string::npos);
  EXPECT_NE(landing.body.find("/metrics"), std::string::npos);
}

// A scraper that keeps its connection between requests (Prometheus does) must be told that the
// exporter closes it: otherwise it sends the next request into a closed socket, which failed
// 0.7-5 % of such requests in the benchmark.
TEST(Runtime, AClientThatKeepsConnectionsIsToldTheyCloseAndNeverFails) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(kMinimalConfig)) << exporter.Log();
  CURL* curl = curl_easy_init();
  ASSERT_NE(curl, nullptr);
  std::string headers;
  auto discard = +[](char*, size_t size, size_t n, void*) { return size * n; };
  auto keep = +[](char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  };
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, keep);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  const std::string base = "http://127.0.0.1:" + std::to_string(exporter.port());
  int failed = 0;
  std::string first_error;
  for (int i = 0; i < 400; ++i) {
    // The same handle, so libcurl reuses the connection whenever it is allowed to.
    const std::string url = base + (i % 2 == 0 ? "/metrics" : "/health");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    headers.clear();
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) {
      if (failed++ == 0)
        first_error = std::string(curl_easy_strerror(rc)) + ", status " + std::to_string(status) +
                      ", request " + std::to_string(i);
      continue;
    }
    EXPECT_NE(headers.find("\r\nConnection: close\r\n"), std::string::npos) << headers;
  }
  curl_easy_cleanup(curl);
  EXPECT_EQ(failed, 0) << "first failure: " << first_error;
}

TEST(Runtime, GzipWhenAsked) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(kMinimalConfig)) << exporter.Log();
  HttpClient client;
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(exporter.port()) + "/metrics";
  req.headers = {"Accept-Encoding: gzip"};
  auto raw = client.Fetch(req);
  ASSERT_EQ(raw.status, 200);
  ASSERT_GE(raw.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(raw.body[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(raw.body[1]), 0x8b);
  // curl decompresses it back to the text format.
  auto r = Shell("curl -s --compressed http://127.0.0.1:" + std::to_string(exporter.port()) +
                 "/metrics");
  EXPECT_NE(r.output.find("# TYPE thoth_exporter_build_info gauge"), std::string::npos);
}

TEST(Runtime, BasicAuthGuardsAllButHealth) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  ASSERT_NE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof salt), nullptr);
  crypt_data data{};
  std::string hash = crypt_r("Sc0tch-Egg-Secret", salt, &data);
  ExporterProcess exporter;
  WriteFile(exporter.dir() + "/web.yml", "basic_auth_users:\n  prometheus: " + hash + "\n");
  ASSERT_TRUE(exporter.Start(kMinimalConfig, {"--web.config.file=" + exporter.dir() + "/web.yml"}))
      << exporter.Log();
  EXPECT_EQ(exporter.Request("/health").status, 200);
  auto denied = exporter.Request("/metrics");
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(exporter.Request("/").status, 401);
  // "prometheus:Sc0tch-Egg-Secret" and a wrong password, base64.
  EXPECT_EQ(
      exporter
          .Request("/metrics", {"Authorization: Basic cHJvbWV0aGV1czpTYzB0Y2gtRWdnLVNlY3JldA=="})
          .status,
      200);
  EXPECT_EQ(exporter.Request("/metrics", {"Authorization: Basic cHJvbWV0aGV1czp3cm9uZw=="}).status,
            401);
  EXPECT_EQ(exporter.Log().find("Sc0tch-Egg-Secret"), std::string::npos);
  EXPECT_EQ(exporter.Log().find("wrong"), std::string::npos);
}

TEST(Runtime, BadReloadKeepsRunningConfigAndIsReported) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(kMinimalConfig)) << exporter.Log();
  exporter.WriteConfig("exporter: {scrape_timeout: soon}\n");
  auto bad = exporter.Request("/-/reload", {}, "POST");
  EXPECT_EQ(bad.status, 500);
  EXPECT_NE(bad.body.find("config.yml:1:"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("exporter.scrape_timeout"), std::string::npos) << bad.body;
  auto metrics = exporter.Metrics();
  EXPECT_EQ(SampleValue(metrics, "thoth_exporter_config_last_reload_successful"), 0);
  double first_success =
      SampleValue(metrics, "thoth_exporter_config_last_reload_success_timestamp_seconds");
  EXPECT_GT(first_success, 1.6e9);

  // Fixed, and reloaded by SIGHUP this time.
  exporter.WriteConfig("exporter: {scrape_timeout: 4s}\n");
  exporter.process().Signal(SIGHUP);
  double ok = 0;
  for (int i = 0; i < 100 && ok != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ok = SampleValue(exporter.Metrics(), "thoth_exporter_config_last_reload_successful");
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(exporter.Request("/-/reload", {}, "POST").status, 200);
  EXPECT_NE(exporter.Log().find("reload failed, keeping the running configuration"),
            std::string::npos);
}

TEST(Runtime, RefusesToStartOnBadConfigWithOneLine) {
  std::string dir = MakeTempDir("thoth-badcfg");
  WriteFile(dir + "/c.yml", "exporter:\n  listen_adress: 1.2.3.4:5\n");
  auto r = RunExporter({"--config.file=" + dir + "/c.yml", "--web.listen-address=127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(dir + "/c.yml:2:3: exporter.listen_adress: unknown key"),
            std::string::npos)
      << r.output;
  auto check = RunExporter({"--check-config", "--config.file=" + dir + "/c.yml"});
  EXPECT_EQ(check.exit_code, 3) << check.output;
  EXPECT_NE(check.output.find("c.yml:2:3: exporter.listen_adress: unknown key"), std::string::npos);
  auto once = RunExporter({"--once", "--config.file=" + dir + "/c.yml"});
  EXPECT_EQ(once.exit_code, 3) << once.output;
  WriteFile(dir + "/good.yml", "exporter: {scrape_timeout: 3s}\n");
  auto good = RunExporter({"--check-config", "--config.file=" + dir + "/good.yml"});
  EXPECT_EQ(good.exit_code, 0) << good.output;
  auto missing = RunExporter({"--check-config", "--config.file=" + dir + "/absent.yml"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.output.find("cannot read the config file"), std::string::npos);
  RemoveTree(dir);
}

TEST(Runtime, UsageErrorsHelpAndVersion) {
  auto bad = RunExporter({"--no-such-flag"});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.output.find("--no-such-flag"), std::string::npos);
  auto help = RunExporter({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--once"), std::string::npos);
  auto version = RunExporter({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output.rfind("thoth-exporter ", 0), 0u);
}

TEST(Runtime, JsonLogs) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(kMinimalConfig, {"--log.format=json"})) << exporter.Log();
  std::string log = exporter.Log();
  EXPECT_NE(log.find("{\"ts\":\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"level\":\"info\",\"msg\":\"loaded configuration"), std::string::npos)
      << log;
}

}  // namespace
}  // namespace thoth::testing

namespace thoth::testing {
namespace {

std::string EnvironOf(pid_t pid) {
  std::string env = ReadFile("/proc/" + std::to_string(pid) + "/environ");
  std::replace(env.begin(), env.end(), '\0', '\n');
  return env;
}

// glibc's per-thread caches of freed blocks are turned off by executing the exporter once more
// with GLIBC_TUNABLES (main.cc, DisableThreadCaches): the process that answers is the one
// started (same pid), with the tunable in its environment; an operator's own value is kept.
TEST(Runtime, ThreadCachesOffUnlessTheOperatorTunesMalloc) {
  unsetenv("GLIBC_TUNABLES");
  {
    ExporterProcess exporter;
    ASSERT_TRUE(exporter.Start(kMinimalConfig)) << exporter.Log();
    EXPECT_EQ(exporter.Request("/health").status, 200);
    const std::string env = EnvironOf(exporter.pid());
    EXPECT_NE(env.find("GLIBC_TUNABLES=glibc.malloc.tcache_count=0\n"), std::string::npos) << env;
  }
  {
    ExporterProcess exporter;
    ASSERT_TRUE(
        exporter.Start(kMinimalConfig, {}, {{"GLIBC_TUNABLES", "glibc.malloc.arena_max=1"}}))
        << exporter.Log();
    const std::string env = EnvironOf(exporter.pid());
    EXPECT_NE(env.find("GLIBC_TUNABLES=glibc.malloc.arena_max=1\n"), std::string::npos) << env;
    EXPECT_EQ(env.find("tcache_count"), std::string::npos) << env;
  }
}

}  // namespace
}  // namespace thoth::testing

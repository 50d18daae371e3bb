// The logs collector inside the real exporter binary: /metrics values from a real nginx and a
// MEM-coded service log, promtool-clean output, exact counts across a SIGTERM restart with
// state files, and `--once` judging the recent window without touching the state files.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "exporter/http_client.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/harness/nginx_server.h"

namespace thoth::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

void Append(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app | std::ios::binary) << text;
}

// Polls /metrics until `name{labels}` reaches `want` (or 15 s pass); returns the last text.
std::string MetricsWhen(ExporterProcess& exporter, const std::string& name,
                        const std::map<std::string, std::string>& labels, double want) {
  std::string text;
  auto until = std::chrono::steady_clock::now() + seconds(15);
  do {
    text = exporter.Metrics();
    if (SampleValue(text, name, labels) >= want) break;
    std::this_thread::sleep_for(milliseconds(50));
  } while (std::chrono::steady_clock::now() < until);
  return text;
}

class LogsExporter : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("thoth-logs-e2e");
    ASSERT_TRUE(nginx_.Start()) << ReadFile(nginx_.dir() + "/logs/error.log");
  }
  void TearDown() override { RemoveTree(dir_); }

  std::string Config() const {
    return "exporter: {scrape_timeout: 5s}\n"
           "logs:\n"
           "  - {name: nginx, path: " +
           nginx_.access_log() + ", format: nginx, state_file: " + dir_ +
           "/nginx.pos}\n"
           "  - {name: memory-service, path: '" +
           dir_ + "/svc/*.log', format: error_codes, state_file: " + dir_ + "/svc.pos}\n";
  }
  void Requests(int ok, int server_errors, int denied) {
    HttpClient client;
    HttpRequest req;
    for (int i = 0; i < ok + server_errors + denied; ++i) {
      req.url = nginx_.url(i < ok ? "/" : i < ok + server_errors ? "/status/500" : "/status/401");
      ASSERT_GT(client.Fetch(req).status, 0);
    }
  }

  std::string dir_;
  NginxServer nginx_;
};

TEST_F(LogsExporter, MetricsFromRealLogsSurviveARestartExactly) {
  fs::create_directories(dir_ + "/svc");
  Append(dir_ + "/svc/app.log", "old MEM-001 line before the first start\n");
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(Config())) << exporter.Log();
  // Both logs are placed once their series exist.
  MetricsWhen(exporter, "thoth_log_lines_total", {{"log", "memory-service"}}, 0);
  std::this_thread::sleep_for(milliseconds(400));

  Requests(20, 3, 2);
  Append(dir_ + "/svc/app.log", "ERROR MEM-001 timeout\nERROR MEM-005 and MEM-042\nok\n");
  std::string text = MetricsWhen(exporter, "thoth_log_lines_total", {{"log", "nginx"}}, 25);
  text = MetricsWhen(exporter, "thoth_log_lines_total", {{"log", "memory-service"}}, 3);
  // SIGTERM at once (positions are otherwise written once a second): the exporter writes its
  // final positions; what is written while it is down is counted once by the next one, and
  // nothing before it is counted again.
  exporter.Stop();
  EXPECT_EQ(SampleValue(text, "thoth_log_lines_total", {{"log", "nginx"}}), 25);
  EXPECT_EQ(SampleValue(text, "thoth_log_files", {{"log", "nginx"}}), 1);
  EXPECT_EQ(SampleValue(text, "thoth_log_files", {{"log", "memory-service"}}), 1);
  EXPECT_EQ(SampleValue(text, "thoth_http_requests_total",
                        {{"log", "nginx"}, {"method", "GET"}, {"status", "200"}}),
            20);
  EXPECT_EQ(SampleValue(text, "thoth_http_requests_total",
                        {{"log", "nginx"}, {"method", "GET"}, {"status", "500"}}),
            3);
  EXPECT_EQ(
      SampleValue(text, "thoth_memory_errors_total", {{"code", "MEM-007"}, {"source", "nginx"}}),
      2);
  EXPECT_EQ(
      SampleValue(text, "thoth_memory_errors_total", {{"code", "MEM-006"}, {"source", "nginx"}}),
      0);
  EXPECT_EQ(SampleValue(text, "thoth_memory_errors_total",
                        {{"code", "MEM-001"}, {"source", "memory-service"}}),
            1);
  EXPECT_EQ(SampleValue(text, "thoth_memory_errors_total",
                        {{"code", "other"}, {"source", "memory-service"}}),
            1);
  EXPECT_EQ(SampleValue(text, "thoth_http_request_duration_seconds_bucket",
                        {{"log", "nginx"}, {"le", "0.5"}}),
            25);
  EXPECT_EQ(SampleValue(text, "thoth_exporter_collector_success",
                        {{"collector", "logs"}, {"target", "nginx"}}),
            1);
  EXPECT_EQ(text.find("thoth_log_lines_total{target="), std::string::npos);
  // No findings but node_exporter's own camelCase memory names (README: known deviations).
  auto findings = PromtoolFindings(text);
  EXPECT_TRUE(findings.empty()) << findings.front();

  Requests(7, 1, 0);
  Append(dir_ + "/svc/app.log", "MEM-008 while down\n");
  Append(dir_ + "/svc/new.log", "MEM-008 in a file made while down\n");
  ExporterProcess again;
  ASSERT_TRUE(again.Start(Config())) << again.Log();
  text = MetricsWhen(again, "thoth_log_lines_total", {{"log", "nginx"}}, 8);
  text = MetricsWhen(again, "thoth_log_lines_total", {{"log", "memory-service"}}, 2);
  std::this_thread::sleep_for(milliseconds(500));
  text = again.Metrics();
  EXPECT_EQ(SampleValue(text, "thoth_log_lines_total", {{"log", "nginx"}}), 8);
  EXPECT_EQ(SampleValue(text, "thoth_log_lines_total", {{"log", "memory-service"}}), 2);
  EXPECT_EQ(SampleValue(text, "thoth_memory_errors_total",
                        {{"code", "MEM-008"}, {"source", "memory-service"}}),
            2);
  EXPECT_EQ(SampleValue(text, "thoth_memory_errors_total",
                        {{"code", "MEM-001"}, {"source", "memory-service"}}),
            0);
}

TEST_F(LogsExporter, OnceJudgesTheRecentWindowAndLeavesStateFilesAlone) {
  // What nginx writes now (20 requests, 2 of them 5xx) next to a rotated file of last month
  // (2 5xx of 14): only the last five minutes count.
  Requests(18, 2, 0);
  std::this_thread::sleep_for(milliseconds(200));
  fs::copy_file(FixturesDir() + "/logs/nginx_access.log", nginx_.access_log() + ".1");
  Append(dir_ + "/svc.log", "ERROR MEM-005 dimension mismatch\n");  // no time: by position
  const std::string config = "logs:\n  - {name: edge, path: '" + nginx_.access_log() +
                             "*', format: nginx, state_file: " + dir_ +
                             "/edge.pos}\n  - {name: svc, path: " + dir_ +
                             "/svc.log, format: error_codes}\n  - {name: gone, path: '" + dir_ +
                             "/none/*.log', format: error_codes}\n";
  WriteFile(dir_ + "/config.yml", config);
  auto r = RunExporter({"--once", "--config.file=" + dir_ + "/config.yml"});
  EXPECT_EQ(r.exit_code, 2) << r.output;  // 10 % 5xx, MEM-005 seen
  EXPECT_NE(r.output.find("error_rate"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("10% (2 5xx / 20 requests in the last 5 min)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("MEM-005"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no file matches " + dir_ + "/none/*.log"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir_ + "/edge.pos"));

  auto prom =
      RunExporter({"--once", "--format=prometheus", "--config.file=" + dir_ + "/config.yml"});
  EXPECT_NE(prom.output.find("thoth_log_lines_total{log=\"edge\"} 20"), std::string::npos)
      << prom.output;
  EXPECT_NE(prom.output.find("thoth_log_files{log=\"edge\"} 2"), std::string::npos) << prom.output;
  EXPECT_NE(prom.output.find("thoth_log_files{log=\"gone\"} 0"), std::string::npos) << prom.output;
}

}  // namespace
}  // namespace thoth::testing

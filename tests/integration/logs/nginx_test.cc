// The nginx format against a real nginx 1.22 writing its access log with `combined` +
// $request_time: every line it writes parses, every request is counted once by method and
// status, through a rotation with SIGUSR1 reopen. And against plain `combined`, as the stack's
// deployment guide configures nginx, read by the default format and graded by `--once`.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "collectors/logs/logs_collector.h"
#include "collectors/logs/nginx_parser.h"
#include "exporter/http_client.h"
#include "exporter/memory_errors.h"
#include "exporter/registry.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/nginx_server.h"

namespace thoth::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  auto until = Steady::now() + timeout;
  while (!pred()) {
    if (Steady::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

class NginxLogs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    nginx_ = new NginxServer();
    ASSERT_TRUE(nginx_->Start()) << ReadFile(nginx_->dir() + "/logs/error.log");
  }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }

  // Sends one request; returns its status.
  int Send(const std::string& method, const std::string& path) {
    HttpRequest req;
    req.method = method;
    req.url = nginx_->url(path);
    req.timeout_seconds = 5;
    return client_.Fetch(req).status;
  }

  std::shared_ptr<Collector> MakeLog(const std::string& entry) {
    CollectorEnv env;
    env.memory_errors = &errors_;
    return BuildCollectors("logs", ParseYaml("logs: [" + entry + "]", "test.yml"), env).at(0);
  }

  static NginxServer* nginx_;
  HttpClient client_;
  MemoryErrors errors_;
};

NginxServer* NginxLogs::nginx_ = nullptr;

TEST_F(NginxLogs, CountsEveryRequestByMethodAndStatusThroughARotation) {
  auto log = MakeLog("{name: edge, path: '" + nginx_->access_log() + "', format: nginx}");
  log->Start();
  const auto& counters = static_cast<logs::LogCollector&>(*log).counters();
  // Once the tailer is placed, everything nginx writes is new.
  ASSERT_TRUE(WaitFor([&] { return fs::exists(nginx_->access_log()); }, seconds(5)));
  std::this_thread::sleep_for(milliseconds(400));

  std::map<std::pair<std::string, int>, int> sent;
  auto send = [&](const std::string& method, const std::string& path) {
    int status = Send(method, path);
    ASSERT_GT(status, 0) << method << " " << path;
    ++sent[{method, status}];
  };
  for (int i = 0; i < 50; ++i) {
    send("GET", "/");
    send("GET", "/status/" + std::to_string(std::vector<int>{401, 403, 404, 429, 500}[i % 5]));
    send("POST", "/status/502");
    send("DELETE", "/missing");
    send("BREW", "/");  // not an HTTP method nginx knows: counted as `other`
  }
  ASSERT_TRUE(WaitFor([&] { return counters.requests() == 250; }, seconds(10)));

  // logrotate's way: rename, nginx keeps writing to the renamed file until SIGUSR1.
  fs::rename(nginx_->access_log(), nginx_->access_log() + ".1");
  for (int i = 0; i < 20; ++i) send("GET", "/");
  nginx_->ReopenLogs();
  ASSERT_TRUE(WaitFor([&] { return fs::exists(nginx_->access_log()); }, seconds(5)));
  for (int i = 0; i < 30; ++i) send("HEAD", "/");
  ASSERT_TRUE(WaitFor([&] { return counters.requests() >= 300; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(500));

  EXPECT_EQ(counters.requests(), 300u);
  EXPECT_EQ(counters.lines(), 300u);
  EXPECT_EQ(counters.parse_errors(), 0u);
  EXPECT_EQ(counters.rotations(), 1u);
  for (const auto& [key, n] : sent) {
    int method = logs::ClassifyMethod(key.first);
    EXPECT_EQ(counters.requests(method, key.second), static_cast<std::uint64_t>(n))
        << key.first << " " << key.second;
  }
  EXPECT_EQ(counters.requests(logs::kOtherMethod, 405), 50u);
  EXPECT_EQ(counters.server_errors(), 60u);  // 10 x 500 and 50 x 502
  EXPECT_EQ(errors_.Get("MEM-007", "edge"), 20u);
  EXPECT_EQ(errors_.Get("MEM-006", "edge"), 10u);

  MetricSink sink;
  ASSERT_TRUE(log->Collect(ScrapeContext{Steady::now() + seconds(5)}, sink).ok());
  double count = 0;
  ASSERT_TRUE(FindSample(sink.families(), "thoth_http_request_duration_seconds", {{"log", "edge"}},
                         &count));
  std::string text = SerializeText(sink.families());
  EXPECT_NE(text.find("thoth_http_request_duration_seconds_count{log=\"edge\"} 300"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("thoth_http_requests_total{log=\"edge\",method=\"other\",status=\"405\"} 50"),
            std::string::npos)
      << text;
}

TEST_F(NginxLogs, EveryLineARealNginxWroteParses) {
  // Requests with hostile bytes in the request line and headers, as nginx escapes them.
  std::string port = std::to_string(nginx_->port());
  Shell(
      "printf '\\x16\\x03\\x01\\x02\\x00\\x01\\r\\n\\r\\n' | timeout 2 bash -c 'cat > "
      "/dev/tcp/127.0.0.1/" +
      port + "'");
  HttpRequest odd;
  odd.url = nginx_->url("/%22quoted%22?q=%ff");
  odd.headers = {"User-Agent: Mozilla/5.0 \"quoted\" \xc3\x28", "Referer: http://x/\"y\""};
  client_.Fetch(odd);
  ASSERT_EQ(Send("GET", "/status/200"), 200);
  std::this_thread::sleep_for(milliseconds(200));

  auto parser = logs::NginxLineParser::Compile(logs::kCombinedTimedLogFormat);
  ASSERT_TRUE(parser.ok()) << parser.status().message();
  int lines = 0;
  for (const auto& entry : fs::directory_iterator(nginx_->dir() + "/logs")) {
    if (entry.path().filename().string().rfind("access.log", 0) != 0) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      ++lines;
      logs::AccessRecord rec;
      EXPECT_TRUE(parser->Parse(line, &rec)) << line;
      EXPECT_GE(rec.status, 100) << line;
      EXPECT_GE(rec.duration_us, 0) << line;
    }
  }
  EXPECT_GE(lines, 3);
}

// nginx as the stack's deployment guide configures it: `access_log PATH;`, i.e. `combined`
// without $request_time. The default format counts every request (and its 401/403/429 as
// MEM-007/MEM-006), observes no duration, and `--once` grades the last five minutes of it.
TEST(NginxCombined, DefaultFormatReadsTheDeploymentGuidesNginx) {
  NginxServer nginx;
  ASSERT_TRUE(nginx.StartCombined()) << ReadFile(nginx.dir() + "/logs/error.log");
  MemoryErrors errors;
  CollectorEnv env;
  env.memory_errors = &errors;
  const std::string entry =
      "logs: [{name: edge, path: '" + nginx.access_log() + "', format: nginx}]";
  auto log = BuildCollectors("logs", ParseYaml(entry, "test.yml"), env).at(0);
  log->Start();
  const auto& counters = static_cast<logs::LogCollector&>(*log).counters();
  ASSERT_TRUE(WaitFor([&] { return fs::exists(nginx.access_log()); }, seconds(5)));
  std::this_thread::sleep_for(milliseconds(400));

  HttpClient client;
  auto send = [&](const std::string& path, int want) {
    HttpRequest req;
    req.url = nginx.url(path);
    req.timeout_seconds = 5;
    ASSERT_EQ(client.Fetch(req).status, want) << path;
  };
  for (int i = 0; i < 90; ++i) send("/", 200);
  for (int i = 0; i < 10; ++i) send("/status/500", 500);
  for (int i = 0; i < 5; ++i) send("/status/401", 401);
  for (int i = 0; i < 3; ++i) send("/status/429", 429);
  ASSERT_TRUE(WaitFor([&] { return counters.requests() == 108; }, seconds(10)))
      << counters.requests() << " requests, " << counters.parse_errors() << " parse errors";
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(counters.lines(), 108u);
  EXPECT_EQ(counters.parse_errors(), 0u);
  EXPECT_EQ(counters.server_errors(), 10u);
  EXPECT_EQ(counters.files(), 1);
  EXPECT_EQ(errors.Get("MEM-007", "edge"), 5u);
  EXPECT_EQ(errors.Get("MEM-006", "edge"), 3u);
  MetricSink sink;
  ASSERT_TRUE(log->Collect(ScrapeContext{Steady::now() + seconds(5)}, sink).ok());
  std::string text = SerializeText(sink.families());
  EXPECT_NE(text.find("thoth_http_request_duration_seconds_count{log=\"edge\"} 0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("thoth_log_files{log=\"edge\"} 1"), std::string::npos) << text;
  log.reset();

  // `--once` on the same log: the 108 requests of the last five minutes, 9.3 % 5xx.
  MemoryErrors once_errors;
  CollectorEnv once_env;
  once_env.memory_errors = &once_errors;
  once_env.one_shot = true;
  auto once = BuildCollectors("logs", ParseYaml(entry, "test.yml"), once_env).at(0);
  MetricSink once_sink;
  ASSERT_TRUE(once->Collect(ScrapeContext{Steady::now() + seconds(5)}, once_sink).ok());
  std::vector<HealthCheck> rows;
  once->Checks(once_sink.families(), true, Thresholds{}, rows);
  bool graded = false;
  for (const auto& row : rows) {
    if (row.check != "error_rate") continue;
    graded = true;
    EXPECT_EQ(row.status, Severity::kCritical) << row.value;
    EXPECT_NE(row.value.find("(10 5xx / 108 requests in the last 5 min)"), std::string::npos)
        << row.value;
  }
  EXPECT_TRUE(graded);
}

TEST_F(NginxLogs, CatchesUpOnALargeAccessLogQuickly) {
  // 2,000,000 lines in nginx's format, read from the start on one thread.
  std::string dir = MakeTempDir("thoth-nginx-big");
  const std::string path = dir + "/access.log";
  {
    std::string block;
    const char* methods[] = {"GET", "POST", "PUT", "DELETE"};
    const int statuses[] = {200, 200, 200, 201, 304, 404, 401, 429, 500, 502};
    for (int i = 0; i < 10000; ++i) {
      block += "10.1." + std::to_string(i % 250) + "." + std::to_string(i % 7) +
               " - - [22/Nov/2026:02:05:41 +0000] \"" + methods[i % 4] + " /api/v1/memories/" +
               std::to_string(i) + "?client_id=c" + std::to_string(i % 13) + " HTTP/1.1\" " +
               std::to_string(statuses[i % 10]) + " " + std::to_string(100 + i % 5000) +
               " \"https://app.example/\" \"Mozilla/5.0 (X11; Linux x86_64) thoth-client/1." +
               std::to_string(i % 9) + "\" 0." + std::to_string(100 + i % 900) + "\n";
    }
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 200; ++i) out << block;
  }
  const double mib = static_cast<double>(fs::file_size(path)) / (1 << 20);
  auto log = MakeLog("{name: big, path: " + path + ", format: nginx, from_start: true}");
  const auto& counters = static_cast<logs::LogCollector&>(*log).counters();
  const auto start = Steady::now();
  log->Start();
  ASSERT_TRUE(WaitFor([&] { return counters.lines() == 2000000; }, seconds(120)));
  const double secs = std::chrono::duration<double>(Steady::now() - start).count();
  EXPECT_EQ(counters.parse_errors(), 0u);
  EXPECT_EQ(counters.server_errors(), 400000u);
  std::printf("[ info ] nginx: %.0f lines/s, %.0f MiB/s (%.0f MiB in %.2f s)\n", 2000000 / secs,
              mib / secs, mib, secs);
  log.reset();
  RemoveTree(dir);
}

}  // namespace
}  // namespace thoth::testing

#include "collectors/logs/logs_collector.h"

#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "exporter/memory_errors.h"
#include "exporter/registry.h"

namespace thoth::logs {
namespace {

namespace fs = std::filesystem;

std::string ConfigError(const std::string& yaml) {
  MemoryErrors errors;
  CollectorEnv env;
  env.memory_errors = &errors;
  try {
    BuildCollectors("logs", ParseYaml(yaml, "test.yml"), env);
  } catch (const thoth::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(LogsConfig, DefaultsAndOneCollectorPerLog) {
  MemoryErrors errors;
  CollectorEnv env;
  env.memory_errors = &errors;
  auto collectors = BuildCollectors("logs",
                                    ParseYaml(R"(
logs:
  - {name: memory-service, path: "/var/log/memory-service/*.log", format: error_codes}
  - {name: nginx, path: /var/log/nginx/access.log, format: nginx}
)",
                                              "test.yml"),
                                    env);
  ASSERT_EQ(collectors.size(), 2u);
  EXPECT_EQ(collectors[0]->Kind(), "logs");
  EXPECT_EQ(collectors[0]->Target(), "memory-service");
  EXPECT_EQ(collectors[0]->TargetLabel(), "");
  EXPECT_NE(collectors[0]->Fingerprint(), collectors[1]->Fingerprint());
  EXPECT_TRUE(BuildCollectors("logs", ParseYaml("exporter: {}\n", "t.yml"), env).empty());

  LogConfig c = ParseLogConfig(ParseYaml("{name: a, path: /x, format: nginx}", "t.yml"));
  EXPECT_FALSE(c.from_start);
  EXPECT_EQ(c.max_line_bytes, 65536u);
  EXPECT_EQ(c.state_file, "");
}

TEST(LogsConfig, RejectsWhatCannotWork) {
  EXPECT_NE(ConfigError("logs: [{name: a, path: /x, format: apache}]").find("format"),
            std::string::npos);
  EXPECT_NE(ConfigError("logs: [{name: a, path: /x}]").find("format"), std::string::npos);
  EXPECT_NE(ConfigError("logs: [{name: a, path: /x, format: nginx, typo: 1}]"), "");
  EXPECT_NE(ConfigError("logs: [{name: a, path: /x, format: nginx}, "
                        "{name: a, path: /y, format: nginx}]")
                .find("name"),
            std::string::npos);
  EXPECT_NE(ConfigError("logs: [{name: a, path: /x, format: nginx, state_file: /s}, "
                        "{name: b, path: /y, format: nginx, state_file: /s}]")
                .find("state_file"),
            std::string::npos);
  EXPECT_NE(ConfigError("logs: [{name: a, path: /x, format: nginx, log_format: '$request'}]")
                .find("$status"),
            std::string::npos);
  EXPECT_NE(
      ConfigError("logs: [{name: a, path: /x, format: nginx, regex: '(?P<code>x)'}]").find("regex"),
      std::string::npos);
  EXPECT_NE(
      ConfigError("logs: [{name: a, path: /x, format: error_codes, regex: 'MEM'}]").find("code"),
      std::string::npos);
  EXPECT_NE(ConfigError("logs: [{name: a, path: /x, format: error_codes, log_format: '$status'}]")
                .find("log_format"),
            std::string::npos);
  EXPECT_NE(ConfigError("logs: [{name: a, path: /x, format: nginx, max_line_bytes: 10}]")
                .find("max_line_bytes"),
            std::string::npos);
  EXPECT_NE(ConfigError("logs: [{name: '', path: /x, format: nginx}]"), "");
  EXPECT_EQ(ConfigError("logs: [{name: a, path: /x, format: error_codes, "
                        "regex: '\"code\":\"(?P<code>[^\"]+)\"', from_start: true, "
                        "max_line_bytes: 1048576, state_file: /tmp/s}]"),
            "");
}

TEST(LogsConfig, BadRegexNamesFileLineColumnKeyAndRe2sError) {
  EXPECT_EQ(ConfigError("logs:\n"
                        "  - name: a\n"
                        "    path: /x\n"
                        "    format: error_codes\n"
                        "    regex: '\"code\":\"(?P<code>[A-Z-'\n"),
            "test.yml:5:12: logs[0].regex: regex does not compile: missing ]: [A-Z-");
  EXPECT_EQ(ConfigError("logs: [{name: a, path: /x, format: error_codes, regex: 'MEM-(\\d+)'}]"),
            "test.yml:1:56: logs[0].regex: regex needs a named group `code`, e.g. "
            "\"code\":\\s*\"(?P<code>[^\"]*)\"");
}

class LogCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/thoth-logs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    env_.memory_errors = &errors_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::shared_ptr<Collector> Make(const std::string& entry) {
    auto c = BuildCollectors("logs", ParseYaml("logs: [" + entry + "]", "t.yml"), env_);
    return c.at(0);
  }
  double Get(const Families& f, std::string_view name, const Labels& labels) {
    double v = -1;
    FindSample(f, name, labels, &v);
    return v;
  }

  std::string dir_;
  MemoryErrors errors_;
  CollectorEnv env_;
};

TEST_F(LogCollectorTest, OneShotCollectReadsAndChecksErrorRate) {
  std::ofstream(dir_ + "/access.log")
      << std::ifstream(std::string(THOTH_FIXTURES_DIR) + "/logs/nginx_access.log").rdbuf();
  auto c = Make("{name: web, path: " + dir_ + "/access.log, format: nginx, from_start: true}");
  MetricSink sink;
  ASSERT_TRUE(c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink).ok());
  auto families = sink.Take();
  EXPECT_EQ(Get(families, "thoth_log_lines_total", {{"log", "web"}}), 14);
  EXPECT_EQ(errors_.Get("MEM-007", "web"), 2u);
  std::vector<HealthCheck> rows;
  c->Checks(families, true, Thresholds{}, rows);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].check, "files");
  EXPECT_EQ(rows[1].status, Severity::kOk);
  EXPECT_EQ(rows[2].check, "unparsed lines");
  EXPECT_EQ(rows[2].value, "0 of 14 lines (0%) since start");
  EXPECT_EQ(rows[3].check, "error_rate");
  EXPECT_EQ(rows[3].status, Severity::kCritical);  // 2 of 14 are 5xx: 14% > 5%
  EXPECT_NE(rows[3].value.find("2 5xx / 14 requests"), std::string::npos) << rows[3].value;
}

TEST_F(LogCollectorTest, ChecksReportMem001AndMem005) {
  std::ofstream(dir_ + "/svc.log") << "ok\nERROR MEM-005 dimension\n";
  auto c = Make("{name: svc, path: '" + dir_ + "/*.log', format: error_codes, from_start: true}");
  MetricSink sink;
  ASSERT_TRUE(c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink).ok());
  std::vector<HealthCheck> rows;
  c->Checks(sink.families(), true, Thresholds{}, rows);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[3].check, "MEM-001 lines");
  EXPECT_EQ(rows[3].status, Severity::kOk);
  EXPECT_EQ(rows[4].check, "MEM-005 lines");
  EXPECT_EQ(rows[4].status, Severity::kCritical);
  EXPECT_EQ(errors_.Get("MEM-008", "svc"), 0u);
}

TEST_F(LogCollectorTest, NoRequestsIsNotAnError) {
  auto c = Make("{name: web, path: " + dir_ + "/missing.log, format: nginx}");
  MetricSink sink;
  ASSERT_TRUE(c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink).ok());
  std::vector<HealthCheck> rows;
  c->Checks(sink.families(), true, Thresholds{}, rows);
  EXPECT_EQ(rows.back().status, Severity::kOk);
  EXPECT_EQ(rows.back().value, "no requests since start");
  EXPECT_EQ(Get(sink.families(), "thoth_log_lines_total", {{"log", "web"}}), 0);
  // ... but a path that matches nothing is.
  EXPECT_EQ(Get(sink.families(), "thoth_log_files", {{"log", "web"}}), 0);
  ASSERT_GE(rows.size(), 2u);
  EXPECT_EQ(rows[1].check, "files");
  EXPECT_EQ(rows[1].status, Severity::kWarning);
  EXPECT_EQ(rows[1].value, "no file matches " + dir_ + "/missing.log");
}

// nginx's $time_local of a unix time.
std::string TimeLocal(std::int64_t t) {
  auto tt = static_cast<std::time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%d/%b/%Y:%H:%M:%S +0000", &tm);
  return buf;
}

std::string Combined(std::int64_t t, int status) {
  return "127.0.0.1 - - [" + TimeLocal(t) + "] \"GET /api/memory HTTP/1.1\" " +
         std::to_string(status) + " 3 \"-\" \"python-requests/2.31\"\n";
}

const HealthCheck* Row(const std::vector<HealthCheck>& rows, const std::string& check) {
  for (const auto& r : rows) {
    if (r.check == check) return &r;
  }
  return nullptr;
}

TEST_F(LogCollectorTest, OnceJudgesTheRecentWindowOfACombinedLog) {
  env_.one_shot = true;
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  std::string text;
  // An hour ago: all failing. The last 5 minutes: 40 requests, 2 of them 5xx, 10 401s.
  for (int i = 0; i < 200; ++i) text += Combined(now - 3600 + i, 503);
  for (int i = 0; i < 40; ++i) text += Combined(now - 120 + i, i < 2 ? 500 : i < 12 ? 401 : 200);
  std::ofstream(dir_ + "/access.log") << text;
  auto c = Make("{name: web, path: " + dir_ + "/access.log, format: nginx}");
  c->Start();  // no tailer in a one-shot run
  MetricSink sink;
  ASSERT_TRUE(c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink).ok());
  auto families = sink.Take();
  EXPECT_EQ(Get(families, "thoth_log_lines_total", {{"log", "web"}}), 40);
  EXPECT_EQ(Get(families, "thoth_log_parse_errors_total", {{"log", "web"}}), 0);
  EXPECT_EQ(Get(families, "thoth_log_files", {{"log", "web"}}), 1);
  EXPECT_EQ(errors_.Get("MEM-007", "web"), 10u);
  // No $request_time in combined: no duration observed.
  EXPECT_NE(
      SerializeText(families).find("thoth_http_request_duration_seconds_count{log=\"web\"} 0"),
      std::string::npos);
  std::vector<HealthCheck> rows;
  c->Checks(families, true, Thresholds{}, rows);
  const HealthCheck* rate = Row(rows, "error_rate");
  ASSERT_NE(rate, nullptr);
  EXPECT_EQ(rate->status, Severity::kWarning);  // 5% is not above 5%
  EXPECT_EQ(rate->value, "5% (2 5xx / 40 requests in the last 5 min)");
  const HealthCheck* auth = Row(rows, "MEM-007 lines");
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(auth->status, Severity::kOk);  // 2 a minute; the alert warns above 6
  EXPECT_EQ(auth->value, "2/min (10 in the last 5 min)");
  ASSERT_NE(Row(rows, "MEM-006 lines"), nullptr);
  EXPECT_EQ(Row(rows, "files")->status, Severity::kOk);
  // A second collection does not count the window twice.
  MetricSink again;
  ASSERT_TRUE(c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, again).ok());
  EXPECT_EQ(Get(again.families(), "thoth_log_lines_total", {{"log", "web"}}), 40);
}

TEST_F(LogCollectorTest, OnceWarnsOnAMostlyUnparsedLog) {
  env_.one_shot = true;
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  // A log_format that does not match what nginx writes: every line fails.
  std::string text;
  for (int i = 0; i < 30; ++i) text += Combined(now - 10, 200);
  std::ofstream(dir_ + "/access.log") << text;
  auto c = Make("{name: web, path: " + dir_ + "/access.log, format: nginx, log_format: " +
                "'$remote_addr [$time_local] $status $request_time'}");
  MetricSink sink;
  ASSERT_TRUE(c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink).ok());
  std::vector<HealthCheck> rows;
  c->Checks(sink.families(), true, Thresholds{}, rows);
  const HealthCheck* bad = Row(rows, "unparsed lines");
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(bad->status, Severity::kWarning);
  EXPECT_EQ(bad->value, "30 of 30 lines (100%) in the last 5 min");
  // Below the minimum of lines, a few odd lines are not a problem.
  std::ofstream(dir_ + "/few.log") << "garbage\nmore garbage\n";
  auto few = Make("{name: few, path: " + dir_ + "/few.log, format: nginx}");
  MetricSink sink2;
  ASSERT_TRUE(few->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink2).ok());
  rows.clear();
  few->Checks(sink2.families(), true, Thresholds{}, rows);
  EXPECT_EQ(Row(rows, "unparsed lines")->status, Severity::kOk);
  EXPECT_EQ(Row(rows, "unparsed lines")->value, "2 of 2 lines (100%) in the last 5 min");
}

TEST_F(LogCollectorTest, OnceGradesMemCodesOfTheWindow) {
  env_.one_shot = true;
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  auto iso = [](std::int64_t t) {
    auto tt = static_cast<std::time_t>(t);
    struct tm tm {};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf);
  };
  std::string text = iso(now - 7200) + " ERROR [MEM-005] Vector dimension mismatch\n";
  for (int i = 0; i < 40; ++i) text += iso(now - 60) + " WARN [MEM-002] Invalid entity data\n";
  text += iso(now - 30) + " ERROR [MEM-001] Database connection timeout\n";
  std::ofstream(dir_ + "/svc.log") << text;
  auto c = Make("{name: svc, path: '" + dir_ + "/*.log', format: error_codes}");
  MetricSink sink;
  ASSERT_TRUE(c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink).ok());
  std::vector<HealthCheck> rows;
  c->Checks(sink.families(), true, Thresholds{}, rows);
  EXPECT_EQ(Row(rows, "MEM-001 lines")->status, Severity::kCritical);
  EXPECT_EQ(Row(rows, "MEM-005 lines")->status, Severity::kOk);  // two hours ago
  EXPECT_EQ(Row(rows, "MEM-005 lines")->value, "0 in the last 5 min");
  ASSERT_NE(Row(rows, "MEM-002 lines"), nullptr);
  EXPECT_EQ(Row(rows, "MEM-002 lines")->status, Severity::kWarning);  // 8 a minute > 6
  EXPECT_EQ(Row(rows, "MEM-003 lines"), nullptr);                     // not seen
}

TEST_F(LogCollectorTest, OnceReadsTheWindowEvenWithAStateFile) {
  // The window wins: a running exporter's saved positions are at most a second old, so
  // reading from them would judge nothing. The state file is neither read nor written.
  env_.one_shot = true;
  std::ofstream(dir_ + "/web.pos") << "garbage that must stay as it is\n";
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  std::ofstream(dir_ + "/access.log") << Combined(now - 5, 500) << Combined(now - 4, 500);
  auto c = Make("{name: web, path: " + dir_ + "/access.log, format: nginx, state_file: " + dir_ +
                "/web.pos}");
  MetricSink sink;
  ASSERT_TRUE(c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink).ok());
  EXPECT_EQ(Get(sink.families(), "thoth_log_lines_total", {{"log", "web"}}), 2);
  EXPECT_EQ(Get(sink.families(), "thoth_log_files", {{"log", "web"}}), 1);
  std::vector<HealthCheck> rows;
  c->Checks(sink.families(), true, Thresholds{}, rows);
  EXPECT_EQ(Row(rows, "error_rate")->value, "100% (2 5xx / 2 requests in the last 5 min)");
  EXPECT_EQ(Row(rows, "error_rate")->status, Severity::kCritical);
  std::ifstream pos(dir_ + "/web.pos");
  std::string saved((std::istreambuf_iterator<char>(pos)), {});
  EXPECT_EQ(saved, "garbage that must stay as it is\n");
}

TEST_F(LogCollectorTest, ChecksWithoutAWindowHaveNoRates) {
  // Collect() without Start() outside --once (the tailer's one pass): no span for a rate.
  std::ofstream(dir_ + "/access.log") << Combined(std::time(nullptr), 401);
  auto c = Make("{name: web, path: " + dir_ + "/access.log, format: nginx, from_start: true}");
  MetricSink sink;
  ASSERT_TRUE(c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink).ok());
  std::vector<HealthCheck> rows;
  c->Checks(sink.families(), true, Thresholds{}, rows);
  EXPECT_EQ(Row(rows, "error_rate")->value, "0% (0 5xx / 1 requests since start)");
  EXPECT_EQ(Row(rows, "MEM-007 lines"), nullptr);
}

TEST_F(LogCollectorTest, BackgroundTailingBetweenScrapes) {
  auto c = Make("{name: svc, path: '" + dir_ + "/*.log', format: error_codes}");
  c->Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::ofstream(dir_ + "/new.log") << "MEM-001 a\nMEM-001 b\n";
  double lines = 0;
  auto until = Clock::now() + std::chrono::seconds(10);
  while (lines < 2 && Clock::now() < until) {
    MetricSink sink;
    ASSERT_TRUE(c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink).ok());
    lines = Get(sink.families(), "thoth_log_lines_total", {{"log", "svc"}});
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(lines, 2);
  EXPECT_EQ(errors_.Get("MEM-001", "svc"), 2u);
  auto start = Clock::now();
  c.reset();  // stops and joins the tailer
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace thoth::logs

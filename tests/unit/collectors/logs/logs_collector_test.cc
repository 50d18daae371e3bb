#include "collectors/logs/logs_collector.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "exporter/memory_errors.h"

namespace thoth::logs {
namespace {

namespace fs = std::filesystem;

std::string ConfigError(const std::string& yaml) {
  MemoryErrors errors;
  CollectorEnv env;
  env.memory_errors = &errors;
  try {
    MakeCollectors(ParseYaml(yaml, "test.yml"), env);
  } catch (const thoth::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(LogsConfig, DefaultsAndOneCollectorPerLog) {
  MemoryErrors errors;
  CollectorEnv env;
  env.memory_errors = &errors;
  auto collectors = MakeCollectors(ParseYaml(R"(
logs:
  - {name: memory-service, path: "/var/log/memory-service/*.log", format: error_codes}
  - {name: nginx, path: /var/log/nginx/access.log, format: nginx}
)",
                                             "test.yml"),
                                   env);
  ASSERT_EQ(collectors.size(), 2u);
  EXPECT_EQ(collectors[0]->Name(), "logs");
  EXPECT_EQ(collectors[0]->Target(), "memory-service");
  EXPECT_EQ(collectors[0]->TargetLabel(), "");
  EXPECT_NE(collectors[0]->Fingerprint(), collectors[1]->Fingerprint());
  EXPECT_TRUE(MakeCollectors(ParseYaml("exporter: {}\n", "t.yml"), env).empty());

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
    auto c = MakeCollectors(ParseYaml("logs: [" + entry + "]", "t.yml"), env_);
    return c.at(0);
  }
  double Get(const std::vector<prometheus::MetricFamily>& f, std::string_view name,
             const Labels& labels) {
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
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].check, "error_rate");
  EXPECT_EQ(rows[1].status, Severity::kCritical);  // 2 of 14 are 5xx: 14% > 5%
  EXPECT_NE(rows[1].value.find("2 5xx / 14 requests"), std::string::npos) << rows[1].value;
}

TEST_F(LogCollectorTest, ChecksReportMem001AndMem005) {
  std::ofstream(dir_ + "/svc.log") << "ok\nERROR MEM-005 dimension\n";
  auto c = Make("{name: svc, path: '" + dir_ + "/*.log', format: error_codes, from_start: true}");
  MetricSink sink;
  ASSERT_TRUE(c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink).ok());
  std::vector<HealthCheck> rows;
  c->Checks(sink.families(), true, Thresholds{}, rows);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].check, "MEM-001 lines");
  EXPECT_EQ(rows[1].status, Severity::kOk);
  EXPECT_EQ(rows[2].check, "MEM-005 lines");
  EXPECT_EQ(rows[2].status, Severity::kCritical);
  EXPECT_EQ(errors_.Get("MEM-008", "svc"), 0u);
}

TEST_F(LogCollectorTest, NoRequestsIsNotAnError) {
  auto c = Make("{name: web, path: " + dir_ + "/missing.log, format: nginx}");
  MetricSink sink;
  ASSERT_TRUE(c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink).ok());
  std::vector<HealthCheck> rows;
  c->Checks(sink.families(), true, Thresholds{}, rows);
  EXPECT_EQ(rows.back().status, Severity::kOk);
  EXPECT_EQ(rows.back().value, "no requests read");
  EXPECT_EQ(Get(sink.families(), "thoth_log_lines_total", {{"log", "web"}}), 0);
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

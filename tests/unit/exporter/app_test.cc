#include "exporter/app.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "exporter/registry.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace thoth {
namespace {

namespace fs = std::filesystem;

// An App on a configuration file of its own with two backup targets: `fresh` (one file, just
// written) and `missing` (no file). Every other kind is switched off, so nothing leaves the
// temporary directory.
class AppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("thoth-app-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "backups");
    std::ofstream(dir_ / "backups" / "fresh_1.dump") << "not a real dump";
    config_ = (dir_ / "config.yml").string();
    WriteConfig(
        "backup:\n"
        "  - {name: fresh, glob: \"" +
        (dir_ / "backups").string() +
        "/fresh_*.dump\", verify: none, settle_seconds: 0}\n"
        "  - {name: missing, glob: \"" +
        (dir_ / "backups").string() + "/missing_*.dump\"}\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void WriteConfig(const std::string& text) { std::ofstream(config_) << text; }

  Options BackupOnly(bool once) const {
    Options o;
    o.config_file = config_;
    o.once = once;
    for (const auto& kind : CollectorKinds()) {
      if (kind.name != "backup") o.selection.overrides[kind.name] = false;
    }
    return o;
  }

  static Clock::time_point In(std::chrono::milliseconds ms) { return Clock::now() + ms; }

  fs::path dir_;
  std::string config_;
};

TEST_F(AppTest, RunOnceJudgesEachTargetByItsOwnResult) {
  App app(BackupOnly(/*once=*/true));
  ASSERT_TRUE(app.Load().ok());
  std::ostringstream out;
  const int code = app.RunOnce("json", out, /*color=*/false);
  EXPECT_EQ(code, static_cast<int>(Severity::kCritical));  // `missing` has no backup file
  const auto doc = nlohmann::json::parse(out.str());
  std::map<std::string, std::string> rows;  // "target/check" -> "value|status"
  for (const auto& c : doc["checks"]) {
    EXPECT_EQ(c["collector"], "backup");
    rows[c["target"].get<std::string>() + "/" + c["check"].get<std::string>()] =
        c["value"].get<std::string>() + "|" + c["status"].get<std::string>();
  }
  ASSERT_EQ(rows.size(), 2u) << out.str();
  EXPECT_EQ(rows["missing/newest backup age"], "no backup file|CRITICAL");
  const std::string fresh = rows["fresh/newest backup age"];
  EXPECT_EQ(fresh.substr(fresh.find('|')), "|OK") << fresh;
}

TEST_F(AppTest, RunOncePrometheusWritesTheMetricsThenNoReport) {
  App app(BackupOnly(/*once=*/true));
  ASSERT_TRUE(app.Load().ok());
  std::ostringstream out;
  EXPECT_EQ(app.RunOnce("prometheus", out, false), static_cast<int>(Severity::kCritical));
  const std::string text = out.str();
  EXPECT_NE(text.find("thoth_backup_files{backup=\"fresh\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(
      text.find("thoth_exporter_collector_success{collector=\"backup\",target=\"missing\"} 1"),
      std::string::npos);
  EXPECT_EQ(text.find("TARGET"), std::string::npos);
}

TEST_F(AppTest, MetricsHoldEveryTargetAndTheExportersOwn) {
  App app(BackupOnly(false));
  ASSERT_TRUE(app.Load().ok());
  const std::string text = app.Metrics(In(std::chrono::milliseconds(5000)));
  for (const char* expected :
       {"thoth_backup_files{backup=\"fresh\"} 1\n", "thoth_backup_files{backup=\"missing\"} 0\n",
        "thoth_exporter_collector_success{collector=\"backup\",target=\"fresh\"} 1\n",
        "# TYPE thoth_exporter_collector_duration_seconds gauge\n",
        "thoth_exporter_config_last_reload_successful 1\n", "# TYPE thoth_exporter_build_info",
        "# TYPE process_open_fds gauge\n", "# TYPE thoth_exporter_scrape_duration_seconds"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
}

TEST_F(AppTest, ProbeTargetCollectsOneTargetOnly) {
  App app(BackupOnly(false));
  ASSERT_TRUE(app.Load().ok());
  std::string body;
  EXPECT_FALSE(app.ProbeTarget("backup", "nope", In(std::chrono::milliseconds(5000)), &body));
  EXPECT_FALSE(app.ProbeTarget("redis", "fresh", In(std::chrono::milliseconds(5000)), &body));
  ASSERT_TRUE(app.ProbeTarget("backup", "fresh", In(std::chrono::milliseconds(5000)), &body));
  EXPECT_NE(body.find("thoth_backup_files{backup=\"fresh\"} 1\n"), std::string::npos) << body;
  EXPECT_EQ(body.find("missing"), std::string::npos) << body;
}

TEST_F(AppTest, DeadlineFollowsPrometheusHeaderElseTheConfiguration) {
  WriteConfig("exporter: {scrape_timeout: 3s}\n");
  App app(BackupOnly(false));
  ASSERT_TRUE(app.Load().ok());
  auto seconds = [&](const char* header) {
    const auto start = Clock::now();
    return std::chrono::duration<double>(app.Deadline(header) - start).count();
  };
  EXPECT_NEAR(seconds(nullptr), 3, 0.05);
  EXPECT_NEAR(seconds("10"), 9.5, 0.05);   // half a second left to Prometheus
  EXPECT_NEAR(seconds("0.3"), 0.1, 0.05);  // never less than 0.1 s
  EXPECT_NEAR(seconds("soon"), 3, 0.05);
  EXPECT_NEAR(seconds("-4"), 3, 0.05);
  EXPECT_NEAR(seconds("99999"), 3, 0.05);
}

TEST_F(AppTest, ABadReloadKeepsTheRunningConfiguration) {
  App app(BackupOnly(false));
  ASSERT_TRUE(app.Load().ok());
  WriteConfig("backup: [ {name: broken\n");
  Status s = app.Reload();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("config.yml:"), std::string::npos) << s.message();
  EXPECT_EQ(app.config()->target_count, 2u);
  EXPECT_TRUE(app.config()->collectors.empty());  // the engine holds the only references
  const std::string text = app.Metrics(In(std::chrono::milliseconds(5000)));
  EXPECT_NE(text.find("thoth_exporter_config_last_reload_successful 0\n"), std::string::npos);
  EXPECT_NE(text.find("thoth_backup_files{backup=\"fresh\"} 1\n"), std::string::npos);
}

TEST_F(AppTest, LandingPageListsTargetsBeforeAndAfterAScrape) {
  App app(BackupOnly(false));
  ASSERT_TRUE(app.Load().ok());
  std::string page = app.LandingPage("/metrics<x>");
  EXPECT_NE(page.find("<td>backup</td><td>fresh</td><td class=\"fail\">not collected yet"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("/metrics&lt;x&gt;"), std::string::npos);
  EXPECT_EQ(page.find("/metrics<x>"), std::string::npos);
  app.Metrics(In(std::chrono::milliseconds(5000)));
  page = app.LandingPage("/metrics");
  EXPECT_NE(page.find("<td>backup</td><td>fresh</td><td class=\"ok\">ok</td>"), std::string::npos)
      << page;
}

}  // namespace
}  // namespace thoth

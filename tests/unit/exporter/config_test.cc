#include "exporter/config.h"

#include "gtest/gtest.h"

namespace thoth {
namespace {

Status Load(const std::string& text, LoadedConfig* out) {
  CollectorEnv env;
  return LoadConfigText(text, "c.yml", CollectorSelection{}, env, out);
}

TEST(Config, EmbeddedDefaultLoads) {
  LoadedConfig c;
  CollectorEnv env;
  Status s = LoadConfig("", CollectorSelection{}, env, &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.source, "<embedded default>");
  EXPECT_EQ(c.exporter.listen_address, "0.0.0.0:9745");
  EXPECT_DOUBLE_EQ(c.exporter.scrape_timeout_seconds, 8);
}

TEST(Config, ThresholdsDefaultAndOverride) {
  LoadedConfig c;
  ASSERT_TRUE(Load("thresholds:\n  db_connections_ratio: {warning: 0.7}\n", &c).ok());
  EXPECT_DOUBLE_EQ(c.thresholds.db_connections_ratio.warning, 0.7);
  EXPECT_DOUBLE_EQ(c.thresholds.db_connections_ratio.critical, 0.95);
  EXPECT_DOUBLE_EQ(c.thresholds.api_latency_seconds.critical, 2);
  EXPECT_DOUBLE_EQ(c.thresholds.backup_max_age_seconds, 21600);
}

TEST(Config, ErrorsAreOneLineWithFileLineColumnKey) {
  LoadedConfig c;
  Status s = Load("exporter:\n  scrape_timeout: soon\n", &c);
  EXPECT_EQ(s.message(),
            "c.yml:2:19: exporter.scrape_timeout: expected a duration such as 500ms, 8s, 5m or "
            "1h, got \"soon\"");
  s = Load("exporterr: {}\n", &c);
  EXPECT_EQ(s.message().rfind("c.yml:1:1: exporterr: unknown key", 0), 0u) << s.message();
  s = Load("thresholds:\n  memory_usage_ratio: {warning: 0.9, critical: 0.7}\n", &c);
  EXPECT_NE(s.message().find("thresholds.memory_usage_ratio: warning must not be above critical"),
            std::string::npos)
      << s.message();
  s = Load("exporter: {log_level: loud}\n", &c);
  EXPECT_NE(s.message().find("exporter.log_level"), std::string::npos) << s.message();
  s = Load("- a\n- b\n", &c);
  EXPECT_FALSE(s.ok());
  s = Load("exporter: [\n", &c);
  EXPECT_NE(s.message().find("c.yml:"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
}

TEST(Config, MissingFileIsAClearError) {
  LoadedConfig c;
  CollectorEnv env;
  Status s = LoadConfig("/nonexistent/thoth.yml", CollectorSelection{}, env, &c);
  EXPECT_EQ(s.message(),
            "/nonexistent/thoth.yml: cannot read the config file: No such file or directory");
}

TEST(Config, EmptyFileMeansDefaults) {
  LoadedConfig c;
  ASSERT_TRUE(Load("", &c).ok());
  EXPECT_EQ(c.exporter.log_level, "info");
}

}  // namespace
}  // namespace thoth

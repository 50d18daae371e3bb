// The collector through the real exporter binary: /metrics over HTTP, promtool's lint, a frozen
// server under a Prometheus scrape timeout, and the --once report.
#include <chrono>
#include <cmath>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/postgres/postgres_env.h"

namespace thoth::testing {
namespace {

using ::testing::HasSubstr;

// Only the postgres collector, so that what is checked here is this collector's output.
std::vector<std::string> OnlyPostgres() {
  return {"--no-collector.redis",     "--no-collector.chroma",  "--no-collector.http",
          "--no-collector.container", "--no-collector.process", "--no-collector.filesystem",
          "--no-collector.backup",    "--no-collector.logs"};
}

std::string Config(const std::string& targets) {
  return "exporter:\n  scrape_timeout: 5s\npostgres:\n" + targets;
}

TEST(PostgresExporter, MetricsOverHttpMatchTheServerAndPassPromtool) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(Config(MonitorTargetYaml("e2e", "postgres", "  databases: all\n")),
                             OnlyPostgres()))
      << exporter.Log();
  std::vector<PostgresServer::Conn> held;
  for (int i = 0; i < 3; ++i) held.push_back(Pg().Connect("postgres", "e2e-holder"));
  const std::string text = exporter.Metrics();
  EXPECT_EQ(SampleValue(text, "pg_up", {{"target", "e2e"}}), 1) << exporter.Log();
  const double idle = std::stod(Pg().Scalar(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = 'postgres' AND state = 'idle' "
      // The exporter's own session was active while it looked, and is idle now.
      "AND application_name <> 'thoth-exporter'"));
  EXPECT_GE(idle, 3);
  EXPECT_EQ(
      SampleValue(text, "pg_stat_activity_count", {{"datname", "postgres"}, {"state", "idle"}}),
      idle);
  EXPECT_EQ(SampleValue(text, "thoth_exporter_collector_success",
                        {{"collector", "postgres"}, {"target", "e2e"}}),
            1);
  RunResult lint = PromtoolCheckMetrics(text);
  EXPECT_EQ(lint.exit_code, 0) << lint.output;
  EXPECT_EQ(lint.output, "");
}

TEST(PostgresExporter, FrozenServerScrapeAnswersWithinTheScrapeTimeout) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(Config(MonitorTargetYaml("frozen")), OnlyPostgres()))
      << exporter.Log();
  ASSERT_EQ(SampleValue(exporter.Metrics(), "pg_up", {{"target", "frozen"}}), 1);
  Pg().Freeze();
  const auto start = std::chrono::steady_clock::now();
  HttpResponse r = exporter.Request("/metrics", {"X-Prometheus-Scrape-Timeout-Seconds: 2"});
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Pg().Thaw();
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(took, 2.0);
  EXPECT_GT(took, 1.0);
  EXPECT_EQ(SampleValue(r.body, "pg_up", {{"target", "frozen"}}), 0);
  EXPECT_EQ(SampleValue(r.body, "thoth_exporter_collector_success",
                        {{"collector", "postgres"}, {"target", "frozen"}}),
            0);
  // Back without a restart of the exporter.
  double up = 0;
  for (int i = 0; i < 40 && up != 1; ++i) {
    up = SampleValue(exporter.Metrics(), "pg_up", {{"target", "frozen"}});
    if (up != 1) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(up, 1);
}

TEST(PostgresExporter, OnceReportsReachabilityConnectionsAndLongRunningQueries) {
  const std::string dir = MakeTempDir("thoth-pg-once");
  WriteFile(dir + "/ok.yml", Config(MonitorTargetYaml("once")));
  RunResult ok = RunExporter({"--once", "--config.file=" + dir + "/ok.yml"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(ok.output, HasSubstr("postgres/once"));
  EXPECT_THAT(ok.output, HasSubstr("PostgreSQL reachable"));
  EXPECT_THAT(ok.output, HasSubstr("connections"));
  EXPECT_THAT(ok.output, HasSubstr("long-running queries"));

  // A lowered threshold and a sleeping query: WARNING, exit 1.
  WriteFile(dir + "/slow.yml",
            "thresholds:\n  long_running_query_seconds: 1\n" + Config(MonitorTargetYaml("once")));
  auto sleeper = Pg().Connect("postgres", "once-sleeper");
  ASSERT_TRUE(PostgresServer::SendAsync(sleeper.get(), "SELECT pg_sleep(30)"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  RunResult slow = RunExporter({"--once", "--config.file=" + dir + "/slow.yml"});
  Pg().Exec(
      "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'once-sleeper'");
  EXPECT_EQ(slow.exit_code, 1) << slow.output;

  // Unreachable: CRITICAL, exit 2, and the password in the DSN never printed.
  WriteFile(dir + "/down.yml", Config("- {name: gone, dsn: \"postgresql://u:PrintMeNot@127.0.0.1:" +
                                      std::to_string(FreePort()) + "/x\"}\n"));
  RunResult down = RunExporter({"--once", "--config.file=" + dir + "/down.yml"});
  EXPECT_EQ(down.exit_code, 2) << down.output;
  EXPECT_THAT(down.output, ::testing::Not(HasSubstr("PrintMeNot")));
  RemoveTree(dir);
}

}  // namespace
}  // namespace thoth::testing

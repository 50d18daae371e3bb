#include "collectors/postgres/checks.h"

#include "exporter/metric_sink.h"
#include "gtest/gtest.h"

namespace thoth::postgres {
namespace {

Families Families(double up, double connections, double limit, double long_running, double oldest) {
  MetricSink sink("db");
  sink.Gauge("pg_up", "", {}, up);
  if (up == 1) {
    sink.Gauge("pg_ping_duration_seconds", "", {}, 0.0012);
    sink.Untyped("pg_stat_activity_count", "", {{"datname", "a"}, {"state", "idle"}},
                 connections - 1);
    sink.Untyped("pg_stat_activity_count", "", {{"datname", "b"}, {"state", "active"}}, 1);
    sink.Gauge("pg_connections_limit", "", {}, limit);
    sink.Gauge("pg_stat_activity_long_running_queries", "", {{"datname", "a"}}, long_running);
    sink.Gauge("pg_stat_activity_oldest_query_seconds", "", {{"datname", "a"}}, oldest);
    sink.Gauge("pg_stat_activity_oldest_query_seconds", "", {{"datname", "b"}}, 1);
  }
  return sink.Take();
}

const HealthCheck* Find(const std::vector<HealthCheck>& checks, const std::string& name) {
  for (const auto& c : checks) {
    if (c.check == name) return &c;
  }
  return nullptr;
}

TEST(PgChecks, HealthyTarget) {
  std::vector<HealthCheck> out;
  PostgresChecks("postgres", "db", Families(1, 10, 100, 0, 2), true, Thresholds{}, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(Find(out, "PostgreSQL reachable")->status, Severity::kOk);
  EXPECT_EQ(Find(out, "PostgreSQL reachable")->value, "yes (ping 1.2 ms)");
  EXPECT_EQ(Find(out, "connections")->value, "10 / 100 (10%)");
  EXPECT_EQ(Find(out, "connections")->threshold, "> 80% warn, > 95% crit");
  EXPECT_EQ(Find(out, "connections")->status, Severity::kOk);
  EXPECT_EQ(Find(out, "long-running queries")->status, Severity::kOk);
  EXPECT_EQ(Find(out, "long-running queries")->threshold, "> 300 s");
}

TEST(PgChecks, ConnectionRatioAgainstThresholds) {
  std::vector<HealthCheck> out;
  PostgresChecks("postgres", "db", Families(1, 42, 50, 0, 0), true, Thresholds{}, out);
  EXPECT_EQ(Find(out, "connections")->value, "42 / 50 (84%)");
  EXPECT_EQ(Find(out, "connections")->status, Severity::kWarning);
  out.clear();
  PostgresChecks("postgres", "db", Families(1, 48, 50, 0, 0), true, Thresholds{}, out);
  EXPECT_EQ(Find(out, "connections")->status, Severity::kCritical);
}

TEST(PgChecks, LongRunningQueriesWarn) {
  std::vector<HealthCheck> out;
  PostgresChecks("postgres", "db", Families(1, 5, 50, 2, 412), true, Thresholds{}, out);
  EXPECT_EQ(Find(out, "long-running queries")->value, "2 (oldest 412 s)");
  EXPECT_EQ(Find(out, "long-running queries")->status, Severity::kWarning);
}

TEST(PgChecks, DownTargetIsOneCriticalRow) {
  std::vector<HealthCheck> out;
  PostgresChecks("postgres", "db", Families(0, 0, 0, 0, 0), false, Thresholds{}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].status, Severity::kCritical);
  out.clear();
  PostgresChecks("postgres", "db", {}, false, Thresholds{}, out);  // timed out: no families
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value, "no");
}

}  // namespace
}  // namespace thoth::postgres

// Bloat for a plain pg_monitor role that may not read the tables: measured with pgstattuple
// where the extension is installed, the statistical estimate elsewhere.
#include <chrono>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/integration/postgres/postgres_env.h"

namespace thoth::testing {
namespace {

double Num(const std::string& s) { return std::stod(s); }

TEST(PostgresBloat, PgMonitorWithoutReadRightsGetsBloatFromPgstattuple) {
  Pg().Exec("CREATE DATABASE pgst");
  Pg().Exec("CREATE EXTENSION pgstattuple", "pgst");
  Pg().Exec("CREATE TABLE hidden (id int PRIMARY KEY, pad text) WITH (autovacuum_enabled = false)",
            "pgst");
  Pg().Exec("INSERT INTO hidden SELECT g, repeat('z', 100) FROM generate_series(1, 20000) g",
            "pgst");
  Pg().Exec("DELETE FROM hidden WHERE id % 4 <> 0", "pgst");
  Pg().Exec("VACUUM ANALYZE hidden", "pgst");  // frees the space for reuse, keeps the file size
  // No GRANT: the role may not read the table, so pg_stats hides its columns.
  ASSERT_EQ(Pg().Scalar(std::string("SELECT has_table_privilege('") + PostgresServer::kMonitorUser +
                            "', 'hidden', 'SELECT')",
                        "pgst"),
            "f");
  const Labels table = {{"datname", "pgst"}, {"schemaname", "public"}, {"relname", "hidden"}};

  // The estimate cannot see the table.
  auto estimate = MakeTarget(MonitorTargetYaml("est", "pgst", "  bloat: {method: estimate}\n"));
  Scrape e = estimate->Collect();
  ASSERT_TRUE(e.status.ok()) << e.status.message();
  EXPECT_FALSE(e.Has("pg_table_bloat_ratio", table));
  EXPECT_EQ(e.Value("pg_bloat_method_info", {{"datname", "pgst"}, {"method", "estimate"}}), 1);

  // pgstattuple measures it (as pg_stat_scan_tables, part of pg_monitor).
  auto t = MakeTarget(MonitorTargetYaml("pgst", "pgst", "  bloat: {ttl: 1h, tables: 5}\n"));
  Scrape s = t->Collect();
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("pg_bloat_method_info", {{"datname", "pgst"}, {"method", "pgstattuple"}}), 1);
  const double size = Num(Pg().Scalar("SELECT pg_relation_size('hidden')", "pgst"));
  EXPECT_GT(s.Value("pg_table_bloat_ratio", table), 0.5);
  EXPECT_LE(s.Value("pg_table_bloat_ratio", table), 1);
  EXPECT_GT(s.Value("pg_table_bloat_bytes", table), size / 2);
  EXPECT_LT(s.Value("pg_table_bloat_bytes", table), size);
  // Three quarters of the keys are gone from the leaves: well past the 90 % fillfactor.
  const Labels index = {{"datname", "pgst"}, {"indexrelname", "hidden_pkey"}};
  EXPECT_GT(s.Value("pg_index_bloat_ratio", index), 0.5);
  EXPECT_LE(s.Value("pg_index_bloat_ratio", index), 1);
  EXPECT_EQ(s.cache_age, 0);

  // Cached for bloat.ttl: a second scrape serves the same figures with their age.
  Scrape again = t->Collect();
  ASSERT_TRUE(again.status.ok()) << again.status.message();
  EXPECT_EQ(again.Value("pg_table_bloat_bytes", table), s.Value("pg_table_bloat_bytes", table));
  EXPECT_GT(again.cache_age, 0);
}

TEST(PostgresBloat, SettingsAreReadAgainAfterAReload) {
  auto t = MakeTarget(MonitorTargetYaml("reload", "postgres"));
  Scrape before = t->Collect();
  ASSERT_TRUE(before.status.ok()) << before.status.message();
  const double was = before.Value("pg_settings_log_min_duration_statement_seconds");
  Pg().Exec("ALTER SYSTEM SET log_min_duration_statement = '12345ms'");
  Pg().Exec("SELECT pg_reload_conf()");
  double now = was;
  for (int i = 0; i < 50 && now == was; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Scrape s = t->Collect();
    EXPECT_TRUE(s.status.ok()) << s.status.message();
    now = s.Value("pg_settings_log_min_duration_statement_seconds");
  }
  Pg().Exec("ALTER SYSTEM RESET log_min_duration_statement");
  Pg().Exec("SELECT pg_reload_conf()");
  EXPECT_EQ(now, 12.345);
}

}  // namespace
}  // namespace thoth::testing

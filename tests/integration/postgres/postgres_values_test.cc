// The collector against a real PostgreSQL 15, as the pg_monitor role: every value checked here is
// compared with what the superuser reads from the same view at the same moment.
#include <chrono>
#include <cmath>
#include <set>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/postgres/postgres_env.h"

namespace thoth::testing {
namespace {

double Num(const std::string& s) { return std::stod(s); }

TEST(PostgresValues, BasicsMatchTheServerAndPassPromtool) {
  auto t = MakeTarget(MonitorTargetYaml("main"));
  Scrape s = t->Collect();
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(s.Value("pg_up"), 1);
  EXPECT_GT(s.Value("pg_ping_duration_seconds"), 0);
  EXPECT_EQ(s.Value("pg_settings_max_connections"), Num(Pg().Scalar("SHOW max_connections")));
  EXPECT_EQ(s.Value("pg_settings_shared_buffers_bytes"),
            Num(Pg().Scalar("SELECT setting::float8 * 8192 FROM pg_settings WHERE name = "
                            "'shared_buffers'")));
  EXPECT_EQ(s.Value("pg_connections_limit"),
            Num(Pg().Scalar("SELECT current_setting('max_connections')::int - "
                            "current_setting('superuser_reserved_connections')::int")));
  EXPECT_EQ(s.Value("pg_static", {{"short_version", "15." +
                                                        Pg().Scalar("SELECT current_setting("
                                                                    "'server_version_num')"
                                                                    "::int % 100") +
                                                        ".0"}}),
            1);
  EXPECT_NEAR(s.Value("pg_postmaster_start_time_seconds"),
              Num(Pg().Scalar("SELECT extract(epoch FROM pg_postmaster_start_time())")), 0.001);
  EXPECT_EQ(s.Value("pg_replication_is_replica"), 0);
  EXPECT_EQ(s.Value("pg_stat_statements_available"), 1);
  EXPECT_TRUE(s.Has("pg_database_size_bytes", {{"datname", "postgres"}}));
  EXPECT_TRUE(s.Has("pg_stat_database_xact_commit", {{"datname", "postgres"}}));
  EXPECT_TRUE(s.Has("pg_stat_bgwriter_buffers_alloc_total"));
  EXPECT_TRUE(s.Has("pg_locks_count", {{"datname", "postgres"}, {"mode", "accesssharelock"}}));
  EXPECT_TRUE(s.Has("pg_slow_queries", {{"datname", "postgres"}}));
  // Every sample carries the target.
  EXPECT_TRUE(s.Has("pg_up", {{"target", "main"}}));

  RunResult lint = PromtoolCheckMetrics(s.Text());
  EXPECT_EQ(lint.exit_code, 0) << lint.output;
  EXPECT_EQ(lint.output, "") << lint.output;
}

TEST(PostgresValues, IdleConnectionsAreCounted) {
  Pg().Exec("CREATE DATABASE idle_db");
  std::vector<PostgresServer::Conn> held;
  for (int i = 0; i < 5; ++i) held.push_back(Pg().Connect("idle_db", "holder"));
  auto t = MakeTarget(MonitorTargetYaml("idle"));
  Scrape s = t->Collect();
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  const double psql = Num(Pg().Scalar(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = 'idle_db' AND state = 'idle'"));
  EXPECT_EQ(psql, 5);
  EXPECT_EQ(s.Value("pg_stat_activity_count", {{"datname", "idle_db"}, {"state", "idle"}}), psql);
  EXPECT_EQ(s.Value("pg_stat_activity_count", {{"datname", "idle_db"}, {"state", "active"}}), 0);
  held.clear();
}

TEST(PostgresValues, DeadTuplesAfterUpdates) {
  Pg().Exec("CREATE TABLE dead (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = false)");
  Pg().Exec("INSERT INTO dead SELECT g, 0 FROM generate_series(1, 1000) g");
  Pg().Exec("UPDATE dead SET v = 1 WHERE id <= 300");
  // The updating session has ended, so its counts are flushed to the cumulative statistics.
  auto t = MakeTarget(MonitorTargetYaml("dead"));
  Scrape s = t->Collect();
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  const double psql =
      Num(Pg().Scalar("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'dead'"));
  EXPECT_EQ(psql, 300);
  const Labels table = {{"datname", "postgres"}, {"schemaname", "public"}, {"relname", "dead"}};
  EXPECT_EQ(s.Value("pg_stat_user_tables_n_dead_tup", table), psql);
  EXPECT_EQ(s.Value("pg_stat_user_tables_n_tup_upd", table), 300);
  EXPECT_EQ(s.Value("pg_stat_user_tables_n_tup_ins", table), 1000);
  EXPECT_EQ(s.Value("pg_stat_user_tables_last_vacuum", table), 0);
  EXPECT_EQ(s.Value("pg_stat_user_tables_table_size_bytes", table),
            Num(Pg().Scalar("SELECT pg_table_size('dead')")));
}

TEST(PostgresValues, NeverScannedIndexShowsZeroScansAndPrimaryKeysAreLeftOut) {
  Pg().Exec("CREATE TABLE idx (id int PRIMARY KEY, a int, b int)");
  Pg().Exec("CREATE INDEX idx_a ON idx (a)");
  Pg().Exec("CREATE INDEX idx_b ON idx (b)");
  Pg().Exec("INSERT INTO idx SELECT g, g, g FROM generate_series(1, 2000) g");
  Pg().Exec("ANALYZE idx");
  Pg().Exec("SET enable_seqscan = off; SELECT * FROM idx WHERE b = 5");
  auto t = MakeTarget(MonitorTargetYaml("idx"));
  Scrape s = t->Collect();
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  auto labels = [](const std::string& index) {
    return Labels{{"datname", "postgres"},
                  {"schemaname", "public"},
                  {"relname", "idx"},
                  {"indexrelname", index}};
  };
  EXPECT_EQ(s.Value("pg_stat_user_indexes_scans_total", labels("idx_a")), 0);
  EXPECT_EQ(s.Value("pg_stat_user_indexes_scans_total", labels("idx_b")),
            Num(Pg().Scalar("SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = "
                            "'idx_b'")));
  EXPECT_GE(s.Value("pg_stat_user_indexes_scans_total", labels("idx_b")), 1);
  EXPECT_EQ(s.Value("pg_stat_user_indexes_size_bytes", labels("idx_a")),
            Num(Pg().Scalar("SELECT pg_relation_size('idx_a')")));
  EXPECT_FALSE(s.Has("pg_stat_user_indexes_scans_total", labels("idx_pkey")));
}

TEST(PostgresValues, LongRunningQueryPastALoweredThreshold) {
  Thresholds thresholds;
  thresholds.long_running_query_seconds = 1;
  auto t = MakeTarget(MonitorTargetYaml("slow"), thresholds);
  auto sleeper = Pg().Connect("postgres", "sleeper");
  ASSERT_TRUE(PostgresServer::SendAsync(sleeper.get(), "SELECT pg_sleep(60)"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1800));
  Scrape s = t->Collect();
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  const double psql = Num(Pg().Scalar(
      "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client "
      "backend' AND now() - query_start > interval '1 second' AND datname = 'postgres' AND "
      "application_name <> 'thoth-test-admin'"));
  EXPECT_EQ(psql, 1);
  EXPECT_EQ(s.Value("pg_stat_activity_long_running_queries", {{"datname", "postgres"}}), psql);
  EXPECT_GT(s.Value("pg_stat_activity_oldest_query_seconds", {{"datname", "postgres"}}), 1);

  std::vector<HealthCheck> checks;
  t->collector->Checks(s.families, true, thresholds, checks);
  bool found = false;
  for (const auto& c : checks) {
    if (c.check == "long-running queries") {
      found = true;
      EXPECT_EQ(c.status, Severity::kWarning) << c.value;
    }
    if (c.check == "PostgreSQL reachable") {
      EXPECT_EQ(c.status, Severity::kOk);
    }
  }
  EXPECT_TRUE(found);
  Pg().Exec(
      "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'sleeper'");
}

TEST(PostgresValues, OnlyTheLargestTablesGetSeriesAndTheRestAreCounted) {
  Pg().Exec("CREATE DATABASE many");
  std::string ddl;
  for (int i = 0; i < 30; ++i) {
    ddl += "CREATE TABLE t" + std::to_string(i) + " (id int PRIMARY KEY, pad text); ";
    // Table i gets i * 50 rows, so the largest are the last ones.
    ddl += "INSERT INTO t" + std::to_string(i) + " SELECT g, repeat('x', 200) FROM " +
           "generate_series(1, " + std::to_string(i * 50) + ") g; ";
  }
  ddl += "CREATE TABLE skip_me (id int); ";
  Pg().Exec(ddl, "many");
  // The largest are chosen by the catalog's page counts, which ANALYZE (or autovacuum, in a
  // running database) keeps current.
  Pg().Exec("ANALYZE", "many");
  auto t =
      MakeTarget(MonitorTargetYaml("many", "many", "  tables: {limit: 10, exclude: \"skip_\"}\n"));
  Scrape s = t->Collect();
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  std::set<std::string> tables;
  for (const auto& f : s.families) {
    if (f.name != "pg_stat_user_tables_n_live_tup") continue;
    for (size_t i = 0; i < f.size(); ++i) tables.insert(f.LabelValue(i, "relname"));
  }
  EXPECT_EQ(tables.size(), 10u);
  for (int i = 20; i < 30; ++i) EXPECT_EQ(tables.count("t" + std::to_string(i)), 1u) << i;
  EXPECT_EQ(s.Value("pg_stat_user_tables_omitted", {{"datname", "many"}}), 20);
  EXPECT_EQ(tables.count("skip_me"), 0u);
}

TEST(PostgresValues, TableSizesAreKeptForSizesTtlWhileCountersAreReadAtEveryScrape) {
  Pg().Exec("CREATE DATABASE sizes");
  Pg().Exec("CREATE TABLE grow (id int, pad text) WITH (autovacuum_enabled = false)", "sizes");
  Pg().Exec("INSERT INTO grow SELECT g, repeat('x', 200) FROM generate_series(1, 10) g", "sizes");
  // Bloat off: the cache age is then the sizes' alone.
  auto kept = MakeTarget(
      MonitorTargetYaml("kept", "sizes", "  tables: {sizes_ttl: 1h}\n  bloat: {enabled: false}\n"));
  auto fresh = MakeTarget(MonitorTargetYaml("fresh", "sizes", "  tables: {sizes_ttl: 0s}\n"));
  const Labels grow = {{"datname", "sizes"}, {"schemaname", "public"}, {"relname", "grow"}};
  auto server_count = [] {
    return Pg().Scalar("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'grow'", "sizes");
  };
  // The inserting session's counts reach the cumulative statistics when it has ended.
  for (int i = 0; i < 100 && server_count() != "10"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Scrape first = kept->Collect();
  ASSERT_TRUE(first.status.ok()) << first.status.message();
  const double size_before = first.Value("pg_stat_user_tables_table_size_bytes", grow);
  EXPECT_EQ(size_before, Num(Pg().Scalar("SELECT pg_table_size('grow')", "sizes")));
  EXPECT_EQ(first.Value("pg_stat_user_tables_n_tup_ins", grow), 10);

  Pg().Exec("INSERT INTO grow SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g", "sizes");
  for (int i = 0; i < 100 && server_count() != "5010"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(server_count(), "5010");
  const double size_after = Num(Pg().Scalar("SELECT pg_table_size('grow')", "sizes"));
  ASSERT_GT(size_after, size_before);

  Scrape second = kept->Collect();
  ASSERT_TRUE(second.status.ok()) << second.status.message();
  EXPECT_EQ(second.Value("pg_stat_user_tables_n_tup_ins", grow), 5010);  // read at every scrape
  EXPECT_EQ(second.Value("pg_stat_user_tables_table_size_bytes", grow), size_before);  // kept
  EXPECT_GT(second.cache_age, 0);

  Scrape now = fresh->Collect();
  ASSERT_TRUE(now.status.ok()) << now.status.message();
  EXPECT_EQ(now.Value("pg_stat_user_tables_n_tup_ins", grow), 5010);
  EXPECT_EQ(now.Value("pg_stat_user_tables_table_size_bytes", grow), size_after);
}

TEST(PostgresValues, FanOutOverAllDatabasesUsesOneSessionEach) {
  Pg().Exec("CREATE DATABASE fan_a");
  Pg().Exec("CREATE TABLE in_a (id int)", "fan_a");
  auto t = MakeTarget(MonitorTargetYaml("fan", "postgres", "  databases: all\n"));
  for (int i = 0; i < 3; ++i) {
    Scrape s = t->Collect();
    ASSERT_TRUE(s.status.ok()) << s.status.message();
    EXPECT_TRUE(
        s.Has("pg_stat_user_tables_n_live_tup", {{"datname", "fan_a"}, {"relname", "in_a"}}));
  }
  const auto rows = Pg().Query(
      "SELECT datname, count(*) FROM pg_stat_activity WHERE application_name = 'thoth-exporter' "
      "GROUP BY datname HAVING count(*) > 1");
  EXPECT_TRUE(rows.empty()) << rows.size() << " databases with more than one session";
  EXPECT_EQ(Pg().Scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                        "'thoth-exporter' AND datname = 'fan_a'"),
            "1");
}

TEST(PostgresValues, StatementsAreBoundedAndSteady) {
  auto t = MakeTarget(MonitorTargetYaml("stmts", "postgres", "  statements: {top: 3}\n"));
  // Statements of tens of milliseconds each, so that the exporter's own first-scrape reads
  // (table choice, bloat, sizes: a few milliseconds on a loaded machine) cannot enter the top 3.
  for (int i = 0; i < 8; ++i) {
    Pg().Exec("SELECT count(*) FROM generate_series(1, " + std::to_string((i + 1) * 150000) +
              ") g WHERE g % " + std::to_string(i + 2) + " = 0 AND " + std::to_string(i) +
              " >= 0 OR random() < " + std::to_string(i) + "");
  }
  std::set<std::string> first;
  for (int round = 0; round < 3; ++round) {
    Scrape s = t->Collect();
    ASSERT_TRUE(s.status.ok()) << s.status.message();
    std::set<std::string> ids;
    for (const auto& f : s.families) {
      if (f.name != "pg_stat_statements_seconds_total") continue;
      for (size_t i = 0; i < f.size(); ++i) ids.insert(f.LabelValue(i, "queryid"));
    }
    EXPECT_EQ(ids.size(), 3u);
    if (round == 0) {
      first = ids;
    } else {
      EXPECT_EQ(ids, first) << "the top statements changed between scrapes";
    }
  }
}

TEST(PostgresValues, MissingPgStatStatementsIsReportedNotAnError) {
  Pg().Exec("CREATE DATABASE no_pgss");
  auto t = MakeTarget(MonitorTargetYaml("nopgss", "no_pgss"));
  for (int i = 0; i < 2; ++i) {
    Scrape s = t->Collect();
    ASSERT_TRUE(s.status.ok()) << s.status.message();
    EXPECT_EQ(s.Value("pg_stat_statements_available"), 0);
    EXPECT_FALSE(s.Has("pg_stat_statements_calls_total"));
  }
}

TEST(PostgresValues, BloatIsEstimatedAndCached) {
  Pg().Exec(
      "CREATE TABLE bloated (id int PRIMARY KEY, pad text) "
      "WITH (autovacuum_enabled = false)");
  Pg().Exec("INSERT INTO bloated SELECT g, repeat('y', 100) FROM generate_series(1, 20000) g");
  Pg().Exec("DELETE FROM bloated WHERE id % 4 <> 0");
  Pg().Exec("VACUUM ANALYZE bloated");  // frees the space for reuse, keeps the file size
  // pg_stats shows a table's columns only to roles that may read them.
  Pg().Exec(std::string("GRANT SELECT ON bloated TO ") + PostgresServer::kMonitorUser);
  auto t = MakeTarget(MonitorTargetYaml("bloat", "postgres", "  bloat: {ttl: 1h}\n"));
  Scrape s = t->Collect();
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  const Labels table = {{"datname", "postgres"}, {"schemaname", "public"}, {"relname", "bloated"}};
  const double size = Num(Pg().Scalar("SELECT pg_relation_size('bloated')"));
  EXPECT_GT(s.Value("pg_table_bloat_ratio", table), 0.5);
  EXPECT_LE(s.Value("pg_table_bloat_ratio", table), 1);
  EXPECT_GT(s.Value("pg_table_bloat_bytes", table), size / 2);
  EXPECT_LT(s.Value("pg_table_bloat_bytes", table), size);
  EXPECT_TRUE(s.Has("pg_index_bloat_ratio", {{"indexrelname", "bloated_pkey"}}));
  // The dead table of another test has no visible statistics: left out, not guessed.
  EXPECT_FALSE(s.Has("pg_table_bloat_ratio", {{"relname", "dead"}}));
  EXPECT_EQ(s.cache_age, 0);

  Pg().Exec("TRUNCATE bloated");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Scrape again = t->Collect();
  ASSERT_TRUE(again.status.ok()) << again.status.message();
  EXPECT_EQ(again.Value("pg_table_bloat_bytes", table), s.Value("pg_table_bloat_bytes", table));
  EXPECT_GT(again.cache_age, 0.2);
}

TEST(PostgresValues, OperatorQueriesWithTtlAndTimeout) {
  Pg().Exec("CREATE TABLE entities (id int)");
  Pg().Exec("INSERT INTO entities SELECT generate_series(1, 42)");
  Pg().Exec(std::string("GRANT SELECT ON entities TO ") + PostgresServer::kMonitorUser);
  auto t = MakeTarget(MonitorTargetYaml(
      "ops", "postgres",
      "  queries:\n"
      "    - {name: entities_rows, sql: \"SELECT count(*) AS value FROM entities\", ttl: 1h}\n"
      "    - {name: by_parity, sql: \"SELECT (id % 2)::text AS parity, count(*) AS value FROM "
      "entities GROUP BY 1\"}\n"
      "    - {name: too_slow, sql: \"SELECT 1 AS value FROM pg_sleep(10)\", timeout: 1s}\n"));
  const auto start = Clock::now();
  Scrape s = t->Collect(8);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 5);
  EXPECT_FALSE(s.status.ok());
  EXPECT_THAT(s.status.message(), ::testing::HasSubstr("too_slow"));
  EXPECT_EQ(s.Value("pg_up"), 1) << "the server cancelled the query; the session survives";
  EXPECT_EQ(s.Value("pg_query_entities_rows"), 42);
  EXPECT_EQ(s.Value("pg_query_by_parity", {{"parity", "0"}}), 21);
  EXPECT_FALSE(s.Has("pg_query_too_slow"));

  Pg().Exec("INSERT INTO entities VALUES (43)");
  Scrape cached = t->Collect(8);
  EXPECT_EQ(cached.Value("pg_query_entities_rows"), 42) << "within its ttl";
  EXPECT_EQ(cached.Value("pg_query_by_parity", {{"parity", "1"}}), 22) << "no ttl: fresh";
}

TEST(PostgresValues, WrongPasswordCountsMem007AndNeverShowsThePassword) {
  const std::string secret = "Wr0ng-S3cret-Value";
  auto t = MakeTarget("- name: badauth\n  dsn: \"postgresql://" +
                      std::string(PostgresServer::kMonitorUser) + ":" + secret +
                      "@127.0.0.1:" + std::to_string(Pg().port()) + "/postgres\"\n");
  Scrape s = t->Collect();
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(s.Value("pg_up"), 0);
  EXPECT_EQ(t->memory_errors.Get("MEM-007", "postgres"), 1u);
  EXPECT_EQ(t->memory_errors.Get("MEM-001", "postgres"), 0u);
  EXPECT_THAT(s.status.message(), ::testing::HasSubstr("password authentication failed"));
  EXPECT_THAT(s.status.message(), ::testing::Not(::testing::HasSubstr(secret)));
  EXPECT_THAT(s.Text(), ::testing::Not(::testing::HasSubstr(secret)));
}

TEST(PostgresValues, ARoleWithoutPgMonitorGetsWhatItMayRead) {
  Pg().Exec("CREATE ROLE plain LOGIN PASSWORD 'plainpw'");
  auto t = MakeTarget("- name: plain\n  dsn: \"postgresql://plain@127.0.0.1:" +
                      std::to_string(Pg().port()) + "/postgres\"\n  password: plainpw\n");
  Scrape s = t->Collect();
  EXPECT_EQ(s.Value("pg_up"), 1);
  EXPECT_TRUE(s.Has("pg_settings_max_connections"));
  EXPECT_TRUE(s.Has("pg_stat_activity_count"));
}

TEST(PostgresValues, ADeniedClusterSectionIsSkippedAndTheOthersAreRead) {
  // The cluster sections go in one round trip; one the role may not read (here: database
  // sizes, with pg_database_size revoked) stops that batch, and the collector reads them one by
  // one instead: the denied section is left out, every other one is there, on every scrape.
  Pg().Exec("CREATE ROLE sizeless LOGIN PASSWORD 'sizelesspw'");
  Pg().Exec("REVOKE EXECUTE ON FUNCTION pg_catalog.pg_database_size(oid) FROM PUBLIC");
  auto t = MakeTarget("- name: sizeless\n  dsn: \"postgresql://sizeless@127.0.0.1:" +
                      std::to_string(Pg().port()) + "/postgres\"\n  password: sizelesspw\n");
  for (int i = 0; i < 2; ++i) {
    Scrape s = t->Collect();
    EXPECT_EQ(s.Value("pg_up"), 1);
    EXPECT_FALSE(s.Has("pg_database_size_bytes"));
    EXPECT_TRUE(s.Has("pg_settings_max_connections"));
    EXPECT_TRUE(s.Has("pg_stat_activity_count"));
    EXPECT_TRUE(s.Has("pg_stat_database_xact_commit"));
    EXPECT_TRUE(s.Has("pg_stat_bgwriter_buffers_alloc_total"));
  }
  Pg().Exec("GRANT EXECUTE ON FUNCTION pg_catalog.pg_database_size(oid) TO PUBLIC");
  auto monitor = MakeTarget(MonitorTargetYaml("sized"));
  EXPECT_TRUE(monitor->Collect().Has("pg_database_size_bytes"));
}

}  // namespace
}  // namespace thoth::testing

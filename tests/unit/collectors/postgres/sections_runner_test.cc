// The collection logic without a server: a fake session replays the recorded fixtures, so the
// pipeline and its fallback, the permission-denied skip, the per-database fan-out and the TTL
// caches are tested here (tests/integration/postgres has the real-server cases).
#include "collectors/postgres/postgres_collector.h"
#include "exporter/metric_sink.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/collectors/parse_section.h"
#include "tests/unit/collectors/postgres/fake_session.h"

namespace thoth::postgres {
namespace {

struct Scraped {
  Status status;
  Families families;
  double cache_age = 0;
  std::string text;
};

class PgSections : public ::testing::Test {
 protected:
  void Make(const std::string& extra = "") {
    CollectorEnv env;
    auto server = server_;
    auto made = MakeCollectorsWith(
        testing::ParseTargets(
            &ParseConfig,
            ParseYaml(
                "postgres:\n  - {name: db, dsn: \"host=127.0.0.1 dbname=memory\"" + extra + "}\n",
                "cfg.yml"),
            "postgres"),
        env, [server] { return std::make_unique<FakeSession>(server); });
    ASSERT_EQ(made.size(), 1u);
    collector_ = made[0];
  }
  Scraped Scrape() {
    MetricSink sink;
    ScrapeContext ctx{Clock::now() + std::chrono::seconds(5)};
    Scraped s;
    s.status = collector_->Collect(ctx, sink);
    s.cache_age = sink.cache_age_seconds();
    s.families = sink.Take();
    // Everything but the ping's duration, which is measured.
    for (const auto& f : s.families) {
      if (f.name != "pg_ping_duration_seconds") AppendText(f, &s.text);
    }
    return s;
  }
  static bool Has(const Scraped& s, const std::string& name, const Labels& labels = {}) {
    return Sample(s.families, name, labels) != -12345;
  }

  std::shared_ptr<FakeServer> server_ = FakeServer::Recorded();
  std::shared_ptr<Collector> collector_;
};

TEST_F(PgSections, EverySectionInFewRoundTrips) {
  Make();
  Scraped first = Scrape();
  ASSERT_TRUE(first.status.ok()) << first.status.message();
  EXPECT_EQ(Sample(first.families, "pg_up"), 1);
  for (const char* name :
       {"pg_static", "pg_settings_max_connections", "pg_connections_limit",
        "pg_stat_activity_count", "pg_locks_count", "pg_database_size_bytes",
        "pg_stat_bgwriter_buffers_alloc_total", "pg_stat_statements_available", "pg_slow_queries",
        "pg_stat_user_tables_n_live_tup", "pg_stat_user_indexes_scans_total",
        "pg_table_bloat_ratio", "pg_bloat_method_info"}) {
    EXPECT_TRUE(Has(first, name)) << name;
  }
  EXPECT_EQ(Sample(first.families, "pg_stat_statements_available"), 1);
  EXPECT_EQ(Sample(first.families, "pg_bloat_method_info",
                   {{"datname", "memory"}, {"method", "estimate"}}),
            1);
  // Identity (once per session), everything with the ping, then what depends on the choice
  // of tables (every tables.sizes_ttl).
  EXPECT_EQ(server_->round_trips, 3);
  EXPECT_EQ(server_->connects.size(), 1u);

  server_->round_trips = 0;
  server_->statements.clear();
  Scraped second = Scrape();
  ASSERT_TRUE(second.status.ok()) << second.status.message();
  EXPECT_EQ(server_->round_trips, 1);                        // one pipeline, the ping in it
  EXPECT_EQ(server_->Count("pg_postmaster_start_time"), 0);  // once per session
  EXPECT_EQ(server_->Count("pg_database_size"), 0);          // cached for 1m
  EXPECT_EQ(server_->Count("count(*) OVER ()"), 0);          // tables.sizes_ttl
  EXPECT_EQ(server_->Count("tpl_hdr_size"), 0);              // bloat.ttl
  EXPECT_EQ(server_->Count("pg_stat_user_tables s WHERE"), 1);
  EXPECT_GT(second.cache_age, 0);
  // The same series, in the same order, from the caches.
  EXPECT_EQ(second.text, first.text);
}

TEST_F(PgSections, TtlZeroReadsAtEveryScrape) {
  Make(
      ", database_sizes: {ttl: 0s}, settings: {ttl: 0s}, tables: {sizes_ttl: 0s}, "
      "bloat: {ttl: 0s}");
  ASSERT_TRUE(Scrape().status.ok());
  server_->statements.clear();
  Scraped again = Scrape();
  ASSERT_TRUE(again.status.ok());
  EXPECT_EQ(server_->Count("pg_database_size"), 1);
  EXPECT_EQ(server_->Count("count(*) OVER ()"), 1);
  EXPECT_EQ(server_->Count("tpl_hdr_size"), 1);
  // Settings without the "unless reloaded" condition.
  EXPECT_EQ(server_->Count("pg_conf_load_time()::text <>"), 0);
  EXPECT_EQ(again.cache_age, 0);
}

TEST_F(PgSections, FallsBackToOneStatementAtATime) {
  server_->pipeline = false;
  Make();
  Scraped first = Scrape();
  ASSERT_TRUE(first.status.ok()) << first.status.message();
  EXPECT_TRUE(Has(first, "pg_stat_user_tables_n_live_tup"));
  EXPECT_TRUE(Has(first, "pg_slow_queries"));
  const int trips = server_->round_trips;
  server_->pipeline = true;  // the session remembers: no second try
  server_->round_trips = 0;
  Scraped second = Scrape();
  ASSERT_TRUE(second.status.ok());
  EXPECT_GT(server_->round_trips, 5);
  EXPECT_GT(trips, 10);
  EXPECT_EQ(second.text, Scrape().text);
}

TEST_F(PgSections, PermissionDeniedIsSkippedNotFailed) {
  server_->errors["pg_locks"] = "42501";
  Make();
  Scraped s = Scrape();
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_FALSE(Has(s, "pg_locks_count"));
  EXPECT_TRUE(Has(s, "pg_stat_database_xact_commit"));
  EXPECT_TRUE(Has(s, "pg_stat_user_tables_n_live_tup"));
}

TEST_F(PgSections, OtherServerErrorsFailTheCollectionButKeepTheRest) {
  server_->errors["pg_stat_bgwriter"] = "XX000";
  Make();
  Scraped s = Scrape();
  EXPECT_FALSE(s.status.ok());
  EXPECT_THAT(s.status.message(), ::testing::HasSubstr("pg_stat_bgwriter"));
  EXPECT_TRUE(Has(s, "pg_database_size_bytes"));
  EXPECT_EQ(Sample(s.families, "pg_up"), 1);
}

TEST_F(PgSections, PgStatStatementsNotReadableIsReportedUnavailable) {
  server_->errors[".pg_stat_statements("] = "55000";
  Make();
  Scraped s = Scrape();
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(Sample(s.families, "pg_stat_statements_available"), 0);
  EXPECT_FALSE(Has(s, "pg_slow_queries"));
}

TEST_F(PgSections, ALostSessionEndsTheScrapeWithPgUpZero) {
  server_->lose.insert("pg_locks");
  Make();
  Scraped s = Scrape();
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(Sample(s.families, "pg_up"), 0);
  EXPECT_THAT(s.status.message(), ::testing::HasSubstr("cluster statistics"));
}

TEST_F(PgSections, ASessionThatDiedSinceTheLastScrapeIsReopenedOnce) {
  Make();
  ASSERT_TRUE(Scrape().status.ok());
  server_->drop = 1;  // a server restart between two scrapes
  Scraped s = Scrape();
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(Sample(s.families, "pg_up"), 1);
  EXPECT_EQ(server_->connects.size(), 2u);
  // Down for good: one attempt, then pg_up 0 with the reason.
  server_->refuse = true;
  server_->drop = 1;
  Scraped down = Scrape();
  EXPECT_FALSE(down.status.ok());
  EXPECT_EQ(Sample(down.families, "pg_up"), 0);
  EXPECT_THAT(down.status.message(), ::testing::HasSubstr("cannot connect"));
}

TEST_F(PgSections, DatabaseSizesRefreshOverBudgetServesTheCache) {
  Make(", database_sizes: {ttl: 0s}");
  Scraped first = Scrape();
  ASSERT_TRUE(first.status.ok());
  server_->errors["pg_database_size"] = "57014";  // cancelled by statement_timeout
  Scraped second = Scrape();
  ASSERT_TRUE(second.status.ok()) << second.status.message();
  EXPECT_EQ(Sample(second.families, "pg_database_size_bytes", {{"datname", "postgres"}}),
            Sample(first.families, "pg_database_size_bytes", {{"datname", "postgres"}}));
  EXPECT_GT(second.cache_age, 0);
}

TEST_F(PgSections, AChoiceOfTablesWaitingOnALockKeepsThePreviousOne) {
  Make(", tables: {sizes_ttl: 0s}");
  Scraped first = Scrape();
  ASSERT_TRUE(first.status.ok());
  server_->errors["count(*) OVER ()"] = "55P03";  // lock_timeout on a relation's size
  Scraped second = Scrape();
  ASSERT_TRUE(second.status.ok()) << second.status.message();
  EXPECT_EQ(Sample(second.families, "pg_stat_user_tables_table_size_bytes",
                   {{"datname", "memory"}, {"relname", "users"}}),
            Sample(first.families, "pg_stat_user_tables_table_size_bytes",
                   {{"datname", "memory"}, {"relname", "users"}}));
  EXPECT_TRUE(Has(second, "pg_stat_user_tables_n_live_tup"));
  EXPECT_GT(second.cache_age, 0);
  // Any other error still fails the database's tables.
  server_->errors["count(*) OVER ()"] = "XX000";
  Scraped third = Scrape();
  EXPECT_FALSE(third.status.ok());
  EXPECT_FALSE(Has(third, "pg_stat_user_tables_n_live_tup"));
}

TEST_F(PgSections, SettingsReadAgainOnlyAfterAReload) {
  server_->answers.insert(
      server_->answers.begin(),
      {"pg_settings", ParseTabular("name\tsetting\tunit\tvartype\tconf_load_time\n"
                                   "max_connections\t100\t\tinteger\t2026-12-07 10:00:00+00\n"
                                   "superuser_reserved_connections\t3\t\tinteger\t"
                                   "2026-12-07 10:00:00+00\n")});
  Make();
  ASSERT_TRUE(Scrape().status.ok());
  // Unchanged since: the conditional statement returns no rows; the cached ones are written.
  server_->answers.front().second = ParseTabular("name\tsetting\tunit\tvartype\tconf_load_time\n");
  server_->statements.clear();
  Scraped s = Scrape();
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(server_->Count("pg_conf_load_time()::text <> E'2026-12-07 10:00:00+00'"), 1);
  EXPECT_EQ(Sample(s.families, "pg_settings_max_connections"), 100);
  EXPECT_EQ(Sample(s.families, "pg_connections_limit"), 97);
}

TEST_F(PgSections, FansOutOverEveryDatabaseWithOneSessionEach) {
  Make(", databases: all");
  Scraped s = Scrape();
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_TRUE(Has(s, "pg_stat_user_tables_n_live_tup", {{"datname", "memory"}}));
  EXPECT_TRUE(Has(s, "pg_stat_user_tables_n_live_tup", {{"datname", "other"}}));
  EXPECT_THAT(server_->connects, ::testing::ElementsAre("memory", "other"));
  ASSERT_TRUE(Scrape().status.ok());
  EXPECT_EQ(server_->connects.size(), 2u);  // sessions kept
}

TEST_F(PgSections, ADatabaseThatCannotBeReachedIsAnErrorNotAnOutage) {
  server_->errors["count(*) OVER ()"] = "XX000";
  Make(", databases: [memory, other]");
  Scraped s = Scrape();
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(Sample(s.families, "pg_up"), 1);
  EXPECT_FALSE(Has(s, "pg_stat_user_tables_n_live_tup", {{"datname", "other"}}));
  EXPECT_TRUE(Has(s, "pg_database_size_bytes"));
}

TEST_F(PgSections, PgstattupleMeasuresTheLargestTables) {
  // (The detection statement names both functions: its answer goes first.)
  server_->answers.insert(server_->answers.begin(),
                          {"pgstattuple_approx(", Fixture("table_bloat.tsv")});
  server_->answers.insert(server_->answers.begin(), {"pgstatindex(", Fixture("index_bloat.tsv")});
  server_->answers.insert(server_->answers.begin(),
                          {"extname = 'pgstattuple'", ParseTabular("schema\npublic\n")});
  Make(", bloat: {tables: 1}");
  Scraped s = Scrape();
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(server_->Count("tpl_hdr_size"), 0);
  EXPECT_EQ(server_->Count("public.pgstattuple_approx"), 1);
  EXPECT_EQ(Sample(s.families, "pg_bloat_method_info",
                   {{"datname", "memory"}, {"method", "pgstattuple"}}),
            1);
  EXPECT_TRUE(Has(s, "pg_table_bloat_ratio"));
}

TEST_F(PgSections, BloatMethodEstimateIgnoresPgstattuple) {
  server_->answers.insert(server_->answers.begin(),
                          {"extname = 'pgstattuple'", ParseTabular("schema\npublic\n")});
  Make(", bloat: {method: estimate}");
  ASSERT_TRUE(Scrape().status.ok());
  EXPECT_EQ(server_->Count("pgstattuple_approx"), 0);
  EXPECT_EQ(server_->Count("tpl_hdr_size"), 1);
}

}  // namespace
}  // namespace thoth::postgres

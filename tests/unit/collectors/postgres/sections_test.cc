// Rows recorded from PostgreSQL 15 through the collector's own SQL, turned into metrics.
#include "collectors/postgres/activity.h"
#include "collectors/postgres/bloat.h"
#include "collectors/postgres/server.h"
#include "collectors/postgres/tables.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/collectors/postgres/fixture.h"

namespace thoth::postgres {
namespace {

TEST(PgActivity, EveryDatabaseAndStateIsListed) {
  MetricSink sink;
  EmitActivity(Fixture("activity.tsv"), sink);
  const auto& f = sink.families();
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].name, "pg_stat_activity_count");
  EXPECT_EQ(f[0].type, prometheus::MetricType::Untyped);
  EXPECT_EQ(f[0].size(), 18u);  // 3 databases x 6 states
  EXPECT_EQ(Sample(f, "pg_stat_activity_count", {{"datname", "postgres"}, {"state", "active"}}), 1);
  EXPECT_EQ(Sample(f, "pg_stat_activity_count", {{"datname", "template0"}, {"state", "idle"}}), 0);
  EXPECT_GE(
      Sample(f, "pg_stat_activity_max_tx_duration", {{"datname", "postgres"}, {"state", "active"}}),
      0);
}

TEST(PgActivity, LongRunningAndLocks) {
  MetricSink sink;
  EmitLongRunning(ParseTabular("datname\tlong_running\toldest\nmemory\t2\t412.5\napp\t0\t0\n"), 300,
                  sink);
  EmitLocks(Fixture("locks.tsv"), sink);
  const auto& f = sink.families();
  EXPECT_EQ(Sample(f, "pg_stat_activity_long_running_queries", {{"datname", "memory"}}), 2);
  EXPECT_EQ(Sample(f, "pg_stat_activity_oldest_query_seconds", {{"datname", "memory"}}), 412.5);
  EXPECT_EQ(Sample(f, "pg_stat_activity_oldest_query_seconds", {{"datname", "app"}}), 0);
  EXPECT_EQ(Sample(f, "pg_locks_count", {{"datname", "postgres"}, {"mode", "accesssharelock"}}), 1);
  EXPECT_EQ(Sample(f, "pg_locks_count", {{"datname", "postgres"}, {"mode", "sireadlock"}}), 0);
}

TEST(PgServer, StaticStartTimeAndReplication) {
  MetricSink sink;
  EmitServer(Fixture("server.tsv"), 150020, sink);
  const auto& f = sink.families();
  EXPECT_EQ(Sample(f, "pg_static", {{"short_version", "15.20.0"}}), 1);
  EXPECT_EQ(Sample(f, "pg_postmaster_start_time_seconds"), 1795313871.868023);
  EXPECT_EQ(Sample(f, "pg_replication_is_replica"), 0);
  EXPECT_EQ(Sample(f, "pg_replication_lag_seconds"), 0);
  EXPECT_EQ(ShortVersion(90624), "9.6.24");
  EXPECT_EQ(ShortVersion(170002), "17.2.0");
}

TEST(PgDatabaseStats, EveryNumericColumnNullsAndTimestampsLeftOut) {
  MetricSink sink;
  EmitDatabaseStats(Fixture("dbstats.tsv"), sink);
  const auto& f = sink.families();
  const Labels postgres = {{"datid", "5"}, {"datname", "postgres"}};
  EXPECT_EQ(Sample(f, "pg_stat_database_numbackends", postgres), 1);
  EXPECT_EQ(Sample(f, "pg_stat_database_xact_commit", postgres), 30);
  EXPECT_EQ(Sample(f, "pg_stat_database_blks_hit", postgres), 35566);
  EXPECT_EQ(Sample(f, "pg_stat_database_session_time", postgres), 471.787);
  EXPECT_EQ(Sample(f, "pg_stat_database_checksum_failures", postgres), -12345);  // NULL
  EXPECT_EQ(Sample(f, "pg_stat_database_stats_reset", postgres), -12345);        // never
  for (const auto& family : f) {
    EXPECT_THAT(family.name, ::testing::Not(::testing::HasSubstr("datid")));
    EXPECT_NE(family.name, "pg_stat_database_checksum_last_failure");
  }
}

TEST(PgDatabaseSizeAndBgwriter, Values) {
  MetricSink sink;
  EmitDatabaseSize(Fixture("dbsize.tsv"), sink);
  EmitBgwriter(Fixture("bgwriter.tsv"), sink);
  const auto& f = sink.families();
  EXPECT_GT(Sample(f, "pg_database_size_bytes", {{"datname", "postgres"}}), 1e6);
  EXPECT_EQ(Sample(f, "pg_stat_bgwriter_buffers_alloc_total"), 617);
  EXPECT_EQ(Sample(f, "pg_stat_bgwriter_checkpoints_timed_total"), 0);
  EXPECT_NE(BgwriterSql(170000).find("pg_stat_checkpointer"), std::string::npos);
}

TEST(PgTables, SeriesForTheReturnedRowsAndTheRestOmitted) {
  MetricSink sink;
  auto relids = EmitTables(Fixture("tables.tsv"), "memory", sink);
  EXPECT_EQ(relids, std::vector<std::string>{"16415"});
  const auto& f = sink.families();
  const Labels users = {{"datname", "memory"}, {"schemaname", "public"}, {"relname", "users"}};
  EXPECT_EQ(Sample(f, "pg_stat_user_tables_n_live_tup", users), 2500);
  EXPECT_EQ(Sample(f, "pg_stat_user_tables_n_tup_del", users), 2500);
  EXPECT_EQ(Sample(f, "pg_stat_user_tables_table_size_bytes", users), 425984);
  EXPECT_EQ(Sample(f, "pg_stat_user_tables_index_size_bytes", users), 335872);
  EXPECT_EQ(Sample(f, "pg_stat_user_tables_last_vacuum", users), 0);
  EXPECT_EQ(Sample(f, "pg_stat_user_tables_last_autovacuum", users), 1795313932.011019);
  EXPECT_EQ(Sample(f, "pg_stat_user_tables_omitted", {{"datname", "memory"}}), 0);

  // 3 of 10 matching tables returned.
  MetricSink cut;
  QueryResult rows = Fixture("tables.tsv");
  rows.rows[0][static_cast<size_t>(rows.Column("total"))] = "10";
  rows.rows.push_back(rows.rows[0]);
  rows.rows.push_back(rows.rows[0]);
  rows.rows[1][2] = "b";
  rows.rows[2][2] = "c";
  EmitTables(rows, "memory", cut);
  EXPECT_EQ(Sample(cut.families(), "pg_stat_user_tables_omitted"), 7);
}

TEST(PgTables, LimitZeroCountsEverything) {
  MetricSink sink;
  auto relids = EmitTables(ParseTabular("relid\ttotal\n\\N\t10000\n"), "big", sink);
  EXPECT_TRUE(relids.empty());
  EXPECT_EQ(sink.families().size(), 1u);
  EXPECT_EQ(Sample(sink.families(), "pg_stat_user_tables_omitted", {{"datname", "big"}}), 10000);
  EXPECT_THAT(ChooseTablesSql({0, "", ""}), ::testing::HasSubstr("count(*)"));
  EXPECT_THAT(ChooseTablesSql({0, "", ""}), ::testing::Not(::testing::HasSubstr("pg_table_size")));
}

TEST(PgTables, PatternsAreQuotedIntoTheSql) {
  for (int limit : {0, 25}) {
    const std::string sql = ChooseTablesSql({limit, "^app\\.", "'; DROP TABLE x; --"});
    EXPECT_THAT(sql, ::testing::HasSubstr("~ E'^app\\\\.'"));
    EXPECT_THAT(sql, ::testing::HasSubstr("!~ E'''; DROP TABLE x; --'"));
  }
  EXPECT_THAT(ChooseTablesSql({25, "", ""}), ::testing::HasSubstr("LIMIT 25"));
}

TEST(PgTables, CountersOfTheChosenTablesOnly) {
  const std::string sql = TableStatsSql({"16415", "16420; DROP TABLE x", "16430"});
  EXPECT_THAT(sql, ::testing::HasSubstr("s.relid = ANY('{16415,16430}'::oid[])"));
  EXPECT_THAT(sql, ::testing::Not(::testing::HasSubstr("DROP")));
  EXPECT_THAT(sql, ::testing::Not(::testing::HasSubstr("pg_table_size")));
}

TEST(PgTables, CountersJoinTheChosenSizesInTheChosenOrder) {
  // Chosen: largest first; 16430 was dropped after it was chosen; counters come in any order.
  const QueryResult chosen = ParseTabular(
      "relid\tnspname\trelname\ttotal\ttable_size\tindex_size\n"
      "16420\tpublic\tbig\t40\t9000\t100\n"
      "16430\tpublic\tgone\t40\t5000\t0\n"
      "16415\tpublic\tsmall\t40\t800\t16\n");
  EXPECT_EQ(ChosenRelids(chosen), (std::vector<std::string>{"16420", "16430", "16415"}));
  const QueryResult stats = ParseTabular(
      "relid\tschemaname\trelname\tn_live_tup\n"
      "16415\tpublic\tsmall\t7\n"
      "16420\tpublic\tbig_renamed\t70\n"
      "99999\tpublic\tnot_chosen\t1\n");
  const QueryResult joined = JoinTableRows(chosen, QueryResult(stats));
  ASSERT_EQ(joined.rows.size(), 2u);
  EXPECT_EQ(joined.Get(0, "relname"), "big_renamed");  // the names are the counters' (current)
  EXPECT_EQ(joined.Get(0, "table_size"), "9000");
  EXPECT_EQ(joined.Get(1, "relname"), "small");
  EXPECT_EQ(joined.Get(1, "index_size"), "16");

  MetricSink sink;
  EXPECT_EQ(EmitTables(joined, "app", sink), (std::vector<std::string>{"16420", "16415"}));
  const Labels big = {{"datname", "app"}, {"schemaname", "public"}, {"relname", "big_renamed"}};
  EXPECT_EQ(Sample(sink.families(), "pg_stat_user_tables_table_size_bytes", big), 9000);
  EXPECT_EQ(Sample(sink.families(), "pg_stat_user_tables_n_live_tup", big), 70);
  EXPECT_EQ(Sample(sink.families(), "pg_stat_user_tables_omitted", {{"datname", "app"}}), 38);

  EXPECT_TRUE(
      JoinTableRows(ParseTabular("relid\ttotal\n\\N\t5\n"), QueryResult(stats)).rows.empty());
}

TEST(PgIndexes, ScansAndSize) {
  MetricSink sink;
  EmitIndexes(Fixture("indexes.tsv"), "memory", sink);
  const Labels email = {{"datname", "memory"},
                        {"schemaname", "public"},
                        {"relname", "users"},
                        {"indexrelname", "users_email"}};
  EXPECT_EQ(Sample(sink.families(), "pg_stat_user_indexes_scans_total", email), 0);
  EXPECT_EQ(Sample(sink.families(), "pg_stat_user_indexes_size_bytes", email), 204800);
}

TEST(PgOidArray, OnlyDigitsReachTheSql) {
  EXPECT_EQ(OidArray({"1", "22", "x; DROP", "", "3"}), "'{1,22,3}'::oid[]");
  EXPECT_EQ(OidArray({}), "'{}'::oid[]");
}

TEST(PgBloat, EstimatesAndUnknowns) {
  MetricSink sink;
  EXPECT_EQ(EmitTableBloat(Fixture("table_bloat.tsv"), "memory", sink), 0);
  EmitIndexBloat(Fixture("index_bloat.tsv"), "memory", sink);
  const auto& f = sink.families();
  const Labels users = {{"datname", "memory"}, {"schemaname", "public"}, {"relname", "users"}};
  EXPECT_EQ(Sample(f, "pg_table_bloat_bytes", users), 196608);
  EXPECT_NEAR(Sample(f, "pg_table_bloat_ratio", users), 0.5106, 1e-3);
  EXPECT_NEAR(Sample(f, "pg_index_bloat_ratio", {{"indexrelname", "users_email"}}), 0.68, 1e-9);

  MetricSink hidden;
  EXPECT_EQ(EmitTableBloat(ParseTabular("schemaname\trelname\treal_size\tbloat_size\tbloat_ratio\t"
                                        "is_na\npublic\tsecret\t8192\t0\t0\tt\n"
                                        "public\tweird\t8192\t-5\t7\tf\n"),
                           "memory", hidden),
            1);
  // Out-of-range estimates are clamped, hidden ones left out.
  EXPECT_EQ(Sample(hidden.families(), "pg_table_bloat_ratio", {{"relname", "weird"}}), 1);
  EXPECT_EQ(Sample(hidden.families(), "pg_table_bloat_bytes", {{"relname", "weird"}}), 0);
  EXPECT_EQ(Sample(hidden.families(), "pg_table_bloat_ratio", {{"relname", "secret"}}), -12345);
}

}  // namespace
}  // namespace thoth::postgres

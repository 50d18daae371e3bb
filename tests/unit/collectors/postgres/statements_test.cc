#include "collectors/postgres/statements.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace thoth::postgres {
namespace {

using Candidates = std::vector<TopStatements::Candidate>;

std::set<std::string> AsSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

TEST(PgTopStatements, FillsUpToTopWithTheHeaviest) {
  TopStatements top(2);
  EXPECT_EQ(AsSet(top.Select({{"a", 1}, {"b", 5}, {"c", 3}})), (std::set<std::string>{"b", "c"}));
}

TEST(PgTopStatements, NeverExceedsTop) {
  TopStatements top(3);
  Candidates many;
  for (int i = 0; i < 50; ++i) many.push_back({"q" + std::to_string(i), double(i)});
  for (int round = 0; round < 5; ++round) {
    for (auto& c : many) c.seconds += (std::hash<std::string>{}(c.key) % 7) * round;
    EXPECT_LE(top.Select(many).size(), 3u);
  }
  EXPECT_TRUE(TopStatements(0).Select(many).empty());
}

TEST(PgTopStatements, NeckAndNeckStatementsDoNotSwapEveryScrape) {
  TopStatements top(1);
  EXPECT_EQ(top.Select({{"a", 100}, {"b", 99}}), std::vector<std::string>{"a"});
  // b overtakes a by a little, then a by a little again: the shown one stays.
  EXPECT_EQ(top.Select({{"a", 100}, {"b", 105}}), std::vector<std::string>{"a"});
  EXPECT_EQ(top.Select({{"a", 110}, {"b", 106}}), std::vector<std::string>{"a"});
  EXPECT_EQ(top.Select({{"a", 110}, {"b", 115}}), std::vector<std::string>{"a"});
}

TEST(PgTopStatements, AClearlyHeavierNewcomerTakesThePlaceOfTheWeakest) {
  TopStatements top(2);
  EXPECT_EQ(AsSet(top.Select({{"a", 100}, {"b", 50}, {"c", 10}})),
            (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(AsSet(top.Select({{"a", 100}, {"b", 50}, {"c", 500}})),
            (std::set<std::string>{"a", "c"}));
}

TEST(PgTopStatements, AStatementGoneFromTheCandidatesIsDropped) {
  TopStatements top(2);
  top.Select({{"a", 100}, {"b", 50}});
  // pg_stat_statements_reset() or eviction: b is no longer among the candidates.
  EXPECT_EQ(AsSet(top.Select({{"a", 100}, {"c", 1}})), (std::set<std::string>{"a", "c"}));
}

QueryResult Rows() {
  return ParseTabular(
      "user\tdatname\tqueryid\tcalls\tseconds\trows\tquery\n"
      "app\tmemory\t111\t10\t5.5\t100\tSELECT * FROM entities WHERE id = $1\n"
      "app\tmemory\t222\t3\t2.5\t3\tUPDATE x SET y = $1\n"
      "app\tmemory\t333\t1\t0.5\t0\tSELECT 1\n");
}

TEST(PgEmitStatements, WritesTheSelectedRowsWithPostgresExporterNames) {
  TopStatements top(2);
  MetricSink sink("db");
  EmitStatements(Rows(), top, false, 120, sink);
  double v = 0;
  ASSERT_TRUE(FindSample(
      sink.families(), "pg_stat_statements_calls_total",
      {{"target", "db"}, {"datname", "memory"}, {"user", "app"}, {"queryid", "111"}}, &v));
  EXPECT_EQ(v, 10);
  ASSERT_TRUE(
      FindSample(sink.families(), "pg_stat_statements_seconds_total", {{"queryid", "222"}}, &v));
  EXPECT_EQ(v, 2.5);
  ASSERT_TRUE(
      FindSample(sink.families(), "pg_stat_statements_rows_total", {{"queryid", "111"}}, &v));
  EXPECT_EQ(v, 100);
  EXPECT_FALSE(
      FindSample(sink.families(), "pg_stat_statements_calls_total", {{"queryid", "333"}}, &v));
  EXPECT_FALSE(FindSample(sink.families(), "pg_stat_statements_query_id", {}, &v));
}

TEST(PgEmitStatements, QueryTextIsOptInAndTruncated) {
  TopStatements top(1);
  MetricSink sink;
  QueryResult rows = Rows();
  rows.rows[0][6] = "SELECT *\n  FROM entities WHERE id = $1";
  EmitStatements(rows, top, true, 16, sink);
  double v = 0;
  EXPECT_TRUE(FindSample(sink.families(), "pg_stat_statements_query_id",
                         {{"queryid", "111"}, {"query", "SELECT * FROM..."}}, &v));
}

TEST(PgEmitStatements, DuplicateKeysAndBrokenRowsAreSkipped) {
  TopStatements top(5);
  MetricSink sink;
  QueryResult rows = ParseTabular(
      "user\tdatname\tqueryid\tcalls\tseconds\trows\tquery\n"
      "app\tdb\t1\t1\t1\t1\tq\n"
      "app\tdb\t1\t9\t9\t9\tq\n"
      "\\N\tdb\t2\t1\t1\t1\tq\n"
      "app\tdb\t3\t1\tnot-a-number\t1\tq\n");
  EmitStatements(rows, top, false, 100, sink);
  ASSERT_EQ(sink.families().size(), 3u);
  EXPECT_EQ(sink.families()[0].size(), 1u);
}

TEST(PgTruncateQueryText, CollapsesWhitespaceAndKeepsUtf8Whole) {
  EXPECT_EQ(TruncateQueryText("SELECT\n\t a ,  b", 100), "SELECT a , b");
  EXPECT_EQ(TruncateQueryText("abcdefghij", 10), "abcdefghij");
  EXPECT_EQ(TruncateQueryText("abcdefghijk", 10), "abcdefg...");
  // "é" is two bytes, one character.
  EXPECT_EQ(TruncateQueryText("ééééé", 5), "ééééé");
  EXPECT_EQ(TruncateQueryText("éééééé", 5), "éé...");
  // Invalid UTF-8 and control characters are dropped.
  EXPECT_EQ(TruncateQueryText("a\xff\xfe"
                              "b\x01"
                              "c\xc3",
                              10),
            "abc");
  EXPECT_EQ(TruncateQueryText("ab cd", 2), "ab");
  EXPECT_EQ(TruncateQueryText("", 5), "");
}

TEST(PgStatementsSql, UsesTheTimeColumnOfTheServerVersion) {
  EXPECT_THAT(StatementsSql("public", 150000, 40, 100), ::testing::HasSubstr("total_exec_time"));
  EXPECT_THAT(StatementsSql("public", 120000, 40, 100),
              ::testing::Not(::testing::HasSubstr("total_exec_time")));
  EXPECT_THAT(StatementsSql("public", 120000, 40, 100), ::testing::HasSubstr("total_time"));
  EXPECT_THAT(StatementsSql("\"my schema\"", 150000, 40, 100),
              ::testing::HasSubstr("\"my schema\".pg_stat_statements"));
  EXPECT_THAT(StatementsSql("public", 150000, 40, 100), ::testing::HasSubstr("LIMIT 40"));
  EXPECT_THAT(SlowQueriesSql("public", 120000, 1), ::testing::HasSubstr("total_time / s.calls"));
}

TEST(PgEmitSlowQueries, OneSeriesPerDatabase) {
  MetricSink sink;
  EmitSlowQueries(ParseTabular("datname\tslow\npostgres\t0\nmemory\t3\n"), 1, sink);
  double v = 0;
  ASSERT_TRUE(FindSample(sink.families(), "pg_slow_queries", {{"datname", "memory"}}, &v));
  EXPECT_EQ(v, 3);
  ASSERT_TRUE(FindSample(sink.families(), "pg_slow_queries", {{"datname", "postgres"}}, &v));
  EXPECT_EQ(v, 0);
}

}  // namespace
}  // namespace thoth::postgres

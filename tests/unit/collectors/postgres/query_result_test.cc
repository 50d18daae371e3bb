#include "collectors/postgres/query_result.h"

#include <cmath>

#include "gtest/gtest.h"

namespace thoth::postgres {
namespace {

TEST(PgParseNumber, AcceptsWhatPostgresPrints) {
  EXPECT_EQ(ParseNumber("42"), 42);
  EXPECT_EQ(ParseNumber("-1"), -1);
  EXPECT_EQ(ParseNumber("1.5"), 1.5);
  EXPECT_EQ(ParseNumber("1e+21"), 1e21);
  EXPECT_EQ(ParseNumber("9223372036854775807"), 9223372036854775807.0);
  EXPECT_EQ(ParseNumber("t"), 1);
  EXPECT_EQ(ParseNumber("f"), 0);
  EXPECT_EQ(ParseNumber("on"), 1);
  EXPECT_TRUE(std::isinf(*ParseNumber("Infinity")));
  EXPECT_TRUE(std::isnan(*ParseNumber("NaN")));
}

TEST(PgParseNumber, RejectsEverythingElse) {
  EXPECT_FALSE(ParseNumber(""));
  EXPECT_FALSE(ParseNumber("abc"));
  EXPECT_FALSE(ParseNumber("12abc"));
  EXPECT_FALSE(ParseNumber("2024-01-01 00:00:00+00"));
  EXPECT_FALSE(ParseNumber("inf"));
  EXPECT_FALSE(ParseNumber("nan"));
  EXPECT_FALSE(ParseNumber(" 1"));
  EXPECT_FALSE(ParseNumber(QueryResult::Cell()));
}

TEST(PgParseTabular, ReadsPsqlUnalignedOutput) {
  QueryResult r = ParseTabular("a\tb\n1\t\\N\nx\ty\n(2 rows)\n");
  ASSERT_EQ(r.columns.size(), 2u);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.Get(0, "a"), "1");
  EXPECT_FALSE(r.Get(0, "b"));
  EXPECT_EQ(r.Get(1, "b"), "y");
  EXPECT_FALSE(r.Get(0, "missing"));
  EXPECT_FALSE(r.Get(7, "a"));
  EXPECT_EQ(r.Column("b"), 1);
  EXPECT_EQ(r.Column("c"), -1);
}

TEST(PgParseTabular, ShortRowsArePaddedWithNull) {
  QueryResult r = ParseTabular("a\tb\tc\n1\n");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].size(), 3u);
  EXPECT_FALSE(r.Get(0, "c"));
}

}  // namespace
}  // namespace thoth::postgres

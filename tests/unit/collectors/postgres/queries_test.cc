#include "collectors/postgres/queries.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/collectors/postgres/fixture.h"

namespace thoth::postgres {
namespace {

TEST(PgOperatorQuery, SingleColumnIsTheValue) {
  MetricSink sink("db");
  ASSERT_TRUE(EmitOperatorQuery("rows", 60, ParseTabular("count\n42\n"), sink).ok());
  EXPECT_EQ(Sample(sink.families(), "pg_query_rows", {{"target", "db"}}), 42);
  EXPECT_THAT(sink.families()[0].help, ::testing::HasSubstr("cached for 60 s"));
}

TEST(PgOperatorQuery, OtherColumnsBecomeLabels) {
  MetricSink sink;
  ASSERT_TRUE(EmitOperatorQuery("by_kind", 0,
                                ParseTabular("kind\tvalue\nperson\t3\nplace\t\\N\n\\N\t5\n"
                                             "person\t9\nthing\tnope\n"),
                                sink)
                  .ok());
  const auto& f = sink.families();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].size(), 2u);  // NULL value, duplicate label set, non-number skipped
  EXPECT_EQ(Sample(f, "pg_query_by_kind", {{"kind", "person"}}), 3);
  EXPECT_EQ(Sample(f, "pg_query_by_kind", {{"kind", ""}}), 5);
}

TEST(PgOperatorQuery, ShapesThatCannotBeMetricsAreErrors) {
  MetricSink sink;
  EXPECT_FALSE(EmitOperatorQuery("q", 0, ParseTabular("a\tb\n1\t2\n"), sink).ok());
  EXPECT_FALSE(EmitOperatorQuery("q", 0, ParseTabular("bad name\tvalue\nx\t1\n"), sink).ok());
  EXPECT_FALSE(EmitOperatorQuery("q", 0, ParseTabular("target\tvalue\nx\t1\n"), sink).ok());
  EXPECT_FALSE(EmitOperatorQuery("q", 0, ParseTabular("__x\tvalue\nx\t1\n"), sink).ok());
  EXPECT_FALSE(EmitOperatorQuery("q", 0, ParseTabular("a\ta\tvalue\nx\ty\t1\n"), sink).ok());
  EXPECT_TRUE(sink.families().empty());
  // No rows at all is fine: nothing to report.
  EXPECT_TRUE(EmitOperatorQuery("q", 0, ParseTabular("value\n"), sink).ok());
}

}  // namespace
}  // namespace thoth::postgres

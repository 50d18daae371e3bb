#include "collectors/postgres/config.h"

#include <cstdio>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/collectors/parse_section.h"

namespace thoth::postgres {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<TargetConfig> Parse(const std::string& section) {
  return testing::ParseTargets(ParseConfig, ParseYaml("postgres:\n" + section, "cfg.yml"),
                               "postgres");
}

// The ConfigError message of parsing section, or "" when it parses.
std::string Error(const std::string& section) {
  try {
    Parse(section);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(PgConfig, TheSpecExampleParsesWithItsValues) {
  const std::string path = ::testing::TempDir() + "/pg_password";
  std::ofstream(path) << "from-file\n";
  auto targets = Parse(
      "  - name: memory-db\n"
      "    dsn: postgresql://exporter@localhost:5432/letta_memory_db\n"
      "    password_file: " +
      path +
      "\n"
      "    pool_size: 50\n"
      "    databases: all\n"
      "    statements: {top: 20}\n"
      "    tables: {limit: 500, exclude: \"^pg_temp\"}\n"
      "    bloat: {ttl: 5m}\n"
      "    queries:\n"
      "      - {name: memory_entities_rows, sql: \"SELECT count(*) AS value FROM "
      "memory_entities\", ttl: 60s}\n");
  ASSERT_EQ(targets.size(), 1u);
  const TargetConfig& t = targets[0];
  EXPECT_EQ(t.name, "memory-db");
  EXPECT_EQ(t.password, "from-file");
  EXPECT_EQ(t.pool_size, 50);
  EXPECT_TRUE(t.all_databases);
  EXPECT_EQ(t.statements_top, 20);
  EXPECT_EQ(t.tables_limit, 500);
  EXPECT_EQ(t.tables_exclude, "^pg_temp");
  EXPECT_DOUBLE_EQ(t.tables_ttl_seconds, 0);         // counters at every scrape
  EXPECT_DOUBLE_EQ(t.tables_sizes_ttl_seconds, 60);  // sizes every minute
  EXPECT_DOUBLE_EQ(t.bloat_ttl_seconds, 300);
  ASSERT_EQ(t.queries.size(), 1u);
  EXPECT_EQ(t.queries[0].name, "memory_entities_rows");
  EXPECT_DOUBLE_EQ(t.queries[0].ttl_seconds, 60);
  EXPECT_DOUBLE_EQ(t.queries[0].timeout_seconds, 5);
  EXPECT_EQ(ParamValue(t.dsn_params, "dbname"), "letta_memory_db");
}

TEST(PgConfig, DefaultsForAMinimalTarget) {
  auto targets = Parse("  - {name: a, dsn: \"host=h\"}\n");
  ASSERT_EQ(targets.size(), 1u);
  const TargetConfig& t = targets[0];
  EXPECT_FALSE(t.password);
  EXPECT_FALSE(t.pool_size);
  EXPECT_FALSE(t.all_databases);
  EXPECT_TRUE(t.databases.empty());
  EXPECT_EQ(t.statements_top, 20);
  EXPECT_FALSE(t.statements_query_text);
  EXPECT_EQ(t.tables_limit, 500);
  EXPECT_TRUE(t.bloat_enabled);
  EXPECT_DOUBLE_EQ(t.bloat_ttl_seconds, 300);
  EXPECT_DOUBLE_EQ(t.session.connect_timeout_seconds, 5);
  EXPECT_DOUBLE_EQ(t.session.statement_timeout_seconds, 10);
  EXPECT_DOUBLE_EQ(t.session.lock_timeout_seconds, 2);
  EXPECT_EQ(t.session.application_name, "thoth-exporter");
}

TEST(PgConfig, AbsentOrNullSectionHasNoTargets) {
  EXPECT_TRUE(
      testing::ParseTargets(ParseConfig, ParseYaml("redis: []\n", "cfg.yml"), "postgres").empty());
  EXPECT_TRUE(Parse("").empty());
}

TEST(PgConfig, DatabaseList) {
  auto targets = Parse("  - {name: a, dsn: \"host=h\", databases: [one, two]}\n");
  EXPECT_THAT(targets[0].databases, ::testing::ElementsAre("one", "two"));
}

TEST(PgConfig, EachErrorNamesFileLineColumnKeyAndProblem) {
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", pool_sise: 5}\n"), HasSubstr("cfg.yml:2:"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", pool_sise: 5}\n"),
              HasSubstr("postgres[0].pool_sise: unknown key"));
  EXPECT_THAT(Error("  - {dsn: \"host=h\"}\n"), HasSubstr("name"));
  EXPECT_THAT(Error("  - {name: a}\n"), HasSubstr("dsn"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\"}\n  - {name: a, dsn: \"host=h\"}\n"),
              HasSubstr("another target has this name"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", pool_size: 0}\n"),
              HasSubstr("pool_size: must be at least 1"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", databases: some}\n"),
              HasSubstr("expected `all` or a list"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", databases: [x, x]}\n"),
              HasSubstr("listed twice"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", statements: {top: -1}}\n"),
              HasSubstr("statements.top: must be between 0 and 1000"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", statements: {tpo: 1}}\n"),
              HasSubstr("statements.tpo: unknown key"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", tables: {exclude: \"(\"}}\n"),
              HasSubstr("tables.exclude: not a valid regular expression"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", bloat: {ttl: soon}}\n"),
              HasSubstr("bloat.ttl"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", connect_timeout: 0s}\n"),
              HasSubstr("connect_timeout: must be a positive duration"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", queries: [{name: \"bad name\", sql: x}]}\n"),
              HasSubstr("must be letters, digits and underscores"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", queries: [{name: q, sql: x}, {name: q, "
                    "sql: y}]}\n"),
              HasSubstr("used by another query"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", queries: [{name: q, sql: \" ; \"}]}\n"),
              HasSubstr("sql: must not be empty"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", queries: [{name: q}]}\n"), HasSubstr("sql"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", password: x, password_file: /y}\n"),
              HasSubstr("not both"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", password_file: /nonexistent/pw}\n"),
              HasSubstr("cannot read secret file"));
  EXPECT_THAT(Error("  {name: a}\n"), HasSubstr("expected a list of targets"));
}

// The patterns run in PostgreSQL's `~` (AREs): structural typos fail at load time, ARE-only
// constructs RE2 does not know are left to the server.
TEST(PgConfig, TablePatternsRejectTyposButAcceptPostgresOnlySyntax) {
  auto with = [](const std::string& pattern) {
    return Error("  - {name: a, dsn: \"host=h\", tables: {include: '" + pattern + "'}}\n");
  };
  for (const char* bad : {"(", "a)", "[a", "a\\", "*a", "a**", "a{2,1}"}) {
    EXPECT_THAT(with(bad), HasSubstr("tables.include: not a valid regular expression")) << bad;
  }
  for (const char* ok : {"^public\\.", "(a)\\1", "\\mfoo\\M", "(?=a)a", "[[:<:]]foo", "(?#note)a",
                         "***=a(b", "***:^pub", "\\d+"}) {
    EXPECT_EQ(with(ok), "") << ok;
  }
}

TEST(PgConfig, ABadDsnIsReportedWithoutItsPassword) {
  const std::string e = Error("  - {name: a, dsn: \"postgresql://u:Hunter2%zz@h/d\"}\n");
  EXPECT_THAT(e, HasSubstr("dsn: not a valid libpq connection string"));
  EXPECT_THAT(e, Not(HasSubstr("Hunter2")));
}

TEST(PgQuoteLiteral, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(QuoteLiteral("^pg_temp"), "E'^pg_temp'");
  EXPECT_EQ(QuoteLiteral("a'b\\c"), "E'a''b\\\\c'");
  EXPECT_EQ(QuoteLiteral("'); DROP TABLE x; --"), "E'''); DROP TABLE x; --'");
}

}  // namespace
}  // namespace thoth::postgres

namespace thoth::postgres {
namespace {

TEST(PgConfig, CachesAndBloatMethod) {
  auto d = Parse("  - {name: a, dsn: \"host=h\"}\n");
  EXPECT_EQ(d[0].database_sizes_ttl_seconds, 60);
  EXPECT_EQ(d[0].settings_ttl_seconds, 600);
  EXPECT_EQ(d[0].bloat_method, BloatMethod::kAuto);
  EXPECT_EQ(d[0].bloat_tables, 20);
  EXPECT_EQ(d[0].bloat_budget_seconds, 2);
  auto t = Parse(
      "  - {name: a, dsn: \"host=h\", database_sizes: {ttl: 0s}, settings: {ttl: 1h}, "
      "bloat: {method: estimate, tables: 5, budget: 500ms}}\n");
  EXPECT_EQ(t[0].database_sizes_ttl_seconds, 0);
  EXPECT_EQ(t[0].settings_ttl_seconds, 3600);
  EXPECT_EQ(t[0].bloat_method, BloatMethod::kEstimate);
  EXPECT_EQ(t[0].bloat_tables, 5);
  EXPECT_EQ(t[0].bloat_budget_seconds, 0.5);
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", bloat: {method: exact}}\n"),
              HasSubstr("method"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", bloat: {tables: 0}}\n"), HasSubstr("tables"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", bloat: {budget: 0s}}\n"), HasSubstr("budget"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", database_sizes: {ttl: -1s}}\n"),
              HasSubstr("ttl"));
  EXPECT_THAT(Error("  - {name: a, dsn: \"host=h\", settings: {tll: 1m}}\n"), HasSubstr("tll"));
}

}  // namespace
}  // namespace thoth::postgres

// The session prepares the statements it sends at every scrape: planned once, executed after.
// And when the server forgets them (a pooler in transaction mode, DISCARD/DEALLOCATE), the scrape
// loses nothing and the session sends the statements' text from then on.
#include <algorithm>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tests/integration/postgres/postgres_env.h"

namespace thoth::testing {
namespace {

TEST(PostgresPrepared, RepeatedStatementsArePlannedOncePerSession) {
  Pg().Exec("CREATE DATABASE prepared");
  Pg().Exec("CREATE EXTENSION pg_stat_statements", "prepared");
  Pg().Exec("ALTER SYSTEM SET pg_stat_statements.track_planning = on");
  Pg().Exec("SELECT pg_reload_conf()");
  auto t = MakeTarget(MonitorTargetYaml("prep", "prepared", "  statements: {top: 5}\n"));
  Scrape first = t->Collect();
  ASSERT_TRUE(first.status.ok()) << first.status.message();
  Pg().Exec("SELECT pg_stat_statements_reset()", "prepared");
  for (int i = 0; i < 5; ++i) {
    Scrape s = t->Collect();
    ASSERT_TRUE(s.status.ok()) << s.status.message();
    EXPECT_EQ(s.Value("pg_up"), 1);
  }
  // Every statement of the monitor role that ran at each of the five scrapes: executed five
  // times, planned at most once (the statement timeout, whose text changes, is not prepared).
  auto rows = Pg().Query(
      "SELECT s.query, s.calls, s.plans FROM pg_stat_statements s JOIN pg_roles r "
      "ON r.oid = s.userid WHERE r.rolname = '" +
          std::string(PostgresServer::kMonitorUser) + "' AND s.calls >= 5",
      "prepared");
  Pg().Exec("ALTER SYSTEM RESET pg_stat_statements.track_planning");
  Pg().Exec("SELECT pg_reload_conf()");
  int checked = 0;
  for (const auto& row : rows) {
    if (row[0].find("set_config") != std::string::npos) continue;
    ++checked;
    EXPECT_LE(std::stoi(row[2]), 1)
        << row[0] << " planned at " << row[2] << " of " << row[1] << " executions";
  }
  EXPECT_GE(checked, 8) << "the cluster and database sections of every scrape";
}

TEST(PostgresPrepared, AServerThatForgetsThemLosesNoScrape) {
  Pg().Exec("CREATE DATABASE forgetful");
  // What a pooler in transaction mode does to a session's prepared statements, from inside it:
  // an operator query that deallocates them all at every scrape.
  Pg().Exec(
      "CREATE FUNCTION forget_prepared() RETURNS int LANGUAGE plpgsql AS "
      "$$ BEGIN EXECUTE 'DEALLOCATE ALL'; RETURN 1; END $$",
      "forgetful");
  auto t = MakeTarget(
      MonitorTargetYaml("forget", "forgetful",
                        "  queries:\n"
                        "    - {name: forgets, sql: \"SELECT forget_prepared() AS value\"}\n"));
  std::set<std::string> names;
  for (int i = 0; i < 4; ++i) {
    Scrape s = t->Collect();
    ASSERT_TRUE(s.status.ok()) << "scrape " << i << ": " << s.status.message();
    EXPECT_EQ(s.Value("pg_up"), 1) << "scrape " << i;
    EXPECT_EQ(s.Value("pg_query_forgets"), 1) << "scrape " << i;
    EXPECT_GT(s.Value("pg_stat_database_numbackends", {{"datname", "forgetful"}}), 0)
        << "scrape " << i;
    std::set<std::string> now;
    for (const auto& f : s.families) now.insert(f.name);
    if (i == 0) {
      names = now;
    } else {
      EXPECT_EQ(now, names) << "scrape " << i << " reports other families than the first";
    }
  }
}

TEST(PostgresPrepared, StatementsWhoseTextChangesAreDeallocatedAndTheRestStayBounded) {
  // The per-table statements name the chosen tables: with the choice read at every scrape and a
  // new table before each, their text changes at every scrape. An operator query counts, from
  // inside the exporter's own session, what the session holds prepared.
  Pg().Exec("CREATE DATABASE churn");
  auto t = MakeTarget(MonitorTargetYaml(
      "churn", "churn",
      "  tables: {sizes_ttl: 0s}\n"
      "  queries:\n"
      "    - {name: held, sql: \"SELECT count(*) AS value FROM pg_prepared_statements\"}\n"
      "    - {name: newest, sql: \"SELECT max(substr(name, 7)::int) AS value FROM "
      "pg_prepared_statements WHERE name LIKE 'thoth!_%' ESCAPE '!'\"}\n"));
  double most = 0;
  for (int round = 0; round < 30; ++round) {
    const std::string table = "t" + std::to_string(round);
    Pg().Exec("CREATE TABLE " + table + " (id int PRIMARY KEY)", "churn");
    Pg().Exec("GRANT SELECT ON " + table + " TO " + std::string(PostgresServer::kMonitorUser),
              "churn");
    Scrape s = t->Collect();
    ASSERT_TRUE(s.status.ok()) << "scrape " << round << ": " << s.status.message();
    EXPECT_TRUE(s.Has("pg_stat_user_tables_seq_scan",
                      {{"datname", "churn"}, {"schemaname", "public"}, {"relname", table}}))
        << "scrape " << round << " reports the newest table";
    const double held = s.Value("pg_query_held");
    EXPECT_LE(held, 32) << "scrape " << round;
    most = std::max(most, held);
  }
  EXPECT_GE(most, 30) << "the cap was reached";
  Scrape last = t->Collect();
  EXPECT_GT(last.Value("pg_query_newest"), 45)
      << "statements of tables no longer chosen made room for new ones past the cap";
}

}  // namespace
}  // namespace thoth::testing

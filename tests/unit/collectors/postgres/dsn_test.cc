#include "collectors/postgres/dsn.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace thoth::postgres {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A DSN as messages show it: every password DsnSecrets finds, scrubbed.
std::string RedactDsn(const std::string& dsn) { return Scrub(dsn, DsnSecrets(dsn)); }

TEST(PgRedactDsn, HidesUriUserInfoPassword) {
  EXPECT_EQ(RedactDsn("postgresql://exporter:s3cr3t@db:5432/memory"),
            "postgresql://exporter:***@db:5432/memory");
  EXPECT_EQ(RedactDsn("postgres://u:p%40ss@h/d?sslmode=disable"),
            "postgres://u:***@h/d?sslmode=disable");
  // An '@' inside the password: the user info ends at the last '@' before the path.
  EXPECT_EQ(RedactDsn("postgresql://u:a@b@host/db"), "postgresql://u:***@host/db");
  EXPECT_EQ(RedactDsn("postgresql://exporter@localhost:5432/db"),
            "postgresql://exporter@localhost:5432/db");
}

TEST(PgRedactDsn, HidesPasswordQueryParameterAndKeyword) {
  EXPECT_EQ(RedactDsn("postgresql://u@h/d?password=abc&sslmode=require"),
            "postgresql://u@h/d?password=***&sslmode=require");
  EXPECT_EQ(RedactDsn("host=db user=u password=abc dbname=x"),
            "host=db user=u password=*** dbname=x");
  EXPECT_EQ(RedactDsn("host=db password = 'a b\\'c' dbname=x"),
            "host=db password = '***' dbname=x");
  // A keyword that merely contains "password" is not one.
  EXPECT_EQ(RedactDsn("host=db passwordless=1"), "host=db passwordless=1");
}

TEST(PgDsnSecrets, FindsEveryWrittenPassword) {
  EXPECT_THAT(DsnSecrets("postgresql://u:one@h/d?password=two"),
              ::testing::UnorderedElementsAre("one", "two"));
  EXPECT_THAT(DsnSecrets("host=h password='three'"), ::testing::ElementsAre("three"));
  EXPECT_TRUE(DsnSecrets("host=h user=u").empty());
}

TEST(PgScrub, ReplacesEverySecretOccurrence) {
  EXPECT_EQ(Scrub("pw is hunter2, again hunter2", {"hunter2", ""}), "pw is ***, again ***");
  EXPECT_EQ(Scrub("nothing", {}), "nothing");
}

TEST(PgParseDsn, ParsesUriAndKeywordForms) {
  auto uri = ParseDsn("postgresql://exporter:pw@db.example:6543/memory?sslmode=disable");
  ASSERT_TRUE(uri.ok()) << uri.status().message();
  EXPECT_EQ(ParamValue(*uri, "host"), "db.example");
  EXPECT_EQ(ParamValue(*uri, "port"), "6543");
  EXPECT_EQ(ParamValue(*uri, "dbname"), "memory");
  EXPECT_EQ(ParamValue(*uri, "user"), "exporter");
  EXPECT_EQ(ParamValue(*uri, "password"), "pw");
  auto kv = ParseDsn("host=/run/pg dbname=x");
  ASSERT_TRUE(kv.ok()) << kv.status().message();
  EXPECT_EQ(ParamValue(*kv, "host"), "/run/pg");
  EXPECT_FALSE(ParamValue(*kv, "port"));
}

TEST(PgParseDsn, ErrorsNeverQuoteThePassword) {
  auto uri = ParseDsn("postgresql://u:S3cret%zz@h/d");
  EXPECT_FALSE(uri.ok());
  EXPECT_FALSE(uri.status().message().empty());
  EXPECT_THAT(uri.status().message(), Not(HasSubstr("S3cret")));
  auto kv = ParseDsn("host=h password='S3cret");
  EXPECT_FALSE(kv.ok());
  EXPECT_THAT(kv.status().message(), Not(HasSubstr("S3cret")));
  EXPECT_FALSE(ParseDsn("nonsense").ok());
}

TEST(PgSessionParams, AddsTheExporterSettingsOnTopOfTheDsn) {
  auto dsn =
      ParseDsn("postgresql://u:dsnpw@h/d?application_name=other&options=-c%20work_mem%3D1MB");
  ASSERT_TRUE(dsn.ok()) << dsn.status().message();
  SessionSettings s;
  s.connect_timeout_seconds = 0.5;
  s.statement_timeout_seconds = 7.5;
  s.lock_timeout_seconds = 1;
  ConnParams p = SessionParams(*dsn, s, std::string("filepw"), std::string("other_db"));
  EXPECT_EQ(ParamValue(p, "application_name"), "thoth-exporter");
  EXPECT_EQ(ParamValue(p, "connect_timeout"), "2");  // libpq's minimum
  EXPECT_EQ(ParamValue(p, "client_encoding"), "UTF8");
  EXPECT_EQ(ParamValue(p, "options"),
            "-c work_mem=1MB -c statement_timeout=7500 -c lock_timeout=1000");
  EXPECT_EQ(ParamValue(p, "password"), "filepw");
  EXPECT_EQ(ParamValue(p, "dbname"), "other_db");
  // Each keyword once.
  int applications = 0;
  for (const auto& [k, v] : p) applications += k == "application_name";
  EXPECT_EQ(applications, 1);
}

TEST(PgSessionParams, KeepsTheDsnPasswordAndDatabaseWhenNoneGiven) {
  auto dsn = ParseDsn("host=h dbname=main password=dsnpw connect_timeout=30");
  ASSERT_TRUE(dsn.ok());
  SessionSettings s;
  ConnParams p = SessionParams(*dsn, s, std::nullopt, std::nullopt);
  EXPECT_EQ(ParamValue(p, "password"), "dsnpw");
  EXPECT_EQ(ParamValue(p, "dbname"), "main");
  EXPECT_EQ(ParamValue(p, "connect_timeout"), "5");
}

}  // namespace
}  // namespace thoth::postgres

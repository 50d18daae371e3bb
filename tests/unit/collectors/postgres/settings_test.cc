#include "collectors/postgres/settings.h"

#include "gtest/gtest.h"
#include "tests/unit/collectors/postgres/fixture.h"

namespace thoth::postgres {
namespace {

TEST(PgNormalizeSetting, UnitsBecomeSecondsAndBytesAsInPostgresExporter) {
  auto m = NormalizeSetting("shared_buffers", "16384", "8kB", "integer");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, "pg_settings_shared_buffers_bytes");
  EXPECT_EQ(m->value, 16384.0 * 8192);
  EXPECT_EQ(m->help, "Server Parameter: shared_buffers [Units converted to bytes.]");
  m = NormalizeSetting("vacuum_cost_delay", "2", "ms", "real");
  EXPECT_EQ(m->name, "pg_settings_vacuum_cost_delay_seconds");
  EXPECT_DOUBLE_EQ(m->value, 0.002);
  m = NormalizeSetting("autovacuum_naptime", "1", "min", "integer");
  EXPECT_EQ(m->value, 60);
  m = NormalizeSetting("log_rotation_age", "1", "d", "integer");
  EXPECT_EQ(m->value, 86400);
  m = NormalizeSetting("wal_segment_size", "1", "16MB", "integer");
  EXPECT_EQ(m->value, 16.0 * 1024 * 1024);
  // -1 means "disabled" and keeps its value.
  m = NormalizeSetting("temp_file_limit", "-1", "kB", "integer");
  EXPECT_EQ(m->name, "pg_settings_temp_file_limit_bytes");
  EXPECT_EQ(m->value, -1);
}

TEST(PgNormalizeSetting, BooleansNamesAndRejects) {
  EXPECT_EQ(NormalizeSetting("fsync", "on", "", "bool")->value, 1);
  EXPECT_EQ(NormalizeSetting("fsync", "off", "", "bool")->value, 0);
  EXPECT_EQ(NormalizeSetting("pg_stat_statements.max", "5000", "", "integer")->name,
            "pg_settings_pg_stat_statements_max");
  EXPECT_EQ(NormalizeSetting("my-ext.some-knob", "1", "", "integer")->name,
            "pg_settings_my_ext_some_knob");
  EXPECT_FALSE(NormalizeSetting("x", "abc", "", "integer"));
  EXPECT_FALSE(NormalizeSetting("x", "1", "parsecs", "integer"));
  EXPECT_FALSE(NormalizeSetting("x", "1", "", "string"));
  EXPECT_FALSE(NormalizeSetting("", "1", "", "integer"));
}

TEST(PgEmitSettings, EveryNumericSettingOfPostgres15) {
  QueryResult rows = Fixture("settings.tsv");
  MetricSink sink;
  EmitSettings(rows, sink);
  EXPECT_EQ(sink.families().size(), rows.rows.size());
  const auto& f = sink.families();
  EXPECT_EQ(Sample(f, "pg_settings_max_connections"), 40);
  EXPECT_EQ(Sample(f, "pg_settings_superuser_reserved_connections"), 3);
  EXPECT_EQ(Sample(f, "pg_settings_max_locks_per_transaction"), 64);
  EXPECT_EQ(Sample(f, "pg_settings_autovacuum_vacuum_threshold"), 50);
  EXPECT_EQ(Sample(f, "pg_settings_shared_buffers_bytes"), 16384.0 * 8192);
  EXPECT_EQ(Sample(f, "pg_settings_checkpoint_timeout_seconds"), 300);
  EXPECT_EQ(Sample(f, "pg_settings_fsync"), 1);
  // promtool keeps _count for histograms and summaries.
  for (const auto& family : f) {
    if (family.name == "pg_settings_tcp_keepalives_count") {
      EXPECT_EQ(family.type, prometheus::MetricType::Untyped);
    }
  }
}

TEST(PgConnectionsLimit, PoolSizeElseMaxMinusReserved) {
  QueryResult rows = Fixture("settings.tsv");
  EXPECT_EQ(ConnectionsLimit(rows, std::nullopt), 37);
  EXPECT_EQ(ConnectionsLimit(rows, 50), 50);
  EXPECT_FALSE(ConnectionsLimit(QueryResult{}, std::nullopt));
  QueryResult pg16 = ParseTabular(
      "name\tsetting\tunit\tvartype\nmax_connections\t100\t\tinteger\n"
      "reserved_connections\t5\t\tinteger\nsuperuser_reserved_connections\t3\t\tinteger\n");
  EXPECT_EQ(ConnectionsLimit(pg16, std::nullopt), 92);
}

}  // namespace
}  // namespace thoth::postgres

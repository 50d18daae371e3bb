// Backups as the operations manual's script makes them - pg_dump --format=custom against a real
// PostgreSQL and tar -czf - verified by the real exporter binary, and judged against the real
// pg_restore --list; then a corrupted newest file: thoth_backup_verified 0 and --once CRITICAL.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <regex>

#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/harness/postgres_server.h"

namespace thoth::testing {
namespace {

constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin/";

void SetMtime(const std::string& path, time_t mtime) {
  timespec times[2] = {{mtime, 0}, {mtime, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

// The manual's pg_dump line, against the test server.
void PgDump(const PostgresServer& pg, const std::string& file) {
  RunResult r =
      Run({std::string(kPgBin) + "pg_dump", "-h", pg.dir(), "-p", std::to_string(pg.port()), "-U",
           "postgres", "-d", "letta_memory_db", "--format=custom", "--file=" + file});
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

// pg_restore --list: exit code and its "TOC Entries: N" (-1 when it says none).
std::pair<int, int> PgRestoreList(const std::string& file) {
  RunResult r = thoth::testing::Run({std::string(kPgBin) + "pg_restore", "--list", file});
  std::smatch m;
  static const std::regex kEntries(R"(TOC Entries: (\d+))");
  int entries = std::regex_search(r.output, m, kEntries) ? std::stoi(m[1]) : -1;
  return {r.exit_code, entries};
}

class BackupIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pg_ = new PostgresServer();
    ASSERT_TRUE(pg_->Start());
    pg_->Exec("CREATE DATABASE letta_memory_db");
    pg_->Exec(
        "CREATE TABLE memory_entities (id bigserial PRIMARY KEY, actor_id text NOT NULL, body "
        "text);"
        "CREATE INDEX ON memory_entities (actor_id);"
        "INSERT INTO memory_entities (actor_id, body) SELECT 'actor-' || (i % 5), md5(i::text) "
        "FROM generate_series(1, 2000) i;",
        "letta_memory_db");
  }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }
  static PostgresServer* pg_;
};
PostgresServer* BackupIntegration::pg_ = nullptr;

TEST_F(BackupIntegration, ManualBackupsVerifyAndACorruptNewestIsCritical) {
  std::string dir = MakeTempDir("thoth-backup-it");
  std::string backups = dir + "/memory-system";
  ::mkdir(backups.c_str(), 0755);
  time_t now = ::time(nullptr);

  // Two rounds of the manual's script, 6 h apart (the second one 1 h ago).
  std::string old_dump = backups + "/postgres_20240115_020000.dump";
  std::string new_dump = backups + "/postgres_20240115_080000.dump";
  PgDump(*pg_, old_dump);
  PgDump(*pg_, new_dump);
  ::mkdir((dir + "/chroma").c_str(), 0755);
  ::mkdir((dir + "/chroma/data").c_str(), 0755);
  WriteFile(dir + "/chroma/data/chroma.sqlite3", std::string(20000, 's'));
  WriteFile(dir + "/chroma/data/index.bin", "index");
  std::string old_tar = backups + "/chroma_20240115_020000.tar.gz";
  std::string new_tar = backups + "/chroma_20240115_080000.tar.gz";
  for (const auto& t : {old_tar, new_tar}) {
    RunResult r = thoth::testing::Run({"tar", "-C", dir, "-czf", t, "chroma/data"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  SetMtime(old_dump, now - 7 * 3600);
  SetMtime(old_tar, now - 7 * 3600);
  SetMtime(new_dump, now - 3600);
  SetMtime(new_tar, now - 3600);
  auto [restore_exit, restore_entries] = PgRestoreList(new_dump);
  ASSERT_EQ(restore_exit, 0);
  ASSERT_GT(restore_entries, 5);

  std::string config =
      "exporter: {scrape_timeout: 5s}\nbackup:\n"
      "  - {name: postgres, glob: \"" +
      backups +
      "/postgres_*.dump\"}\n"
      "  - {name: chroma, glob: \"" +
      backups + "/chroma_*.tar.gz\"}\n";
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(config)) << exporter.Log();
  std::string text = exporter.Metrics();
  EXPECT_EQ(SampleValue(text, "thoth_backup_verified", {{"backup", "postgres"}}), 1) << text;
  // The same count as pg_restore --list reads.
  EXPECT_EQ(SampleValue(text, "thoth_backup_entries", {{"backup", "postgres"}}), restore_entries);
  EXPECT_EQ(SampleValue(text, "thoth_backup_verified", {{"backup", "chroma"}}), 1);
  EXPECT_EQ(SampleValue(text, "thoth_backup_entries", {{"backup", "chroma"}}), 3);
  struct stat st;
  ASSERT_EQ(::stat(old_dump.c_str(), &st), 0);
  EXPECT_EQ(SampleValue(text, "thoth_backup_previous_size_bytes", {{"backup", "postgres"}}),
            static_cast<double>(st.st_size));
  EXPECT_TRUE(PromtoolFindings(text).empty()) << ::testing::PrintToString(PromtoolFindings(text));
  RunResult good = RunExporter({"--once", "--config.file=" + exporter.config_path()});
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_NE(good.output.find("newest backup verifies"), std::string::npos) << good.output;

  // The next round writes a dump cut short (a full disk) and a tar.gz with one byte flipped.
  std::string bytes = ReadFile(new_dump);
  std::string cut_dump = backups + "/postgres_20240115_140000.dump";
  WriteFile(cut_dump, bytes.substr(0, bytes.size() * 2 / 3));
  std::string gz = ReadFile(new_tar);
  // A bit flipped in the stored CRC-32 (a flip inside the deflate data may land in its unused
  // padding bits, which no reader can notice).
  gz[gz.size() - 8] = static_cast<char>(gz[gz.size() - 8] ^ 0x01);
  std::string bad_tar = backups + "/chroma_20240115_140000.tar.gz";
  WriteFile(bad_tar, gz);
  SetMtime(cut_dump, now - 600);
  SetMtime(bad_tar, now - 600);
  // pg_restore --list reads only the header and TOC, which survive the cut: the manual's check
  // passes. A full read (restoring into a script) fails, as the exporter's data-block walk does.
  EXPECT_EQ(PgRestoreList(cut_dump).first, 0);
  EXPECT_NE(thoth::testing::Run({std::string(kPgBin) + "pg_restore", "-f", "/dev/null", cut_dump})
                .exit_code,
            0);
  EXPECT_NE(thoth::testing::Run({"gzip", "-t", bad_tar}).exit_code, 0);

  text = exporter.Metrics();
  EXPECT_EQ(SampleValue(text, "thoth_backup_verified", {{"backup", "postgres"}}), 0) << text;
  EXPECT_EQ(SampleValue(text, "thoth_backup_verify_failure_info",
                        {{"backup", "postgres"}, {"reason", "truncated"}}),
            1)
      << text;
  EXPECT_EQ(SampleValue(text, "thoth_backup_verified", {{"backup", "chroma"}}), 0) << text;
  EXPECT_EQ(SampleValue(text, "thoth_backup_verify_failure_info",
                        {{"backup", "chroma"}, {"reason", "crc_mismatch"}}),
            1);
  EXPECT_EQ(SampleValue(text, "thoth_backup_last_size_bytes", {{"backup", "postgres"}}),
            static_cast<double>(bytes.size() * 2 / 3));
  EXPECT_EQ(SampleValue(text, "thoth_backup_previous_size_bytes", {{"backup", "postgres"}}),
            static_cast<double>(bytes.size()));
  EXPECT_NE(exporter.Log().find("does not verify"), std::string::npos) << exporter.Log();

  RunResult bad = RunExporter({"--once", "--config.file=" + exporter.config_path()});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("no: truncated"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("CRITICAL"), std::string::npos) << bad.output;

  exporter.Stop();
  RemoveTree(dir);
}

}  // namespace
}  // namespace thoth::testing

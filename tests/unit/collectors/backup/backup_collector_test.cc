#include "collectors/backup/backup_collector.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "collectors/backup/backup_scan.h"
#include "exporter/config_reader.h"
#include "exporter/registry.h"
#include "tests/test_fixtures.h"

namespace thoth::backup {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class BackupDir {
 public:
  BackupDir() {
    char tmpl[] = "/tmp/thoth-backup-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~BackupDir() {
    ::chmod(dir_.c_str(), 0700);
    fs::remove_all(dir_);
  }
  const std::string& dir() const { return dir_; }

  // A file of `size` bytes whose mtime is `mtime` unix seconds (+ nanoseconds).
  void Add(const std::string& name, std::size_t size, time_t mtime, long nsec = 0) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << std::string(size, 'x');
    timespec times[2] = {{mtime, nsec}, {mtime, nsec}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }

 private:
  std::string dir_;
};

std::vector<std::shared_ptr<Collector>> FromYaml(const std::string& yaml) {
  return BuildCollectors("backup", ParseYaml(yaml, "test.yml"), CollectorEnv{});
}

std::shared_ptr<Collector> One(const std::string& name, const std::string& glob) {
  auto v = FromYaml("backup: [{name: " + name + ", glob: \"" + glob + "\"}]\n");
  return v.at(0);
}

ScrapeContext Deadline() { return {Clock::now() + 5s}; }

TEST(Backup, NewestFileOfTheGlob) {
  BackupDir d;
  d.Add("postgres_20240101.dump", 1000, 1700000000);
  d.Add("postgres_20240102.dump", 2500, 1700086400, 500000000);
  d.Add("postgres_20231231.dump", 10, 1699900000);
  d.Add("redis_20240103.rdb", 99, 1700200000);           // another glob's file
  fs::create_directory(d.dir() + "/postgres_dir.dump");  // not a regular file
  auto c = One("postgres", d.dir() + "/postgres_*.dump");
  EXPECT_EQ(c->Target(), "postgres");
  EXPECT_EQ(c->TargetLabel(), "");
  MetricSink sink;
  Status s = c->Collect(Deadline(), sink);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(Value(sink, "thoth_backup_files", {{"backup", "postgres"}}), 3);
  EXPECT_DOUBLE_EQ(Value(sink, "thoth_backup_last_timestamp_seconds", {{"backup", "postgres"}}),
                   1700086400.5);
  EXPECT_EQ(Value(sink, "thoth_backup_last_size_bytes", {{"backup", "postgres"}}), 2500);
  std::string text = SerializeText(sink.families());
  EXPECT_NE(text.find("thoth_backup_files{backup=\"postgres\"} 3"), std::string::npos) << text;
  EXPECT_EQ(text.find("target="), std::string::npos);
}

TEST(Backup, NoFileYet) {
  BackupDir d;
  for (const std::string& glob : {d.dir() + "/postgres_*.dump", d.dir() + "/not-yet/x_*.dump",
                                  std::string("/nonexistent/dir/*.dump")}) {
    auto c = One("postgres", glob);
    MetricSink sink;
    Status s = c->Collect(Deadline(), sink);
    ASSERT_TRUE(s.ok()) << glob << ": " << s.message();
    EXPECT_EQ(Value(sink, "thoth_backup_files", {{"backup", "postgres"}}), 0);
    double v;
    EXPECT_FALSE(FindSample(sink.families(), "thoth_backup_last_timestamp_seconds", {}, &v));
    EXPECT_FALSE(FindSample(sink.families(), "thoth_backup_last_size_bytes", {}, &v));
    std::vector<HealthCheck> rows;
    c->Checks(sink.families(), true, Thresholds{}, rows);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].status, Severity::kCritical);
    EXPECT_EQ(rows[0].value, "no backup file");
  }
}

TEST(Backup, SymlinkLoopIsAFailure) {
  BackupDir d;
  ASSERT_EQ(::symlink("loop", (d.dir() + "/loop").c_str()), 0);
  auto c = One("postgres", d.dir() + "/loop/*.dump");
  MetricSink sink;
  Status s = c->Collect(Deadline(), sink);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("loop"), std::string::npos) << s.message();
  EXPECT_TRUE(sink.families().empty());
}

// Root reads every directory, so the unreadable-directory case runs in a child that gives up
// root first (or directly when the tests do not run as root).
TEST(Backup, UnreadableDirectoryIsAFailure) {
  BackupDir d;
  fs::create_directory(d.dir() + "/locked");
  d.Add("locked/postgres_1.dump", 1, 1700000000);
  ASSERT_EQ(::chmod((d.dir() + "/locked").c_str(), 0), 0);
  auto c = One("postgres", d.dir() + "/locked/*.dump");
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(pipefd[0]);
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    MetricSink sink;
    Status s = c->Collect(Deadline(), sink);
    std::string msg = s.ok() ? "OK" : s.message();
    if (::write(pipefd[1], msg.data(), msg.size()) < 0) ::_exit(4);
    ::_exit(s.ok() ? 0 : 1);
  }
  ::close(pipefd[1]);
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << msg;
  EXPECT_NE(msg.find("Permission denied"), std::string::npos) << msg;
  EXPECT_NE(msg.find("locked"), std::string::npos) << msg;
}

TEST(Backup, ChecksAgeAgainstTheRpo) {
  BackupDir d;
  time_t now = ::time(nullptr);
  d.Add("fresh_1.bak", 5, now - 3600);  // a name no verifier claims: the age row only
  d.Add("stale_1.bak", 5, now - 7 * 3600);
  Thresholds t;  // backup_max_age_seconds 21600 (6 h)
  auto fresh = One("fresh", d.dir() + "/fresh_*.bak");
  auto stale = One("stale", d.dir() + "/stale_*.bak");
  for (auto& [c, want] : std::vector<std::pair<std::shared_ptr<Collector>, Severity>>{
           {fresh, Severity::kOk}, {stale, Severity::kCritical}}) {
    MetricSink sink;
    ASSERT_TRUE(c->Collect(Deadline(), sink).ok());
    std::vector<HealthCheck> rows;
    c->Checks(sink.families(), true, t, rows);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].status, want) << rows[0].value;
    EXPECT_EQ(rows[0].target, c->Target());
  }
}

TEST(Backup, NewestTieBreaksOnName) {
  auto newest =
      NewestBackup({{"/b/x_1.dump", 100, 1}, {"/b/x_2.dump", 100, 2}, {"/b/x_0.dump", 99, 3}});
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->path, "/b/x_2.dump");
  EXPECT_FALSE(NewestBackup({}));
}

TEST(Backup, Config) {
  EXPECT_TRUE(FromYaml("exporter: {}\n").empty());
  EXPECT_EQ(FromYaml("backup: [{name: a, glob: /a/*}, {name: b, glob: /b/*}]\n").size(), 2u);
  EXPECT_THROW(FromYaml("backup: [{name: a, glob: relative/*}]\n"), ConfigError);
  EXPECT_THROW(FromYaml("backup: [{name: a}]\n"), ConfigError);
  EXPECT_THROW(FromYaml("backup: [{name: a, glob: /a}, {name: a, glob: /b}]\n"), ConfigError);
  EXPECT_THROW(FromYaml("backup: [{name: a, glob: /a, path: /b}]\n"), ConfigError);
  EXPECT_EQ(FromYaml("backup: [{name: a, glob: /a, verify: tar_gz, settle_seconds: 0}]\n").size(),
            1u);
  EXPECT_THROW(FromYaml("backup: [{name: a, glob: /a, verify: zip}]\n"), ConfigError);
  EXPECT_THROW(FromYaml("backup: [{name: a, glob: /a, settle_seconds: -1}]\n"), ConfigError);
}

// ---------------------------------------------------------------- verification

// Writes `bytes` as dir/name with mtime `mtime`.
void Put(const BackupDir& d, const std::string& name, const std::string& bytes, time_t mtime) {
  std::string path = d.dir() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  timespec times[2] = {{mtime, 0}, {mtime, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

std::vector<HealthCheck> Rows(const Collector& c, const MetricSink& sink) {
  std::vector<HealthCheck> rows;
  c.Checks(sink.families(), true, Thresholds{}, rows);
  return rows;
}

const HealthCheck* Row(const std::vector<HealthCheck>& rows, const std::string& check) {
  for (const auto& r : rows) {
    if (r.check == check) return &r;
  }
  return nullptr;
}

TEST(BackupVerify, RealDumpAndArchiveVerify) {
  BackupDir d;
  time_t now = ::time(nullptr);
  std::string dump = Fixture("backup/postgres_20240115_020000.dump");
  Put(d, "postgres_20240115_020000.dump", dump, now - 7200);
  Put(d, "postgres_20240115_080000.dump", dump, now - 600);
  Put(d, "chroma_20240115_080000.tar.gz", Fixture("backup/chroma_20240115_020000.tar.gz"),
      now - 600);
  auto pg = One("postgres", d.dir() + "/postgres_*.dump");
  auto chroma = One("chroma", d.dir() + "/chroma_*.tar.gz");
  MetricSink sink;
  ASSERT_TRUE(pg->Collect(Deadline(), sink).ok());
  ASSERT_TRUE(chroma->Collect(Deadline(), sink).ok());
  EXPECT_EQ(Value(sink, "thoth_backup_verified", {{"backup", "postgres"}}), 1);
  EXPECT_EQ(Value(sink, "thoth_backup_entries", {{"backup", "postgres"}}),
            19);  // pg_restore's "TOC Entries"
  EXPECT_EQ(Value(sink, "thoth_backup_previous_size_bytes", {{"backup", "postgres"}}), 7383);
  EXPECT_EQ(Value(sink, "thoth_backup_verification_pending", {{"backup", "postgres"}}), 0);
  EXPECT_EQ(Value(sink, "thoth_backup_verified", {{"backup", "chroma"}}), 1);
  EXPECT_EQ(Value(sink, "thoth_backup_entries", {{"backup", "chroma"}}), 7);
  EXPECT_FALSE(
      Has(sink, "thoth_backup_previous_size_bytes", {{"backup", "chroma"}}));  // only one file
  std::string text = SerializeText(sink.families());
  EXPECT_EQ(text.find("thoth_backup_verify_failure_info"), std::string::npos) << text;
  auto rows = Rows(*pg, sink);
  ASSERT_NE(Row(rows, "newest backup verifies"), nullptr);
  EXPECT_EQ(Row(rows, "newest backup verifies")->status, Severity::kOk);
  EXPECT_EQ(Row(rows, "newest backup verifies")->value, "yes (19 entries)");
}

TEST(BackupVerify, CorruptNewestIsZeroWithItsReasonAndCritical) {
  BackupDir d;
  time_t now = ::time(nullptr);
  std::string dump = Fixture("backup/postgres_20240115_020000.dump");
  Put(d, "postgres_20240115_020000.dump", dump, now - 7200);
  Put(d, "postgres_20240115_080000.dump", dump.substr(0, dump.size() / 3), now - 600);
  auto pg = One("postgres", d.dir() + "/postgres_*.dump");
  MetricSink sink;
  ASSERT_TRUE(pg->Collect(Deadline(), sink).ok());
  EXPECT_EQ(Value(sink, "thoth_backup_verified", {{"backup", "postgres"}}), 0);
  EXPECT_FALSE(Has(sink, "thoth_backup_entries", {{"backup", "postgres"}}));
  EXPECT_EQ(Value(sink, "thoth_backup_last_size_bytes", {{"backup", "postgres"}}),
            static_cast<double>(dump.size() / 3));
  EXPECT_EQ(Value(sink, "thoth_backup_previous_size_bytes", {{"backup", "postgres"}}), 7383);
  std::string text = SerializeText(sink.families());
  EXPECT_NE(
      text.find("thoth_backup_verify_failure_info{backup=\"postgres\",reason=\"truncated\"} 1"),
      std::string::npos)
      << text;
  auto rows = Rows(*pg, sink);
  ASSERT_NE(Row(rows, "newest backup verifies"), nullptr);
  EXPECT_EQ(Row(rows, "newest backup verifies")->status, Severity::kCritical);
  EXPECT_EQ(Row(rows, "newest backup verifies")->value, "no: truncated");
  EXPECT_EQ(Row(rows, "newest backup age")->status, Severity::kOk);
}

TEST(BackupVerify, OncePerFileThenAgainWhenItChanges) {
  BackupDir d;
  time_t now = ::time(nullptr);
  std::string gz = Fixture("backup/chroma_20240115_020000.tar.gz");
  Put(d, "chroma_1.tar.gz", gz, now - 600);
  auto c = One("chroma", d.dir() + "/chroma_*.tar.gz");
  {
    MetricSink sink;
    ASSERT_TRUE(c->Collect(Deadline(), sink).ok());
    EXPECT_EQ(Value(sink, "thoth_backup_verified", {{"backup", "chroma"}}), 1);
  }
  // Same path, size and mtime, different bytes: not read again (the verdict is cached).
  std::string flipped = gz;
  flipped[flipped.size() - 8] ^= 1;  // the CRC
  Put(d, "chroma_1.tar.gz", flipped, now - 600);
  {
    MetricSink sink;
    ASSERT_TRUE(c->Collect(Deadline(), sink).ok());
    EXPECT_EQ(Value(sink, "thoth_backup_verified", {{"backup", "chroma"}}), 1);
  }
  // A new mtime is a new file: read again.
  Put(d, "chroma_1.tar.gz", flipped, now - 500);
  {
    MetricSink sink;
    ASSERT_TRUE(c->Collect(Deadline(), sink).ok());
    EXPECT_EQ(Value(sink, "thoth_backup_verified", {{"backup", "chroma"}}), 0);
    EXPECT_NE(SerializeText(sink.families()).find("reason=\"crc_mismatch\""), std::string::npos);
  }
}

TEST(BackupVerifyConcurrency, PendingUntilSettledAndAcrossScrapes) {
  BackupDir d;
  time_t now = ::time(nullptr);
  Put(d, "postgres_1.dump", Fixture("backup/postgres_20240115_020000.dump"), now);
  auto c = One("postgres", d.dir() + "/postgres_*.dump");
  MetricSink young;
  ASSERT_TRUE(c->Collect(Deadline(), young).ok());
  EXPECT_EQ(Value(young, "thoth_backup_verification_pending", {{"backup", "postgres"}}), 1);
  EXPECT_FALSE(Has(young, "thoth_backup_verified", {{"backup", "postgres"}}));
  auto rows = Rows(*c, young);
  ASSERT_NE(Row(rows, "newest backup verifies"), nullptr);
  EXPECT_EQ(Row(rows, "newest backup verifies")->status, Severity::kWarning);

  // Settled, but a scrape with no time left: the verification starts in the background and
  // the scrape does not wait for it; a later scrape reads its verdict.
  auto settled = FromYaml("backup: [{name: postgres, glob: \"" + d.dir() +
                          "/postgres_*.dump\", settle_seconds: 0}]\n")
                     .at(0);
  MetricSink late;
  auto start = Clock::now();
  ASSERT_TRUE(settled->Collect({Clock::now()}, late).ok());
  EXPECT_LT(Clock::now() - start, 50ms);
  // (Pending, unless the thread finished this small file before the scrape looked.)
  if (Value(late, "thoth_backup_verification_pending", {{"backup", "postgres"}}) == 0) {
    EXPECT_EQ(Value(late, "thoth_backup_verified", {{"backup", "postgres"}}), 1);
  } else {
    EXPECT_FALSE(Has(late, "thoth_backup_verified", {{"backup", "postgres"}}));
  }
  MetricSink next;
  ASSERT_TRUE(settled->Collect(Deadline(), next).ok());
  EXPECT_EQ(Value(next, "thoth_backup_verification_pending", {{"backup", "postgres"}}), 0);
  EXPECT_EQ(Value(next, "thoth_backup_verified", {{"backup", "postgres"}}), 1);
}

TEST(BackupVerify, VerifyNoneAndUnknownNamesAreNotVerified) {
  BackupDir d;
  time_t now = ::time(nullptr);
  Put(d, "postgres_1.dump", "not a dump", now - 600);
  Put(d, "redis_1.rdb", "REDIS0011", now - 600);
  auto none = FromYaml("backup: [{name: pg, glob: \"" + d.dir() +
                       "/postgres_*.dump\", verify: none}, {name: redis, glob: \"" + d.dir() +
                       "/redis_*.rdb\"}]\n");
  MetricSink sink;
  for (auto& c : none) ASSERT_TRUE(c->Collect(Deadline(), sink).ok());
  std::string text = SerializeText(sink.families());
  EXPECT_EQ(text.find("thoth_backup_verified"), std::string::npos) << text;
  EXPECT_EQ(text.find("thoth_backup_verification_pending"), std::string::npos) << text;
  // An explicit verifier applies whatever the name.
  auto forced =
      FromYaml("backup: [{name: redis, glob: \"" + d.dir() + "/redis_*.rdb\", verify: tar_gz}]\n")
          .at(0);
  MetricSink f;
  ASSERT_TRUE(forced->Collect(Deadline(), f).ok());
  EXPECT_EQ(Value(f, "thoth_backup_verified", {{"backup", "redis"}}), 0);
}

TEST(BackupVerify, EmptyNewestFileDoesNotVerify) {
  BackupDir d;
  Put(d, "chroma_1.tar.gz", "", ::time(nullptr) - 600);
  auto c = One("chroma", d.dir() + "/chroma_*.tar.gz");
  MetricSink sink;
  ASSERT_TRUE(c->Collect(Deadline(), sink).ok());
  EXPECT_EQ(Value(sink, "thoth_backup_verified", {{"backup", "chroma"}}), 0);
  EXPECT_NE(SerializeText(sink.families()).find("reason=\"empty\""), std::string::npos);
}

}  // namespace
}  // namespace thoth::backup

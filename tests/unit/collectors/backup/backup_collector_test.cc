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
  return MakeCollectors(ParseYaml(yaml, "test.yml"), CollectorEnv{});
}

std::shared_ptr<Collector> One(const std::string& name, const std::string& glob) {
  auto v = FromYaml("backup: [{name: " + name + ", glob: \"" + glob + "\"}]\n");
  return v.at(0);
}

ScrapeContext Deadline() { return {Clock::now() + 5s}; }

double Value(const MetricSink& sink, const std::string& metric, const std::string& backup) {
  double v = -1;
  if (!FindSample(sink.families(), metric, {{"backup", backup}}, &v)) return -1;
  return v;
}

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
  EXPECT_EQ(Value(sink, "thoth_backup_files", "postgres"), 3);
  EXPECT_DOUBLE_EQ(Value(sink, "thoth_backup_last_timestamp_seconds", "postgres"), 1700086400.5);
  EXPECT_EQ(Value(sink, "thoth_backup_last_size_bytes", "postgres"), 2500);
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
    EXPECT_EQ(Value(sink, "thoth_backup_files", "postgres"), 0);
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
  d.Add("fresh_1.dump", 5, now - 3600);
  d.Add("stale_1.dump", 5, now - 7 * 3600);
  Thresholds t;  // backup_max_age_seconds 21600 (6 h)
  auto fresh = One("fresh", d.dir() + "/fresh_*.dump");
  auto stale = One("stale", d.dir() + "/stale_*.dump");
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
}

}  // namespace
}  // namespace thoth::backup

#include "collectors/process/process_collector.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "exporter/config_reader.h"
#include "exporter/registry.h"
#include "tests/test_fixtures.h"

namespace thoth::process {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A writable copy of the fixture /proc tree, so that a test can make processes come and go.
class ProcCopy {
 public:
  ProcCopy() {
    char tmpl[] = "/tmp/thoth-proc-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    fs::copy(fs::path(THOTH_FIXTURES_DIR) / "process" / "proc", dir_, fs::copy_options::recursive);
  }
  ~ProcCopy() { fs::remove_all(dir_); }
  const std::string& dir() const { return dir_; }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ + "/" + rel, std::ios::trunc) << text;
  }

 private:
  std::string dir_;
};

std::string Stat(int pid, int utime, int stime, int start) {
  return std::to_string(pid) + " (x) S 1 1 1 0 -1 0 0 0 0 0 " + std::to_string(utime) + " " +
         std::to_string(stime) + " 0 0 20 0 2 0 " + std::to_string(start) +
         " 52428800 1280 0 0 0\n";
}

ScrapeContext Deadline() { return {Clock::now() + 5s}; }

const std::vector<ProcessGroupConfig> kGroups = {{"memory-service", "memory-service"},
                                                 {"chroma", "chroma"}};

TEST(ProcessCollector, GroupsTheFixtureTree) {
  auto c = MakeProcessCollector(kGroups, std::string(THOTH_FIXTURES_DIR) + "/process/proc", "fp")
               .value();
  EXPECT_EQ(c->Target(), "process");
  EXPECT_EQ(c->TargetLabel(), "");
  MetricSink sink;
  Status s = c->Collect(Deadline(), sink);
  ASSERT_TRUE(s.ok()) << s.message();
  double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  Labels ms = {{"groupname", "memory-service"}};
  EXPECT_EQ(Value(sink, "namedprocess_namegroup_num_procs", ms), 2);
  EXPECT_DOUBLE_EQ(Value(sink, "namedprocess_namegroup_cpu_seconds_total",
                         {{"groupname", "memory-service"}, {"mode", "user"}}),
                   350 / hz);
  EXPECT_DOUBLE_EQ(Value(sink, "namedprocess_namegroup_cpu_seconds_total",
                         {{"groupname", "memory-service"}, {"mode", "system"}}),
                   75 / hz);
  EXPECT_DOUBLE_EQ(Value(sink, "namedprocess_namegroup_memory_bytes",
                         {{"groupname", "memory-service"}, {"memtype", "resident"}}),
                   10240 * 1024 + 1280 * page);  // VmRSS of 100; 101 has none: stat's rss
  EXPECT_DOUBLE_EQ(Value(sink, "namedprocess_namegroup_memory_bytes",
                         {{"groupname", "memory-service"}, {"memtype", "virtual"}}),
                   157286400);
  EXPECT_DOUBLE_EQ(Value(sink, "namedprocess_namegroup_memory_bytes",
                         {{"groupname", "memory-service"}, {"memtype", "swap"}}),
                   1048576);
  EXPECT_EQ(Value(sink, "namedprocess_namegroup_open_filedesc", ms), 8);
  EXPECT_EQ(Value(sink, "namedprocess_namegroup_num_threads", ms), 6);
  EXPECT_DOUBLE_EQ(Value(sink, "namedprocess_namegroup_oldest_start_time_seconds", ms),
                   1700000000 + 4000 / hz);
  // One member's io is unreadable: the readable one counts.
  EXPECT_EQ(Value(sink, "namedprocess_namegroup_read_bytes_total", ms), 4096);
  EXPECT_EQ(Value(sink, "namedprocess_namegroup_write_bytes_total", ms), 8192);

  // chroma: the zombie, the vanished process, the cut stat and the `self` link are left out.
  Labels ch = {{"groupname", "chroma"}};
  EXPECT_EQ(Value(sink, "namedprocess_namegroup_num_procs", ch), 1);
  EXPECT_EQ(Value(sink, "namedprocess_namegroup_num_threads", ch), 10);
  EXPECT_EQ(Value(sink, "namedprocess_namegroup_open_filedesc", ch), 2);
  EXPECT_DOUBLE_EQ(Value(sink, "namedprocess_namegroup_memory_bytes",
                         {{"groupname", "chroma"}, {"memtype", "resident"}}),
                   20480 * 1024);
  EXPECT_DOUBLE_EQ(Value(sink, "namedprocess_namegroup_memory_bytes",
                         {{"groupname", "chroma"}, {"memtype", "swap"}}),
                   0);
  std::string text = SerializeText(sink.families());
  EXPECT_NE(text.find("# TYPE namedprocess_namegroup_cpu_seconds_total counter"),
            std::string::npos);
  EXPECT_EQ(text.find("target="), std::string::npos);
}

TEST(ProcessCollector, FirstMatchingGroupWins) {
  auto c = MakeProcessCollector({{"everything", "."}, {"chroma", "chroma"}},
                                std::string(THOTH_FIXTURES_DIR) + "/process/proc", "fp")
               .value();
  MetricSink sink;
  ASSERT_TRUE(c->Collect(Deadline(), sink).ok());
  EXPECT_EQ(Value(sink, "namedprocess_namegroup_num_procs", {{"groupname", "everything"}}), 4);
  EXPECT_EQ(Value(sink, "namedprocess_namegroup_num_procs", {{"groupname", "chroma"}}), 0);
  // An empty group has no oldest process.
  EXPECT_FALSE(
      Has(sink, "namedprocess_namegroup_oldest_start_time_seconds", {{"groupname", "chroma"}}));
}

TEST(ProcessCollector, CountersNeverGoDownWhenProcessesExit) {
  ProcCopy proc;
  auto c = MakeProcessCollector(kGroups, proc.dir(), "fp").value();
  double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  Labels user = {{"groupname", "memory-service"}, {"mode", "user"}};
  MetricSink first;
  ASSERT_TRUE(c->Collect(Deadline(), first).ok());
  EXPECT_DOUBLE_EQ(Value(first, "namedprocess_namegroup_cpu_seconds_total", user), 350 / hz);

  // 101 exits; 100 uses 50 more ticks.
  fs::remove_all(proc.dir() + "/101");
  proc.Write("100/stat", Stat(100, 300, 50, 5000));
  MetricSink second;
  ASSERT_TRUE(c->Collect(Deadline(), second).ok());
  EXPECT_EQ(Value(second, "namedprocess_namegroup_num_procs", {{"groupname", "memory-service"}}),
            1);
  EXPECT_DOUBLE_EQ(Value(second, "namedprocess_namegroup_cpu_seconds_total", user), 400 / hz);

  // pid 101 comes back as a new process (another start time): all of its time counts.
  fs::create_directories(proc.dir() + "/101");
  proc.Write("101/cmdline", std::string("memory-service\0", 15));
  proc.Write("101/stat", Stat(101, 20, 0, 9000));
  proc.Write("101/status", "Name:\tmemory-service\n");
  fs::create_directories(proc.dir() + "/101/fd");
  MetricSink third;
  ASSERT_TRUE(c->Collect(Deadline(), third).ok());
  EXPECT_DOUBLE_EQ(Value(third, "namedprocess_namegroup_cpu_seconds_total", user), 420 / hz);
  EXPECT_EQ(Value(third, "namedprocess_namegroup_num_procs", {{"groupname", "memory-service"}}), 2);
}

TEST(ProcessCollector, MissingProcIsAFailure) {
  auto c = MakeProcessCollector(kGroups, "/nonexistent/proc", "fp").value();
  MetricSink sink;
  EXPECT_FALSE(c->Collect(Deadline(), sink).ok());
}

TEST(ProcessCollector, ExpiredDeadlineIsAFailure) {
  MetricSink sink;
  // With 150+ processes on any host the scan looks at the clock at least twice.
  ProcessGroupConfig all{"all", "."};
  auto every = MakeProcessCollector({all}, "/proc", "fp").value();
  Status s = every->Collect(ScrapeContext{Clock::now() - 1s}, sink);
  std::size_t procs = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    procs += std::isdigit(static_cast<unsigned char>(e.path().filename().string()[0])) != 0;
  }
  if (procs >= 64) {
    EXPECT_FALSE(s.ok());
  }
}

TEST(ProcessCollector, ChecksOneRowPerGroup) {
  auto c = MakeProcessCollector(kGroups, std::string(THOTH_FIXTURES_DIR) + "/process/proc", "fp")
               .value();
  MetricSink sink;
  ASSERT_TRUE(c->Collect(Deadline(), sink).ok());
  std::vector<HealthCheck> rows;
  c->Checks(sink.families(), true, Thresholds{}, rows);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].target, "memory-service");
  EXPECT_EQ(rows[0].value, "2");
  EXPECT_EQ(rows[0].status, Severity::kOk);
  rows.clear();
  c->Checks({}, false, Thresholds{}, rows);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, Severity::kCritical);
}

TEST(ProcessCollector, MinProcessesGradesTheGroupAndIsExported) {
  // The fixture has 2 memory-service processes; ask for 3, and for a group that matches none.
  const std::vector<ProcessGroupConfig> groups = {{"memory-service", "memory-service", 3},
                                                  {"nothing", "no-such-command-anywhere"}};
  auto c =
      MakeProcessCollector(groups, std::string(THOTH_FIXTURES_DIR) + "/process/proc", "fp").value();
  MetricSink sink;
  ASSERT_TRUE(c->Collect(Deadline(), sink).ok());
  double min = 0;
  ASSERT_TRUE(FindSample(sink.families(), "thoth_process_min_procs",
                         {{"groupname", "memory-service"}}, &min));
  EXPECT_EQ(min, 3);
  EXPECT_FALSE(
      FindSample(sink.families(), "thoth_process_min_procs", {{"groupname", "nothing"}}, &min));
  std::vector<HealthCheck> rows;
  c->Checks(sink.families(), true, Thresholds{}, rows);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, Severity::kCritical);
  EXPECT_EQ(rows[0].value, "2 (below min_processes 3)");
  EXPECT_EQ(rows[1].status, Severity::kWarning);
  EXPECT_EQ(rows[1].value, "0 (no process matches)");
}

TEST(GradeProcessGroup, Rules) {
  // Without min_processes: none is a WARNING, any is OK.
  EXPECT_EQ(GradeProcessGroup("g", 0.0, std::nullopt).status, Severity::kWarning);
  EXPECT_EQ(GradeProcessGroup("g", 1.0, std::nullopt).status, Severity::kOk);
  // With it: below is CRITICAL, at or above is OK; min_processes 0 never complains.
  EXPECT_EQ(GradeProcessGroup("g", 0.0, 1).status, Severity::kCritical);
  EXPECT_EQ(GradeProcessGroup("g", 2.0, 3).status, Severity::kCritical);
  EXPECT_EQ(GradeProcessGroup("g", 3.0, 3).status, Severity::kOk);
  EXPECT_EQ(GradeProcessGroup("g", 0.0, 0).status, Severity::kOk);
  // Not counted: never OK.
  EXPECT_EQ(GradeProcessGroup("g", std::nullopt, std::nullopt).status, Severity::kUnknown);
  EXPECT_EQ(GradeProcessGroup("g", std::nullopt, 2).status, Severity::kUnknown);
}

std::vector<std::shared_ptr<Collector>> FromYaml(const std::string& yaml) {
  return BuildCollectors("process", ParseYaml(yaml, "test.yml"), CollectorEnv{});
}

TEST(ProcessCollector, Config) {
  EXPECT_TRUE(FromYaml("exporter: {}\n").empty());
  EXPECT_TRUE(FromYaml("process: []\n").empty());
  auto one =
      FromYaml("process: [{name: a, cmdline: \"^/usr/bin/a( |$)\"}, {name: b, cmdline: b}]\n");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0]->Kind(), "process");
  EXPECT_THROW(FromYaml("process: [{name: a, cmdline: \"(\"}]\n"), ConfigError);
  EXPECT_THROW(FromYaml("process: [{name: a, cmdline: x}, {name: a, cmdline: y}]\n"), ConfigError);
  EXPECT_THROW(FromYaml("process: [{name: a}]\n"), ConfigError);
  EXPECT_THROW(FromYaml("process: [{name: a, cmdline: x, comm: y}]\n"), ConfigError);
  EXPECT_THROW(FromYaml("process: {name: a}\n"), ConfigError);
  EXPECT_EQ(FromYaml("process: [{name: a, cmdline: x, min_processes: 2}]\n").size(), 1u);
  EXPECT_THROW(FromYaml("process: [{name: a, cmdline: x, min_processes: -1}]\n"), ConfigError);
  EXPECT_THROW(FromYaml("process: [{name: a, cmdline: x, min_processes: many}]\n"), ConfigError);
}

TEST(ProcessCollector, BadPatternNamesFileLineColumnKeyAndRe2sError) {
  try {
    FromYaml("process:\n  - name: a\n    cmdline: 'python[23'\n");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "test.yml:3:14: process[0].cmdline: not a valid regex: missing ]: [23");
  }
  EXPECT_FALSE(MakeProcessCollector({{"a", "x(?=y)"}}, "/proc", "fp").ok());  // no look-ahead
}

// Patterns as process-exporter's users write them (Go syntax), on command lines as ps shows
// them.
TEST(ProcessCollector, ProcessExporterStylePatterns) {
  struct Case {
    const char* pattern;
    const char* cmdline;
    bool matches;
  };
  const Case cases[] = {
      {"^/usr/bin/python3? .*memory_service", "/usr/bin/python3 -m memory_service --port 8000",
       true},
      {"^/usr/bin/python3? .*memory_service", "/usr/bin/python2 -m memory_service", false},
      {"postgres: .* (idle|active)$", "postgres: memory memory 127.0.0.1(5432) idle", true},
      {"(?i)^CHROMA\\b", "chroma run --path /data", true},
      {"\\bredis-server\\s+\\S+:\\d+", "/usr/bin/redis-server 127.0.0.1:6379", true},
      {"^nginx: (master|worker) process", "nginx: cache manager process", false},
      {"[[:alpha:]]+d$", "sshd", true},
      {"\\x00", "no nul here", false},
  };
  for (const Case& c : cases) {
    auto collector = MakeProcessCollector({{"g", c.pattern}}, "/proc", "fp");
    ASSERT_TRUE(collector.ok()) << c.pattern << ": " << collector.status().message();
  }
  // The matching itself, through a fixture tree with one process per case.
  ProcCopy proc;
  for (const Case& c : cases) {
    fs::remove_all(proc.dir());
    fs::create_directories(proc.dir() + "/200/fd");
    proc.Write("stat", "cpu 0 0 0 0\nbtime 1700000000\n");
    proc.Write("200/stat", Stat(200, 1, 1, 100));
    proc.Write("200/status", "Name:\tx\nVmRSS:\t4 kB\n");
    std::string cmdline = c.cmdline;
    for (char& ch : cmdline) {
      if (ch == ' ') ch = '\0';
    }
    proc.Write("200/cmdline", cmdline + std::string(1, '\0'));
    auto collector = MakeProcessCollector({{"g", c.pattern}}, proc.dir(), "fp").value();
    MetricSink sink;
    ASSERT_TRUE(collector->Collect(Deadline(), sink).ok());
    EXPECT_EQ(Value(sink, "namedprocess_namegroup_num_procs", {{"groupname", "g"}}),
              c.matches ? 1 : 0)
        << c.pattern << " on " << c.cmdline;
  }
}

// A pattern that backtracking engines (glibc regexec, std::regex) take exponential time on, over
// a long command line that does not match: RE2 scans the tree well within the deadline.
TEST(ProcessCollector, CatastrophicPatternStaysLinear) {
  ProcCopy proc;
  std::string cmdline(32 << 10, 'a');
  cmdline += '!';
  proc.Write("100/cmdline", cmdline + std::string(1, '\0'));
  auto c =
      MakeProcessCollector({{"evil", "^(a+)+$"}, {"evil2", "^(a|aa)+$"}}, proc.dir(), "fp").value();
  MetricSink sink;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c->Collect(Deadline(), sink).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(Value(sink, "namedprocess_namegroup_num_procs", {{"groupname", "evil"}}), 0);
}

}  // namespace
}  // namespace thoth::process

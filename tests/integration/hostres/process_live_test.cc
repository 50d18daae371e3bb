// The process collector against real processes: children with a distinctive command line,
// compared with what ps(1) says about them; and the cost of a scan of 1,000 processes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "collectors/process/process_collector.h"
#include "tests/integration/hostres/hostres_util.h"

namespace thoth::testing {
namespace {

using namespace std::chrono_literals;

struct PsRow {
  double rss_kib = 0, vsz_kib = 0, threads = 0, etimes = 0;
};

std::vector<PsRow> Ps(const std::vector<pid_t>& pids) {
  std::string list;
  for (pid_t p : pids) list += (list.empty() ? "" : ",") + std::to_string(p);
  std::istringstream in(ShellOut("ps -o rss=,vsz=,nlwp=,etimes= -p " + list));
  std::vector<PsRow> rows;
  PsRow r;
  while (in >> r.rss_kib >> r.vsz_kib >> r.threads >> r.etimes) rows.push_back(r);
  return rows;
}

TEST(ProcessLive, GroupOfChildrenAgreesWithPs) {
  std::string dir = MakeTempDir("thoth-hostres");
  std::string name = "thoth-sleeper-" + std::to_string(::getpid());
  std::string sleeper = DistinctSleep(dir, name);
  ChildProcess a, b, c;
  ASSERT_TRUE(a.Start({sleeper, "101"}, dir + "/a.log"));
  ASSERT_TRUE(b.Start({sleeper, "102"}, dir + "/b.log"));
  ASSERT_TRUE(c.Start({sleeper, "103"}, dir + "/c.log"));
  std::vector<pid_t> pids = {a.pid(), b.pid(), c.pid()};
  // Wait for the exec: until then the children still carry this binary's command line.
  for (int i = 0; i < 100; ++i) {
    bool all = true;
    for (pid_t p : pids)
      all = all &&
            ReadFile("/proc/" + std::to_string(p) + "/cmdline").find(name) != std::string::npos;
    if (all) break;
    std::this_thread::sleep_for(10ms);
  }
  // And for the sleep itself: between exec and sleep the dynamic loader is still mapping the
  // libraries, and resident and virtual sizes still grow.
  for (int i = 0; i < 200; ++i) {
    bool all = true;
    for (pid_t p : pids) {
      std::string stat = ReadFile("/proc/" + std::to_string(p) + "/stat");
      size_t close = stat.rfind(')');
      all = all && close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'S';
    }
    if (all) break;
    std::this_thread::sleep_for(10ms);
  }

  auto collector =
      Build("process", "process:\n  - {name: sleepers, cmdline: \"" + name +
                           " 10[0-9]$\"}\n  - {name: nobody, cmdline: \"^no such process$\"}\n");
  ASSERT_TRUE(collector);
  MetricSink sink = CollectOnce(*collector);
  std::vector<PsRow> ps = Ps(pids);
  ASSERT_EQ(ps.size(), 3u);
  double rss = 0, vsz = 0, threads = 0, etimes = 0;
  for (const auto& r : ps) {
    rss += r.rss_kib * 1024;
    vsz += r.vsz_kib * 1024;
    threads += r.threads;
    etimes = std::max(etimes, r.etimes);
  }
  Labels g = {{"groupname", "sleepers"}};
  EXPECT_EQ(Sample(sink, "namedprocess_namegroup_num_procs", g), 3);
  EXPECT_EQ(Sample(sink, "namedprocess_namegroup_memory_bytes",
                   {{"groupname", "sleepers"}, {"memtype", "resident"}}),
            rss);
  EXPECT_EQ(Sample(sink, "namedprocess_namegroup_memory_bytes",
                   {{"groupname", "sleepers"}, {"memtype", "virtual"}}),
            vsz);
  EXPECT_EQ(Sample(sink, "namedprocess_namegroup_num_threads", g), threads);
  double fds = 0;
  for (pid_t p : pids) fds += ShellNumber("ls /proc/" + std::to_string(p) + "/fd | wc -l");
  EXPECT_EQ(Sample(sink, "namedprocess_namegroup_open_filedesc", g), fds);
  double now = static_cast<double>(::time(nullptr));
  EXPECT_NEAR(Sample(sink, "namedprocess_namegroup_oldest_start_time_seconds", g), now - etimes,
              2.0);
  // Running as root, /proc/<pid>/io is readable: a sleeper writes nothing.
  if (::geteuid() == 0) {
    EXPECT_EQ(Sample(sink, "namedprocess_namegroup_write_bytes_total", g), 0);
  }
  EXPECT_EQ(Sample(sink, "namedprocess_namegroup_num_procs", {{"groupname", "nobody"}}), 0);

  // One exits: the count drops, the CPU counters do not.
  double user = Sample(sink, "namedprocess_namegroup_cpu_seconds_total",
                       {{"groupname", "sleepers"}, {"mode", "user"}});
  a.Stop(9);
  MetricSink after = CollectOnce(*collector);
  EXPECT_EQ(Sample(after, "namedprocess_namegroup_num_procs", g), 2);
  EXPECT_GE(Sample(after, "namedprocess_namegroup_cpu_seconds_total",
                   {{"groupname", "sleepers"}, {"mode", "user"}}),
            user);
  RemoveTree(dir);
}

// 1,000 extra processes that do nothing; killed (and reaped) at the end, and by the kernel if
// this test dies first.
class IdleChildren {
 public:
  explicit IdleChildren(int n) {
    pid_t parent = ::getpid();
    for (int i = 0; i < n; ++i) {
      pid_t pid = ::fork();
      if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(0);
        for (;;) ::pause();
      }
      if (pid < 0) break;
      pids_.push_back(pid);
    }
  }
  ~IdleChildren() {
    for (pid_t p : pids_) ::kill(p, SIGKILL);
    for (pid_t p : pids_) ::waitpid(p, nullptr, 0);
  }
  std::size_t size() const { return pids_.size(); }

 private:
  std::vector<pid_t> pids_;
};

double ThreadCpuMs() {
  timespec ts;
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Median wall and CPU time of `runs` collections. The CPU time (this thread's, user + system)
// is what the scan costs; the wall time also holds waiting for a core on a busy machine.
struct ScanCost {
  double wall_ms = 0;
  double cpu_ms = 0;
};

ScanCost MedianScan(Collector& c, int runs) {
  std::vector<double> wall, cpu;
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    double cpu_start = ThreadCpuMs();
    CollectOnce(c);
    cpu.push_back(ThreadCpuMs() - cpu_start);
    wall.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

TEST(ProcessLive, ScanOfAThousandProcesses) {
  IdleChildren children(1000);
  ASSERT_EQ(children.size(), 1000u);
  std::size_t procs = static_cast<std::size_t>(ShellNumber("ls -d /proc/[0-9]* | wc -l"));
  ASSERT_GE(procs, 1000u);

  // The usual case: a few groups, few members; every command line is read and tested.
  auto few = Build("process",
                   "process:\n  - {name: memory-service, cmdline: memory-service}\n"
                   "  - {name: chroma, cmdline: chroma}\n  - {name: nginx, cmdline: nginx}\n");
  ASSERT_TRUE(few);
  ScanCost few_cost = MedianScan(*few, 9);

  // The worst case: every one of the 1,000 children belongs to the group (they share this
  // binary's command line), so each also has stat, status, io and fd read.
  auto all = Build("process", "process:\n  - {name: children, cmdline: \"integration_hostres\"}\n");
  ASSERT_TRUE(all);
  MetricSink sink = CollectOnce(*all);
  EXPECT_GE(Sample(sink, "namedprocess_namegroup_num_procs", {{"groupname", "children"}}), 1000);
  ScanCost all_cost = MedianScan(*all, 5);

  std::printf(
      "process scan of %zu processes, median: %.2f ms wall / %.2f ms CPU (3 groups, few "
      "members); %.2f ms wall / %.2f ms CPU (1,000 members)\n",
      procs, few_cost.wall_ms, few_cost.cpu_ms, all_cost.wall_ms, all_cost.cpu_ms);
  RecordProperty("scan_ms_few_members", std::to_string(few_cost.wall_ms));
  RecordProperty("scan_ms_all_members", std::to_string(all_cost.wall_ms));
  // Generous bounds: a regression by an order of magnitude, not the machine's mood.
  EXPECT_LT(few_cost.wall_ms, 200);
  EXPECT_LT(all_cost.wall_ms, 2000);
}

}  // namespace
}  // namespace thoth::testing

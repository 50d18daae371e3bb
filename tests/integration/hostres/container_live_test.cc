// The container collector against this machine's real cgroups: its own cgroup read back from the
// files with shell tools, and Docker containers in real cgroups made for the test, named by a
// fake Engine API on a unix socket, through the real exporter binary.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <thread>

#include "collectors/container/container_collector.h"
#include "exporter/http_client.h"
#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/hostres/hostres_util.h"
#include "tests/unit/docker/fake_docker_api.h"

namespace thoth::testing {
namespace {

using namespace std::chrono_literals;

std::string CgroupFsType() { return ShellOut("stat -fc %T /sys/fs/cgroup"); }

// Where a v1 controller is mounted, found by awk rather than by the code under test.
std::string V1Mount(const std::string& controller) {
  return ShellOut("awk '$(NF-2)==\"cgroup\" && $NF ~ /(^|,)" + controller +
                  "(,|$)/ {print $5; exit}' /proc/self/mountinfo");
}

// This process's v1 cgroup path for a controller (children inherit it, so the shell's is ours).
std::string V1Path(const std::string& controller) {
  return ShellOut("awk -F: '$2 ~ /(^|,)" + controller +
                  "(,|$)/ {print $3; exit}' /proc/self/cgroup");
}

std::string Join(const std::string& mount, const std::string& path) {
  return path == "/" ? mount : mount + path;
}

TEST(ContainerLive, OwnCgroupAgreesWithItsFiles) {
  auto c = Build("container", "container: {self: true, docker_socket: \"\"}\n");
  ASSERT_TRUE(c);
  const std::string fstype = CgroupFsType();
  if (fstype == "cgroup2fs") {
    std::string dir = "/sys/fs/cgroup" + ShellOut("awk -F: '$1==0 {print $3}' /proc/self/cgroup");
    double cpu_before = ShellNumber("awk '$1==\"usage_usec\" {print $2}' " + dir + "/cpu.stat");
    MetricSink sink = CollectOnce(*c);
    double cpu_after = ShellNumber("awk '$1==\"usage_usec\" {print $2}' " + dir + "/cpu.stat");
    double cpu = Sample(sink, "container_cpu_usage_seconds_total", {{"name", "self"}});
    EXPECT_GE(cpu * 1e6, cpu_before - 1);
    EXPECT_LE(cpu * 1e6, cpu_after + 1);
    std::string max = ShellOut("cat " + dir + "/memory.max");
    EXPECT_EQ(Sample(sink, "container_spec_memory_limit_bytes", {{"name", "self"}}),
              max == "max" ? 0 : std::stod(max));
    return;
  }
  ASSERT_EQ(fstype, "tmpfs") << "neither cgroup v1 nor v2 at /sys/fs/cgroup";
  std::string mem = Join(V1Mount("memory"), V1Path("memory"));
  std::string acct = Join(V1Mount("cpuacct"), V1Path("cpuacct"));
  std::string cpu = Join(V1Mount("cpu"), V1Path("cpu"));

  double cpu_before = ShellNumber("cat " + acct + "/cpuacct.usage");
  double mem_before = ShellNumber("cat " + mem + "/memory.usage_in_bytes");
  MetricSink sink = CollectOnce(*c);
  double cpu_after = ShellNumber("cat " + acct + "/cpuacct.usage");
  double mem_after = ShellNumber("cat " + mem + "/memory.usage_in_bytes");
  Labels self = {{"name", "self"}};

  // Counters read between two reads of the file lie between them.
  double usage = Sample(sink, "container_cpu_usage_seconds_total", self);
  EXPECT_GE(usage * 1e9, cpu_before - 1000);
  EXPECT_LE(usage * 1e9, cpu_after + 1000);
  // Memory moves a little while the shell tools run; 16 MiB of slack.
  double memory = Sample(sink, "container_memory_usage_bytes", self);
  EXPECT_GE(memory, std::min(mem_before, mem_after) - (16 << 20));
  EXPECT_LE(memory, std::max(mem_before, mem_after) + (16 << 20));
  double inactive =
      ShellNumber("awk '$1==\"total_inactive_file\" {print $2}' " + mem + "/memory.stat");
  double ws = Sample(sink, "container_memory_working_set_bytes", self);
  EXPECT_NEAR(ws, std::max(0.0, memory - inactive), 16 << 20);
  EXPECT_LE(ws, memory);

  double limit = ShellNumber("cat " + mem + "/memory.limit_in_bytes");
  EXPECT_EQ(Sample(sink, "container_spec_memory_limit_bytes", self),
            limit >= 4611686018427387904.0 ? 0 : limit);
  double quota = ShellNumber("cat " + cpu + "/cpu.cfs_quota_us");
  EXPECT_EQ(Sample(sink, "container_spec_cpu_quota", self), quota < 0 ? 0 : quota);
  EXPECT_EQ(Sample(sink, "container_spec_cpu_period", self),
            ShellNumber("cat " + cpu + "/cpu.cfs_period_us"));
  double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  double user_ticks = ShellNumber("awk '$1==\"user\" {print $2}' " + acct + "/cpuacct.stat");
  EXPECT_NEAR(Sample(sink, "container_cpu_user_seconds_total", self), user_ticks / hz, 1.0);
}

// Real v1 cgroups for two containers, one per Docker cgroup driver, removed at the end.
class FakeContainers {
 public:
  ~FakeContainers() {
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
      for (int i = 0; i < 50 && ::rmdir(it->c_str()) != 0 && errno == EBUSY; ++i) {
        std::this_thread::sleep_for(20ms);
      }
    }
  }
  // Creates <mount of each controller>/<path> (and missing parents). False when not permitted.
  bool Make(const std::string& path) {
    for (const char* c : {"memory", "cpu", "cpuacct"}) {
      std::string dir = V1Mount(c);
      if (dir.empty()) return false;
      std::string cur = dir;
      std::size_t pos = 1;
      while (pos <= path.size()) {
        std::size_t next = path.find('/', pos);
        if (next == std::string::npos) next = path.size();
        cur += "/" + path.substr(pos, next - pos);
        if (::mkdir(cur.c_str(), 0755) == 0) {
          created_.push_back(cur);
        } else if (errno != EEXIST) {
          return false;
        }
        pos = next + 1;
      }
    }
    return true;
  }

 private:
  std::vector<std::string> created_;
};

std::string RandomId() {
  std::random_device rd;
  std::mt19937_64 rng(rd());
  char buf[65];
  for (int i = 0; i < 4; ++i) {
    std::snprintf(buf + i * 16, 17, "%016llx", static_cast<unsigned long long>(rng()));
  }
  return std::string(buf, 64);
}

TEST(ContainerLive, DockerContainersInRealCgroupsThroughTheExporter) {
  if (CgroupFsType() != "tmpfs") GTEST_SKIP() << "real-cgroup Docker test is written for v1";
  InitHttpClientLibrary();
  const std::string web = RandomId(), db = RandomId(), gone = RandomId();
  const std::string web_path = "/docker/" + web;                        // cgroupfs driver
  const std::string db_path = "/system.slice/docker-" + db + ".scope";  // systemd driver
  FakeContainers cgroups;
  if (!cgroups.Make(web_path) || !cgroups.Make(db_path)) {
    GTEST_SKIP() << "cannot create cgroups here (not root, or cgroupfs read-only)";
  }
  const std::string mem = V1Mount("memory"), cpu = V1Mount("cpu");
  WriteFile(mem + web_path + "/memory.limit_in_bytes", "268435456");
  WriteFile(cpu + web_path + "/cpu.cfs_quota_us", "50000");
  WriteFile(mem + db_path + "/memory.limit_in_bytes", "134217728");

  // The "web" container's main process: a sleep that joins the cgroup before it starts, so its
  // memory is charged there.
  std::string dir = MakeTempDir("thoth-hostres");
  std::string sleeper = DistinctSleep(dir, "thoth-web-main");
  std::string join;
  for (const char* c : {"memory", "cpu", "cpuacct"}) {
    join += "echo $$ > " + V1Mount(c) + web_path + "/cgroup.procs && ";
  }
  ChildProcess main_process;
  ASSERT_TRUE(
      main_process.Start({"/bin/sh", "-c", join + "exec " + sleeper + " 120"}, dir + "/web.log"));
  // Wait until the exec happened (the cgroup then holds the sleeper).
  for (int i = 0; i < 100; ++i) {
    if (ReadFile("/proc/" + std::to_string(main_process.pid()) + "/comm").rfind("thoth-web", 0) ==
        0) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }

  FakeDockerApi docker;
  const std::string socket = dir + "/docker.sock";
  const pid_t web_pid = main_process.pid();
  ASSERT_TRUE(docker.Start(socket, [&](const std::string& path) -> std::pair<int, std::string> {
    if (path == "/containers/json") {
      return {200, R"([{"Id":")" + web + R"(","Names":["/thoth-web"]},{"Id":")" + db +
                       R"(","Names":["/thoth-db"]},{"Id":")" + gone + R"(","Names":["/gone"]}])"};
    }
    if (path == "/containers/" + web + "/json") {
      return {200, R"({"State":{"Pid":)" + std::to_string(web_pid) + "}}"};
    }
    if (path == "/containers/" + db + "/json") return {200, R"({"State":{"Pid":0}})"};
    return {404, R"({"message":"No such container"})"};
  }));

  ExporterProcess exporter;
  ASSERT_TRUE(
      exporter.Start("container: {self: false, docker_socket: " + socket + "}\nfilesystem: []\n"))
      << exporter.Log();
  std::string text = exporter.Metrics();
  EXPECT_EQ(SampleValue(text, "container_spec_memory_limit_bytes", {{"name", "thoth-web"}}),
            268435456);
  EXPECT_EQ(SampleValue(text, "container_spec_cpu_quota", {{"name", "thoth-web"}}), 50000);
  EXPECT_EQ(SampleValue(text, "container_spec_cpu_period", {{"name", "thoth-web"}}),
            ShellNumber("cat " + cpu + web_path + "/cpu.cfs_period_us"));
  double web_usage = ShellNumber("cat " + mem + web_path + "/memory.usage_in_bytes");
  EXPECT_GT(web_usage, 0);
  EXPECT_NEAR(SampleValue(text, "container_memory_usage_bytes", {{"name", "thoth-web"}}), web_usage,
              1 << 20);
  EXPECT_EQ(SampleValue(text, "container_spec_memory_limit_bytes", {{"name", "thoth-db"}}),
            134217728);
  EXPECT_EQ(SampleValue(text, "container_memory_usage_bytes", {{"name", "thoth-db"}}),
            ShellNumber("cat " + mem + db_path + "/memory.usage_in_bytes"));
  EXPECT_TRUE(std::isnan(SampleValue(text, "container_memory_usage_bytes", {{"name", "gone"}})));
  EXPECT_EQ(SampleValue(text, "thoth_exporter_collector_success", {{"collector", "container"}}), 1);
  auto requests = docker.Requests();
  EXPECT_NE(std::find(requests.begin(), requests.end(), "/containers/" + web + "/json"),
            requests.end());

  // The socket goes away: one log line, and the exporter keeps serving.
  docker.Stop();
  std::string after = exporter.Metrics();
  after = exporter.Metrics();
  EXPECT_EQ(SampleValue(after, "thoth_exporter_collector_success", {{"collector", "container"}}),
            1);
  std::string log = exporter.Log();
  std::size_t first = log.find("Docker containers are not reported");
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("Docker containers are not reported", first + 1), std::string::npos) << log;

  exporter.Stop();
  main_process.Stop(9);
  RemoveTree(dir);
}

}  // namespace
}  // namespace thoth::testing

#include "collectors/container/container_collector.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "exporter/config_reader.h"
#include "exporter/http_client.h"
#include "exporter/registry.h"
#include "tests/test_fixtures.h"
#include "tests/unit/docker/fake_docker_api.h"

namespace thoth::container {
namespace {

using namespace std::chrono_literals;

std::string Id(const std::string& pair) {
  std::string id;
  for (int i = 0; i < 32; ++i) id += pair;
  return id;
}

std::string FixtureRoot(const std::string& version) {
  return std::string(THOTH_FIXTURES_DIR) + "/container/" + version;
}

// A socket path short enough for sockaddr_un, in a fresh directory.
class SocketDir {
 public:
  SocketDir() {
    char tmpl[] = "/tmp/thoth-docker-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~SocketDir() { std::filesystem::remove_all(dir_); }
  std::string socket() const { return dir_ + "/docker.sock"; }

 private:
  std::string dir_;
};

ScrapeContext Deadline(std::chrono::milliseconds ms) { return {Clock::now() + ms}; }

// Docker as the fixtures describe it: web (cgroupfs driver, found through its pid), db
// (systemd driver, no pid), ghost (its pid's cgroup is someone else's and no driver path
// exists) and an entry whose id is a path.
testing::FakeDockerApi::Handler V1Docker() {
  return [](const std::string& path) -> std::pair<int, std::string> {
    if (path == "/containers/json") {
      return {200, R"([{"Id":")" + Id("a1") + R"(","Names":["/web"]},
                       {"Id":")" +
                       Id("b2") + R"(","Names":["/db"]},
                       {"Id":")" +
                       Id("e5") + R"(","Names":["/ghost"]},
                       {"Id":"../../../../etc","Names":["/evil"]}])"};
    }
    if (path == "/containers/" + Id("a1") + "/json") {
      return {200, R"({"State":{"Pid":4242},"HostConfig":{"CgroupParent":""}})"};
    }
    if (path == "/containers/" + Id("b2") + "/json") {
      return {200, R"({"State":{"Pid":0},"HostConfig":{"CgroupParent":""}})"};
    }
    if (path == "/containers/" + Id("e5") + "/json") {
      return {200, R"({"State":{"Pid":4343},"HostConfig":{}})"};
    }
    return {404, R"({"message":"no such container"})"};
  };
}

class ContainerCollectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitHttpClientLibrary(); }
};

TEST_F(ContainerCollectorTest, V1FixtureTreeWithDockerBothDrivers) {
  SocketDir dir;
  testing::FakeDockerApi docker;
  ASSERT_TRUE(docker.Start(dir.socket(), V1Docker()));
  ContainerConfig config;
  config.docker_socket = dir.socket();
  config.cgroups = {{"postgres", "/system.slice/postgresql.service"}};
  auto c = MakeContainerCollector(config, {FixtureRoot("v1"), "tmpfs"}, "fp");
  EXPECT_EQ(c->Target(), "container");
  EXPECT_EQ(c->TargetLabel(), "");

  MetricSink sink;
  Status s = c->Collect(Deadline(5s), sink);
  ASSERT_TRUE(s.ok()) << s.message();

  // Own container, from the fixture's /proc/self/cgroup.
  EXPECT_DOUBLE_EQ(Value(sink, "container_cpu_usage_seconds_total", {{"name", "self"}}), 12.5);
  double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  EXPECT_DOUBLE_EQ(Value(sink, "container_cpu_user_seconds_total", {{"name", "self"}}), 800 / hz);
  EXPECT_DOUBLE_EQ(Value(sink, "container_memory_usage_bytes", {{"name", "self"}}), 104857600);
  EXPECT_DOUBLE_EQ(Value(sink, "container_memory_working_set_bytes", {{"name", "self"}}), 83886080);
  EXPECT_DOUBLE_EQ(Value(sink, "container_spec_memory_limit_bytes", {{"name", "self"}}), 0);
  EXPECT_DOUBLE_EQ(Value(sink, "container_spec_cpu_quota", {{"name", "self"}}), 0);

  // Docker, cgroupfs driver, through the pid's cgroup file.
  EXPECT_DOUBLE_EQ(Value(sink, "container_cpu_usage_seconds_total", {{"name", "web"}}), 3);
  EXPECT_DOUBLE_EQ(Value(sink, "container_cpu_cfs_throttled_periods_total", {{"name", "web"}}), 25);
  EXPECT_DOUBLE_EQ(Value(sink, "container_cpu_cfs_throttled_seconds_total", {{"name", "web"}}),
                   1.5);
  EXPECT_DOUBLE_EQ(Value(sink, "container_spec_cpu_quota", {{"name", "web"}}), 50000);
  EXPECT_DOUBLE_EQ(Value(sink, "container_spec_cpu_period", {{"name", "web"}}), 100000);
  EXPECT_DOUBLE_EQ(Value(sink, "container_spec_memory_limit_bytes", {{"name", "web"}}), 536870912);
  EXPECT_DOUBLE_EQ(Value(sink, "container_memory_working_set_bytes", {{"name", "web"}}), 0);
  EXPECT_DOUBLE_EQ(Value(sink, "container_oom_events_total", {{"name", "web"}}), 2);

  // Docker, systemd driver, by its scope path.
  EXPECT_DOUBLE_EQ(Value(sink, "container_memory_usage_bytes", {{"name", "db"}}), 1073741824);
  EXPECT_DOUBLE_EQ(Value(sink, "container_memory_working_set_bytes", {{"name", "db"}}), 1000000000);
  EXPECT_DOUBLE_EQ(Value(sink, "container_memory_rss", {{"name", "db"}}), 900000000);
  EXPECT_FALSE(
      Has(sink, "container_oom_events_total", {{"name", "db"}}));  // old kernel: no oom_kill

  // Configured cgroup with damaged files: what is readable, nothing invented.
  EXPECT_DOUBLE_EQ(Value(sink, "container_cpu_usage_seconds_total", {{"name", "postgres"}}), 1);
  EXPECT_FALSE(Has(sink, "container_memory_rss", {{"name", "postgres"}}));

  EXPECT_FALSE(Has(sink, "container_memory_usage_bytes", {{"name", "ghost"}}));
  EXPECT_FALSE(Has(sink, "container_memory_usage_bytes", {{"name", "evil"}}));
  for (const auto& r : docker.Requests()) EXPECT_EQ(r.find(".."), std::string::npos) << r;

  // A second scrape lists again but inspects only what it has not resolved yet (ghost).
  std::size_t before = docker.Requests().size();
  MetricSink again;
  ASSERT_TRUE(c->Collect(Deadline(5s), again).ok());
  auto requests = docker.Requests();
  std::vector<std::string> second(requests.begin() + static_cast<long>(before), requests.end());
  EXPECT_EQ(second,
            (std::vector<std::string>{"/containers/json", "/containers/" + Id("e5") + "/json"}));
  EXPECT_DOUBLE_EQ(Value(again, "container_cpu_usage_seconds_total", {{"name", "web"}}), 3);
}

TEST_F(ContainerCollectorTest, V2FixtureTreeWithDockerBothDrivers) {
  SocketDir dir;
  testing::FakeDockerApi docker;
  ASSERT_TRUE(
      docker.Start(dir.socket(), [](const std::string& path) -> std::pair<int, std::string> {
        if (path == "/containers/json") {
          return {200, R"([{"Id":")" + Id("c3") + R"(","Names":["/cache"]},
                       {"Id":")" +
                           Id("d4") + R"(","Names":["/api"]}])"};
        }
        if (path == "/containers/" + Id("c3") + "/json") return {200, R"({"State":{"Pid":5151}})"};
        return {200, R"({"State":{"Pid":0},"HostConfig":{"CgroupParent":"system.slice"}})"};
      }));
  ContainerConfig config;
  config.self_name = "thoth-exporter";
  config.docker_socket = dir.socket();
  auto c = MakeContainerCollector(config, {FixtureRoot("v2"), "cgroup2"}, "fp");
  MetricSink sink;
  Status s = c->Collect(Deadline(5s), sink);
  ASSERT_TRUE(s.ok()) << s.message();

  EXPECT_DOUBLE_EQ(Value(sink, "container_cpu_usage_seconds_total", {{"name", "thoth-exporter"}}),
                   2.5);
  EXPECT_DOUBLE_EQ(Value(sink, "container_cpu_system_seconds_total", {{"name", "thoth-exporter"}}),
                   0.5);
  EXPECT_DOUBLE_EQ(Value(sink, "container_spec_memory_limit_bytes", {{"name", "thoth-exporter"}}),
                   0);
  EXPECT_DOUBLE_EQ(Value(sink, "container_memory_working_set_bytes", {{"name", "thoth-exporter"}}),
                   67108864 - 8388608);
  EXPECT_DOUBLE_EQ(Value(sink, "container_memory_cache", {{"name", "thoth-exporter"}}), 25165824);

  EXPECT_DOUBLE_EQ(Value(sink, "container_spec_memory_limit_bytes", {{"name", "cache"}}),
                   268435456);
  EXPECT_DOUBLE_EQ(Value(sink, "container_spec_cpu_quota", {{"name", "cache"}}), 50000);
  EXPECT_DOUBLE_EQ(Value(sink, "container_cpu_cfs_throttled_seconds_total", {{"name", "cache"}}),
                   0.25);
  EXPECT_DOUBLE_EQ(Value(sink, "container_memory_swap", {{"name", "cache"}}), 1048576);
  EXPECT_DOUBLE_EQ(Value(sink, "container_oom_events_total", {{"name", "cache"}}), 1);

  EXPECT_DOUBLE_EQ(Value(sink, "container_memory_usage_bytes", {{"name", "api"}}), 10485760);
  EXPECT_DOUBLE_EQ(Value(sink, "container_memory_working_set_bytes", {{"name", "api"}}), 9485760);
  EXPECT_FALSE(Has(sink, "container_memory_swap", {{"name", "api"}}));  // no memory.swap.current

  std::string text = SerializeText(sink.families());
  EXPECT_NE(text.find("# TYPE container_cpu_usage_seconds_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE container_memory_usage_bytes gauge"), std::string::npos);
  EXPECT_EQ(text.find("target="), std::string::npos);
}

TEST_F(ContainerCollectorTest, NoDockerSocketStillReportsTheRest) {
  ContainerConfig config;
  config.docker_socket = "/nonexistent/docker.sock";
  auto c = MakeContainerCollector(config, {FixtureRoot("v1"), "tmpfs"}, "fp");
  for (int i = 0; i < 2; ++i) {
    MetricSink sink;
    Status s = c->Collect(Deadline(5s), sink);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_DOUBLE_EQ(Value(sink, "container_memory_usage_bytes", {{"name", "self"}}), 104857600);
  }
}

TEST_F(ContainerCollectorTest, LyingDockerStillReportsTheRest) {
  for (auto answer : std::vector<std::pair<int, std::string>>{
           {500, R"({"message":"boom"})"}, {200, "{not json"}, {200, R"({"a":1})"}}) {
    SocketDir dir;
    testing::FakeDockerApi docker;
    ASSERT_TRUE(docker.Start(dir.socket(), [answer](const std::string&) { return answer; }));
    ContainerConfig config;
    config.docker_socket = dir.socket();
    auto c = MakeContainerCollector(config, {FixtureRoot("v1"), "tmpfs"}, "fp");
    MetricSink sink;
    Status s = c->Collect(Deadline(5s), sink);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_DOUBLE_EQ(Value(sink, "container_memory_usage_bytes", {{"name", "self"}}), 104857600);
    for (const auto& f : sink.families()) {  // self only
      for (size_t i = 0; i < f.size(); ++i)
        EXPECT_EQ(f.SampleLabels(i).at(0).second, "self") << f.name;
    }
  }
}

TEST_F(ContainerCollectorTest, HungDockerDoesNotHoldTheScrapePastItsDeadline) {
  SocketDir dir;
  testing::FakeDockerApi docker;
  ASSERT_TRUE(docker.Start(dir.socket(), [](const std::string&) {
    std::this_thread::sleep_for(1500ms);
    return std::pair<int, std::string>{200, "[]"};
  }));
  ContainerConfig config;
  config.docker_socket = dir.socket();
  auto c = MakeContainerCollector(config, {FixtureRoot("v1"), "tmpfs"}, "fp");
  MetricSink sink;
  auto start = Clock::now();
  Status s = c->Collect(Deadline(800ms), sink);
  auto took = Clock::now() - start;
  EXPECT_LT(took, 800ms);  // Docker had about half of it
  EXPECT_GE(took, 300ms);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_DOUBLE_EQ(Value(sink, "container_memory_usage_bytes", {{"name", "self"}}), 104857600);
}

TEST_F(ContainerCollectorTest, UnreadableConfiguredCgroupFailsButReportsOthers) {
  ContainerConfig config;
  config.docker_socket = "";
  config.cgroups = {{"gone", "/system.slice/gone.service"}};
  auto c = MakeContainerCollector(config, {FixtureRoot("v1"), "tmpfs"}, "fp");
  MetricSink sink;
  Status s = c->Collect(Deadline(5s), sink);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("gone"), std::string::npos) << s.message();
  EXPECT_DOUBLE_EQ(Value(sink, "container_memory_usage_bytes", {{"name", "self"}}), 104857600);

  // Hostile v2 files: nothing usable, a failure naming it, no invented numbers.
  config.cgroups = {{"postgres", "/system.slice/postgresql.service"}};
  auto v2 = MakeContainerCollector(config, {FixtureRoot("v2"), "cgroup2"}, "fp");
  MetricSink sink2;
  s = v2->Collect(Deadline(5s), sink2);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("postgres"), std::string::npos) << s.message();
  EXPECT_FALSE(Has(sink2, "container_cpu_user_seconds_total", {{"name", "postgres"}}));
}

TEST_F(ContainerCollectorTest, SameNameFromTwoSourcesIsReportedOnce) {
  SocketDir dir;
  testing::FakeDockerApi docker;
  ASSERT_TRUE(docker.Start(dir.socket(), V1Docker()));
  ContainerConfig config;
  config.docker_socket = dir.socket();
  config.cgroups = {{"web", "/system.slice/postgresql.service"}};
  auto c = MakeContainerCollector(config, {FixtureRoot("v1"), "tmpfs"}, "fp");
  MetricSink sink;
  ASSERT_TRUE(c->Collect(Deadline(5s), sink).ok());
  int count = 0;
  for (const auto& f : sink.families()) {
    if (f.name != "container_cpu_usage_seconds_total") continue;
    for (size_t i = 0; i < f.size(); ++i) {
      for (const auto& [k, v] : f.SampleLabels(i)) count += k == "name" && v == "web";
    }
  }
  EXPECT_EQ(count, 1);
  // The configured one comes first.
  EXPECT_DOUBLE_EQ(Value(sink, "container_cpu_usage_seconds_total", {{"name", "web"}}), 1);
}

TEST_F(ContainerCollectorTest, ChecksGradeWorkingSetAgainstLimitOrHostMemory) {
  SocketDir dir;
  testing::FakeDockerApi docker;
  ASSERT_TRUE(docker.Start(dir.socket(), V1Docker()));
  ContainerConfig config;
  config.docker_socket = dir.socket();
  auto c = MakeContainerCollector(config, {FixtureRoot("v1"), "tmpfs"}, "fp");
  MetricSink sink;
  ASSERT_TRUE(c->Collect(Deadline(5s), sink).ok());
  Thresholds t;
  t.memory_usage_ratio = {0.40, 0.45};
  std::vector<HealthCheck> rows;
  c->Checks(sink.families(), true, t, rows);
  std::map<std::string, HealthCheck> by_target;
  for (const auto& r : rows) by_target[r.target] = r;
  ASSERT_EQ(by_target.size(), 3u);
  // db: 1e9 of 2 GiB = 46.6% > 45%.
  EXPECT_EQ(by_target["db"].status, Severity::kCritical);
  EXPECT_NE(by_target["db"].value.find("limit"), std::string::npos) << by_target["db"].value;
  EXPECT_EQ(by_target["web"].status, Severity::kOk);
  // self is unlimited: 80 MiB of the fixture host's 8,000,000 kB.
  EXPECT_EQ(by_target["self"].status, Severity::kOk);
  EXPECT_NE(by_target["self"].value.find("host memory"), std::string::npos);
  t.memory_usage_ratio = {0.005, 0.5};
  rows.clear();
  c->Checks(sink.families(), true, t, rows);
  for (const auto& r : rows) {
    if (r.target == "self") {
      EXPECT_EQ(r.status, Severity::kWarning) << r.value;
    }
  }
}

std::vector<std::shared_ptr<Collector>> FromYaml(const std::string& yaml) {
  return BuildCollectors("container", ParseYaml(yaml, "test.yml"), CollectorEnv{});
}

TEST_F(ContainerCollectorTest, Config) {
  auto none = FromYaml("exporter: {}\n");
  ASSERT_EQ(none.size(), 1u);  // self stays on without a section
  EXPECT_EQ(none[0]->Kind(), "container");
  EXPECT_EQ(FromYaml("container: {self: false, docker_socket: \"\"}\n").size(), 0u);
  EXPECT_EQ(FromYaml("container: {self: false, cgroups: [/system.slice/x.service]}\n").size(), 1u);
  EXPECT_EQ(FromYaml("container: {self: api, cgroups: [{name: db, path: /db}]}\n").size(), 1u);
  EXPECT_THROW(FromYaml("container: {self: true, socket: /x}\n"), ConfigError);
  EXPECT_THROW(FromYaml("container: {cgroups: [/a/../../etc]}\n"), ConfigError);
  EXPECT_THROW(FromYaml("container: {cgroups: [relative]}\n"), ConfigError);
  EXPECT_THROW(FromYaml("container: {cgroups: [/a, /a]}\n"), ConfigError);
  EXPECT_THROW(FromYaml("container: {cgroups: [{name: self, path: /a}]}\n"), ConfigError);
  EXPECT_THROW(FromYaml("container: {docker_socket: relative.sock}\n"), ConfigError);
  EXPECT_THROW(FromYaml("container: [1]\n"), ConfigError);
}

}  // namespace
}  // namespace thoth::container

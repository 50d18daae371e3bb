#include "collectors/container/cgroup_parser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/test_fixtures.h"

namespace thoth {
namespace {

TEST(CgroupParser, SingleNumbers) {
  EXPECT_EQ(ParseCgroupUnsigned("5132288\n"), 5132288u);
  EXPECT_EQ(ParseCgroupUnsigned("9223372036854771712\n"), 9223372036854771712u);
  EXPECT_EQ(ParseCgroupSigned("-1\n"), -1);
  EXPECT_FALSE(ParseCgroupUnsigned(""));
  EXPECT_FALSE(ParseCgroupUnsigned("\n"));
  EXPECT_FALSE(ParseCgroupUnsigned("-5\n"));
  EXPECT_FALSE(ParseCgroupUnsigned("12 34\n"));
  EXPECT_FALSE(ParseCgroupUnsigned("18446744073709551616"));  // 2^64 overflows
  EXPECT_FALSE(ParseCgroupUnsigned("max"));
  EXPECT_FALSE(ParseCgroupSigned("1e3"));
}

TEST(CgroupParser, FlatKeyedSkipsDamagedLines) {
  auto m = ParseFlatKeyed(
      "total_inactive_file 10000000\n\x01\x02garbage line\ntotal_rss abc\ntotal_cache 40000000\n"
      "total_cache 1\n nr_periods   7 \nlonely\n 5\nthrottled_time 18446744073709551616\nlast 9");
  EXPECT_EQ(m.at("total_inactive_file"), 10000000u);
  EXPECT_EQ(m.at("total_cache"), 40000000u);  // a repeated key keeps the first value
  EXPECT_EQ(m.at("nr_periods"), 7u);
  EXPECT_EQ(m.at("last"), 9u);  // no final newline
  EXPECT_EQ(m.count("total_rss"), 0u);
  EXPECT_EQ(m.count("lonely"), 0u);
  EXPECT_EQ(m.count("throttled_time"), 0u);
  EXPECT_TRUE(ParseFlatKeyed("").empty());
  EXPECT_TRUE(ParseFlatKeyed(std::string(1000, '\n')).empty());
}

TEST(CgroupParser, V2LimitsAndCpuMax) {
  auto unlimited = ParseCgroupLimit("max\n");
  ASSERT_TRUE(unlimited);
  EXPECT_TRUE(unlimited->unlimited);
  auto limit = ParseCgroupLimit("268435456\n");
  ASSERT_TRUE(limit);
  EXPECT_FALSE(limit->unlimited);
  EXPECT_EQ(limit->value, 268435456u);
  EXPECT_FALSE(ParseCgroupLimit("max max"));
  EXPECT_FALSE(ParseCgroupLimit(""));

  auto cpu = ParseCpuMax("50000 100000\n");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(cpu->quota_us.value, 50000u);
  EXPECT_EQ(cpu->period_us, 100000u);
  auto cpu_unlimited = ParseCpuMax("max 100000\n");
  ASSERT_TRUE(cpu_unlimited);
  EXPECT_TRUE(cpu_unlimited->quota_us.unlimited);
  EXPECT_FALSE(ParseCpuMax("garbage\n"));
  EXPECT_FALSE(ParseCpuMax("max"));
  EXPECT_FALSE(ParseCpuMax("50000 max"));
}

TEST(CgroupParser, ProcCgroupV1AndV2) {
  ProcCgroups v1 = ParseProcCgroup(Fixture("container/v1/proc/self/cgroup"));
  EXPECT_EQ(v1.v1.at("memory"), "/thoth/exporter");
  EXPECT_EQ(v1.v1.at("cpu"), "/thoth/exporter");
  EXPECT_EQ(v1.v1.at("cpuacct"), "/thoth/exporter");
  EXPECT_EQ(v1.v1.at("name=systemd"), "/thoth/exporter");
  ASSERT_TRUE(v1.unified);
  EXPECT_EQ(*v1.unified, "/thoth/exporter");

  ProcCgroups v2 = ParseProcCgroup(Fixture("container/v2/proc/self/cgroup"));
  EXPECT_TRUE(v2.v1.empty());
  ASSERT_TRUE(v2.unified);
  EXPECT_EQ(*v2.unified, "/system.slice/thoth-exporter.service");
}

TEST(CgroupParser, ProcCgroupRejectsHostileLines) {
  ProcCgroups pc = ParseProcCgroup(
      "4:memory:/../../etc\n"      // escapes the mount
      "x:cpu:/a\n"                 // hierarchy id not a number
      "3:cpuacct:relative/path\n"  // not absolute
      "2:pids\n"                   // cut
      "5:blkio:/a/./b\n"
      "6:devices:/ok/path:with:colons\n"
      "0::/\n");
  EXPECT_EQ(pc.v1.count("memory"), 0u);
  EXPECT_EQ(pc.v1.count("cpu"), 0u);
  EXPECT_EQ(pc.v1.count("cpuacct"), 0u);
  EXPECT_EQ(pc.v1.count("pids"), 0u);
  EXPECT_EQ(pc.v1.count("blkio"), 0u);
  EXPECT_EQ(pc.v1.at("devices"), "/ok/path:with:colons");
  EXPECT_EQ(pc.unified.value_or("?"), "/");
  EXPECT_TRUE(ParseProcCgroup("").v1.empty());
}

TEST(CgroupParser, SafePaths) {
  EXPECT_TRUE(IsSafeCgroupPath("/"));
  EXPECT_TRUE(IsSafeCgroupPath("/system.slice/docker-ab.scope"));
  EXPECT_TRUE(IsSafeCgroupPath("/a..b/.c"));
  EXPECT_FALSE(IsSafeCgroupPath(""));
  EXPECT_FALSE(IsSafeCgroupPath("docker/x"));
  EXPECT_FALSE(IsSafeCgroupPath("/docker/.."));
  EXPECT_FALSE(IsSafeCgroupPath("/../x"));
  EXPECT_FALSE(IsSafeCgroupPath("/a/./b"));
  EXPECT_FALSE(IsSafeCgroupPath(std::string("/a\0b", 4)));
}

TEST(CgroupParser, DetectsV1FromFixtureMounts) {
  auto layout =
      DetectCgroupLayout(ParseMountInfo(Fixture("container/v1/proc/self/mountinfo")), "tmpfs");
  ASSERT_TRUE(layout);
  EXPECT_FALSE(layout->v2);  // hybrid: a cgroup2 mount exists, but /sys/fs/cgroup is tmpfs
  EXPECT_EQ(layout->v1.at("cpu").mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(layout->v1.at("cpuacct").mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(layout->v1.at("memory").mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(layout->v1.count("pids"), 0u);
}

TEST(CgroupParser, DetectsV2FromFixtureMounts) {
  auto layout =
      DetectCgroupLayout(ParseMountInfo(Fixture("container/v2/proc/self/mountinfo")), "cgroup2");
  ASSERT_TRUE(layout);
  EXPECT_TRUE(layout->v2);
  EXPECT_EQ(layout->unified.mount_point, "/sys/fs/cgroup");
  // Told cgroup2 but no cgroup2 mount: nothing to read.
  auto mounts = ParseMountInfo(Fixture("container/v1/proc/self/mountinfo"));
  std::erase_if(mounts, [](const MountInfo& m) { return m.fstype == "cgroup2"; });
  EXPECT_FALSE(DetectCgroupLayout(mounts, "cgroup2"));
  EXPECT_FALSE(DetectCgroupLayout({}, "tmpfs"));
}

TEST(CgroupParser, CgroupDirInsideAContainer) {
  // A v1 mount inside a container shows the container's own cgroup as the mount root.
  CgroupMount mount{"/sys/fs/cgroup/memory", "/docker/abc"};
  EXPECT_EQ(CgroupDir(mount, "/docker/abc").value_or("?"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(CgroupDir(mount, "/docker/abc/sub").value_or("?"), "/sys/fs/cgroup/memory/sub");
  EXPECT_FALSE(CgroupDir(mount, "/docker/abcd"));  // a sibling that merely shares the prefix
  EXPECT_FALSE(CgroupDir(mount, "/docker/other"));
  EXPECT_FALSE(CgroupDir(mount, "/docker/abc/../other"));
  CgroupMount host{"/sys/fs/cgroup", "/"};
  EXPECT_EQ(CgroupDir(host, "/").value_or("?"), "/sys/fs/cgroup");
  EXPECT_EQ(CgroupDir(host, "/a/b/").value_or("?"), "/sys/fs/cgroup/a/b");
}

}  // namespace
}  // namespace thoth

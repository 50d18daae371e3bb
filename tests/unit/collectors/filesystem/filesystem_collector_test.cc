#include "collectors/filesystem/filesystem_collector.h"

#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include <chrono>

#include "exporter/config_reader.h"
#include "exporter/registry.h"

namespace thoth::filesystem {
namespace {

using namespace std::chrono_literals;

std::string FixtureProc() { return std::string(THOTH_FIXTURES_DIR) + "/filesystem/proc"; }

ScrapeContext Deadline() { return {Clock::now() + 5s}; }

std::size_t Samples(const MetricSink& sink, const std::string& name) {
  for (const auto& f : sink.families()) {
    if (f.name == name) return f.size();
  }
  return 0;
}

TEST(FilesystemCollector, LabelsFromMountinfoAndMemoryFromMeminfo) {
  // The fixture's mountinfo says / is /dev/vda1 (ext4); statvfs is the real one of /.
  auto c = MakeFilesystemCollector({"/", "/nonexistent/backups"}, FixtureProc(), "fp");
  EXPECT_EQ(c->Target(), "filesystem");
  EXPECT_EQ(c->TargetLabel(), "");
  MetricSink sink;
  Status s = c->Collect(Deadline(), sink);
  ASSERT_TRUE(s.ok()) << s.message();
  Labels root = {{"device", "/dev/vda1"}, {"fstype", "ext4"}, {"mountpoint", "/"}};
  double size = 0, files = 0, error = -1;
  ASSERT_TRUE(FindSample(sink.families(), "node_filesystem_size_bytes", root, &size));
  ASSERT_TRUE(FindSample(sink.families(), "node_filesystem_files", root, &files));
  ASSERT_TRUE(FindSample(sink.families(), "node_filesystem_device_error", root, &error));
  struct statvfs st;
  ASSERT_EQ(::statvfs("/", &st), 0);
  EXPECT_EQ(size, static_cast<double>(st.f_blocks) * static_cast<double>(st.f_frsize));
  EXPECT_EQ(files, static_cast<double>(st.f_files));
  EXPECT_EQ(error, 0);
  EXPECT_EQ(Samples(sink, "node_filesystem_size_bytes"), 1u);  // the missing path: no series

  double total = 0, available = 0;
  ASSERT_TRUE(FindSample(sink.families(), "node_memory_MemTotal_bytes", {}, &total));
  ASSERT_TRUE(FindSample(sink.families(), "node_memory_MemAvailable_bytes", {}, &available));
  EXPECT_EQ(total, 24684084.0 * 1024);
  EXPECT_EQ(available, 23954744.0 * 1024);
  EXPECT_EQ(SerializeText(sink.families()).find("target="), std::string::npos);

  std::vector<HealthCheck> rows;
  c->Checks(sink.families(), true, Thresholds{}, rows);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].target, "/");
  EXPECT_EQ(rows[0].check, "space");
  EXPECT_NE(rows[0].status, Severity::kUnknown);  // graded on this machine's real free space
  EXPECT_EQ(rows[1].check, "memory");
  // The fixture's meminfo: 23954744 of 24684084 kB available, 3 % used.
  EXPECT_EQ(rows[1].status, Severity::kOk);
  EXPECT_NE(rows[1].value.find("3% used"), std::string::npos) << rows[1].value;
}

// One mount of `size` bytes with `avail` available, and host memory.
MetricSink Sample(double size, double avail, double mem_total, double mem_avail) {
  MetricSink sink;
  Labels root = {{"device", "/dev/vda1"}, {"fstype", "ext4"}, {"mountpoint", "/"}};
  sink.Gauge("node_filesystem_size_bytes", "h", root, size);
  sink.Gauge("node_filesystem_avail_bytes", "h", root, avail);
  sink.Gauge("node_filesystem_free_bytes", "h", root, avail);
  sink.Gauge("node_filesystem_device_error", "h", root, 0);
  sink.Gauge("node_memory_MemTotal_bytes", "h", {}, mem_total);
  sink.Gauge("node_memory_MemAvailable_bytes", "h", {}, mem_avail);
  return sink;
}

Severity SpaceOf(double free_ratio) {
  std::vector<HealthCheck> rows;
  FilesystemChecks(Sample(1000, 1000 * free_ratio, 100, 100).families(), Thresholds{}, rows);
  EXPECT_EQ(rows.size(), 2u);
  return rows.at(0).status;
}

Severity MemoryOf(double used_ratio) {
  std::vector<HealthCheck> rows;
  FilesystemChecks(Sample(1000, 1000, 1000, 1000 * (1 - used_ratio)).families(), Thresholds{},
                   rows);
  EXPECT_EQ(rows.size(), 2u);
  return rows.at(1).status;
}

TEST(FilesystemChecks, DiskFreeSpaceIsGradedLikeDiskSpaceLow) {
  // DiskSpaceLow: below 10 % free warning, below 5 % critical.
  EXPECT_EQ(SpaceOf(0.50), Severity::kOk);
  EXPECT_EQ(SpaceOf(0.10), Severity::kOk);
  EXPECT_EQ(SpaceOf(0.099), Severity::kWarning);
  EXPECT_EQ(SpaceOf(0.05), Severity::kWarning);
  EXPECT_EQ(SpaceOf(0.049), Severity::kCritical);
  EXPECT_EQ(SpaceOf(0), Severity::kCritical);
  Thresholds custom;
  custom.disk_free_ratio = {0.30, 0.20};
  std::vector<HealthCheck> rows;
  FilesystemChecks(Sample(1000, 250, 100, 100).families(), custom, rows);
  EXPECT_EQ(rows.at(0).status, Severity::kWarning);
  EXPECT_EQ(rows.at(0).threshold, "< 30% free warn, < 20% free crit");
  EXPECT_NE(rows.at(0).value.find("25% free"), std::string::npos) << rows.at(0).value;
}

TEST(FilesystemChecks, HostMemoryIsGradedLikeHostMemoryHigh) {
  // HostMemoryHigh: above 70 % used warning, above 90 % critical.
  EXPECT_EQ(MemoryOf(0.5), Severity::kOk);
  EXPECT_EQ(MemoryOf(0.70), Severity::kOk);
  EXPECT_EQ(MemoryOf(0.71), Severity::kWarning);
  EXPECT_EQ(MemoryOf(0.90), Severity::kWarning);
  EXPECT_EQ(MemoryOf(0.91), Severity::kCritical);
}

TEST(FilesystemChecks, WhatCannotBeJudgedIsNeverOk) {
  std::vector<HealthCheck> rows;
  MetricSink only_size;
  only_size.Gauge("node_filesystem_size_bytes", "h", {{"mountpoint", "/data"}}, 100);
  FilesystemChecks(only_size.families(), Thresholds{}, rows);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, Severity::kUnknown);  // no available bytes
  EXPECT_EQ(rows[1].status, Severity::kUnknown);  // no meminfo
  rows.clear();
  MetricSink broken;
  broken.Gauge("node_filesystem_device_error", "h", {{"mountpoint", "/data"}}, 1);
  FilesystemChecks(broken.families(), Thresholds{}, rows);
  ASSERT_GE(rows.size(), 1u);
  EXPECT_EQ(rows[0].target, "/data");
  EXPECT_EQ(rows[0].status, Severity::kCritical);
  rows.clear();
  FilesystemChecks({}, Thresholds{}, rows);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, Severity::kUnknown);
}

TEST(FilesystemCollector, PathsOnOneMountAreReportedOnce) {
  auto c = MakeFilesystemCollector({"/", "/usr", "/etc"}, FixtureProc(), "fp");
  MetricSink sink;
  ASSERT_TRUE(c->Collect(Deadline(), sink).ok());
  // In the fixture's mountinfo all three are on /.
  EXPECT_EQ(Samples(sink, "node_filesystem_avail_bytes"), 1u);
}

TEST(FilesystemCollector, UnreadableMeminfoIsAFailure) {
  auto c = MakeFilesystemCollector({"/"}, "/nonexistent", "fp");
  MetricSink sink;
  EXPECT_FALSE(c->Collect(Deadline(), sink).ok());
}

std::vector<std::shared_ptr<Collector>> FromYaml(const std::string& yaml) {
  return BuildCollectors("filesystem", ParseYaml(yaml, "test.yml"), CollectorEnv{});
}

TEST(FilesystemCollector, Config) {
  auto defaults = FromYaml("exporter: {}\n");
  ASSERT_EQ(defaults.size(), 1u);  // `/` stays on without a section
  MetricSink sink;
  ASSERT_TRUE(defaults[0]->Collect(Deadline(), sink).ok());
  double v;
  EXPECT_TRUE(FindSample(sink.families(), "node_filesystem_size_bytes", {{"mountpoint", "/"}}, &v));

  EXPECT_TRUE(FromYaml("filesystem: []\n").empty());
  EXPECT_TRUE(FromYaml("filesystem:\n").empty());
  EXPECT_EQ(FromYaml("filesystem: [/, /var/lib/postgresql, /backups]\n").size(), 1u);
  EXPECT_THROW(FromYaml("filesystem: [relative]\n"), ConfigError);
  EXPECT_THROW(FromYaml("filesystem: {path: /}\n"), ConfigError);
  EXPECT_THROW(FromYaml("filesystem: [[/]]\n"), ConfigError);
}

}  // namespace
}  // namespace thoth::filesystem

// All four host collectors through the real exporter binary: /metrics values, promtool's lint,
// and the --once report.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>

#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/hostres/hostres_util.h"

namespace thoth::testing {
namespace {

void Touch(const std::string& path, std::size_t size, time_t mtime) {
  WriteFile(path, std::string(size, 'b'));
  timespec times[2] = {{mtime, 0}, {mtime, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

TEST(HostResourcesEndToEnd, MetricsPromtoolAndOnce) {
  std::string dir = MakeTempDir("thoth-hostres");
  ::mkdir((dir + "/backups").c_str(), 0755);
  time_t now = ::time(nullptr);
  Touch(dir + "/backups/postgres_1.dump", 1000, now - 7200);
  // The newest dump is a real one (pg_dump -Fc): it verifies.
  WriteFile(dir + "/backups/postgres_2.dump",
            ReadFile(std::string(THOTH_FIXTURES_DIR) + "/backup/postgres_20240115_020000.dump"));
  timespec dumped[2] = {{now - 3600, 0}, {now - 3600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir + "/backups/postgres_2.dump").c_str(), dumped, 0), 0);
  Touch(dir + "/backups/redis_1.rdb", 10, now - 30 * 3600);
  std::string name = "thoth-e2e-" + std::to_string(::getpid());
  std::string sleeper = DistinctSleep(dir, name);
  ChildProcess child;
  ASSERT_TRUE(child.Start({sleeper, "120"}, dir + "/child.log"));

  std::string config =
      "exporter: {scrape_timeout: 5s}\n"
      "container: {self: true, docker_socket: " +
      dir +
      "/no-docker.sock}\n"
      "process: [{name: sleeper, cmdline: \"" +
      name +
      "\"}]\n"
      "filesystem: [/, " +
      dir +
      "]\n"
      "backup:\n"
      "  - {name: postgres, glob: \"" +
      dir +
      "/backups/postgres_*.dump\"}\n"
      "  - {name: redis, glob: \"" +
      dir +
      "/backups/redis_*.rdb\"}\n"
      "  - {name: chroma, glob: \"" +
      dir + "/backups/chroma_*.tar\"}\n";
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(config)) << exporter.Log();
  // The child may still be exec'ing on the first scrape; the second sees it for sure.
  std::string text = exporter.Metrics();
  for (int i = 0; i < 50 && SampleValue(text, "namedprocess_namegroup_num_procs",
                                        {{"groupname", "sleeper"}}) != 1;
       ++i) {
    text = exporter.Metrics();
  }
  for (const char* kind : {"container", "process", "filesystem"}) {
    EXPECT_EQ(SampleValue(text, "thoth_exporter_collector_success", {{"collector", kind}}), 1)
        << kind;
  }
  EXPECT_EQ(SampleValue(text, "thoth_exporter_collector_success",
                        {{"collector", "backup"}, {"target", "postgres"}}),
            1);
  EXPECT_EQ(SampleValue(text, "namedprocess_namegroup_num_procs", {{"groupname", "sleeper"}}), 1);
  EXPECT_GT(SampleValue(text, "container_memory_usage_bytes", {{"name", "self"}}), 0);
  EXPECT_GT(SampleValue(text, "node_filesystem_size_bytes", {{"mountpoint", "/"}}), 0);
  EXPECT_EQ(SampleValue(text, "thoth_backup_files", {{"backup", "postgres"}}), 2);
  EXPECT_EQ(SampleValue(text, "thoth_backup_last_timestamp_seconds", {{"backup", "postgres"}}),
            static_cast<double>(now - 3600));
  EXPECT_EQ(SampleValue(text, "thoth_backup_last_size_bytes", {{"backup", "postgres"}}), 7383);
  EXPECT_EQ(SampleValue(text, "thoth_backup_previous_size_bytes", {{"backup", "postgres"}}), 1000);
  EXPECT_EQ(SampleValue(text, "thoth_backup_verified", {{"backup", "postgres"}}), 1);
  EXPECT_EQ(SampleValue(text, "thoth_backup_entries", {{"backup", "postgres"}}), 19);
  EXPECT_EQ(SampleValue(text, "thoth_backup_files", {{"backup", "chroma"}}), 0);
  EXPECT_TRUE(
      std::isnan(SampleValue(text, "thoth_backup_last_timestamp_seconds", {{"backup", "chroma"}})));
  // Target-less kinds and backups carry their own labels, never target="...".
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    for (const char* prefix : {"container_", "namedprocess_", "node_", "thoth_backup_"}) {
      if (line.rfind(prefix, 0) == 0) {
        EXPECT_EQ(line.find("target="), std::string::npos) << line;
      }
    }
  }

  // Clean but for promtool's camelCase remark on node_exporter's node_memory_* names.
  auto findings = PromtoolFindings(text);
  EXPECT_TRUE(findings.empty()) << ::testing::PrintToString(findings);

  // --once: the redis backup is 30 h old and chroma has none: CRITICAL (exit 2).
  RunResult once = RunExporter({"--once", "--config.file=" + exporter.config_path()});
  EXPECT_EQ(once.exit_code, 2) << once.output;
  EXPECT_NE(once.output.find("newest backup age"), std::string::npos) << once.output;
  EXPECT_NE(once.output.find("no backup file"), std::string::npos) << once.output;
  EXPECT_NE(once.output.find("memory working set"), std::string::npos) << once.output;
  EXPECT_NE(once.output.find("sleeper"), std::string::npos) << once.output;

  // Only fresh backups: the host rows alone decide, and they are OK.
  std::string fresh =
      "exporter: {scrape_timeout: 5s}\ncontainer: {docker_socket: \"\"}\n"
      "filesystem: [/]\nbackup:\n  - {name: postgres, glob: \"" +
      dir + "/backups/postgres_*.dump\"}\n";
  WriteFile(dir + "/fresh.yml", fresh);
  RunResult ok = RunExporter({"--once", "--config.file=" + dir + "/fresh.yml"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;

  exporter.Stop();
  child.Stop(9);
  RemoveTree(dir);
}

}  // namespace
}  // namespace thoth::testing

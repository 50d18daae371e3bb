// The text the process collector puts on /metrics for the fixture /proc tree, byte for byte, with
// patterns as process-exporter users write them. THOTH_UPDATE_GOLDEN=1 rewrites
// tests/fixtures/process/golden/metrics.prom. (Values in seconds and bytes assume USER_HZ 100 and
// 4 KiB pages, as on x86-64 and the usual arm64 kernels.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "collectors/process/process_collector.h"
#include "tests/test_fixtures.h"

namespace thoth::process {
namespace {

TEST(ProcessMetricsText, FixtureTreeGivesTheGoldenText) {
  if (::sysconf(_SC_CLK_TCK) != 100 || ::sysconf(_SC_PAGESIZE) != 4096) {
    GTEST_SKIP() << "the golden text assumes USER_HZ 100 and 4 KiB pages";
  }
  const std::vector<ProcessGroupConfig> groups = {
      {"memory-service", "^memory-service( |$)", 1},
      {"worker", "python[0-9.]* -m memory-service worker"},
      {"chroma", "^(/usr/bin/)?chroma\\b", 2},
      {"nginx", "^nginx: (master|worker) process$"},
      {"none", "^no-such-program\\s"},
  };
  auto c =
      MakeProcessCollector(groups, std::string(THOTH_FIXTURES_DIR) + "/process/proc", "fp").value();
  MetricSink sink;
  Status s = c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink);
  ASSERT_TRUE(s.ok()) << s.message();
  ExpectGolden("process/golden/metrics.prom", SerializeText(sink.Take()));
}

}  // namespace
}  // namespace thoth::process

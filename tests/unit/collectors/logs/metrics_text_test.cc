// The text the logs collectors put on /metrics for the fixture logs, byte for byte. A change to
// the output is a change to what users' dashboards and alerts read: it shows here as a diff of
// tests/fixtures/logs/golden/metrics.prom (THOTH_UPDATE_GOLDEN=1 rewrites the file).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "collectors/logs/logs_collector.h"
#include "exporter/memory_errors.h"
#include "exporter/registry.h"
#include "tests/test_fixtures.h"

namespace thoth::logs {
namespace {

TEST(LogsMetricsText, FixtureLogsGiveTheGoldenText) {
  const std::string dir = std::string(THOTH_FIXTURES_DIR) + "/logs/";
  const std::string yaml =
      "logs:\n"
      "  - {name: svc, path: '" +
      dir +
      "memory_service.log', format: error_codes, "
      "from_start: true}\n"
      "  - {name: svc-json, path: '" +
      dir +
      "memory_service.jsonl', format: error_codes, "
      "from_start: true, regex: '\"code\":\\s*\"(?P<code>[^\"]*)\"'}\n"
      "  - {name: svc-json-go, path: '" +
      dir +
      "memory_service.jsonl', format: error_codes, "
      "from_start: true, regex: '\"level\":\"error\",\"code\":\"(?<code>MEM-\\d{3})\"'}\n"
      "  - {name: web, path: '" +
      dir +
      "nginx_access.log', format: nginx, from_start: true}\n"
      "  - {name: web-upstream, path: '" +
      dir +
      "nginx_upstream.log', format: nginx, "
      "from_start: true}\n"
      "  - name: web-combined\n"
      "    path: '" +
      dir +
      "nginx_combined.log'\n"
      "    format: nginx\n"
      "    from_start: true\n"
      "    log_format: '$remote_addr - $remote_user [$time_local] \"$request\" $status "
      "$body_bytes_sent \"$http_referer\" \"$http_user_agent\"'\n";
  MemoryErrors errors;
  CollectorEnv env;
  env.memory_errors = &errors;
  auto collectors = BuildCollectors("logs", ParseYaml(yaml, "golden.yml"), env);
  ASSERT_EQ(collectors.size(), 6u);
  std::string text;
  for (const auto& c : collectors) {
    MetricSink sink;
    Status s = c->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(5)}, sink);
    ASSERT_TRUE(s.ok()) << s.message();
    text += SerializeText(sink.Take());
  }
  MetricSink sink;
  errors.Emit(sink);
  text += SerializeText(sink.Take());
  ExpectGolden("logs/golden/metrics.prom", text);
}

}  // namespace
}  // namespace thoth::logs

#include "collectors/logs/log_counters.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "exporter/memory_errors.h"
#include "exporter/metric_sink.h"
#include "tests/test_fixtures.h"

namespace thoth::logs {
namespace {

LogCounters Nginx(MemoryErrors* errors) {
  return LogCounters("nginx", LogFormat::kNginx, NginxLineParser::Default(), std::nullopt, errors);
}

TEST(LogCounters, NginxRequestsStatusesAndMemCodes) {
  MemoryErrors errors;
  LogCounters c = Nginx(&errors);
  LineAssembler a(65536);
  a.Feed(Fixture("logs/nginx_access.log"), c);
  a.Feed("not an access line\n\n", c);
  c.Flush();
  EXPECT_EQ(c.lines(), 16u);
  EXPECT_EQ(c.parse_errors(), 2u);
  EXPECT_EQ(c.requests(), 14u);
  EXPECT_EQ(c.server_errors(), 2u);
  EXPECT_EQ(errors.Get("MEM-007", "nginx"), 2u);  // 401 and 403
  EXPECT_EQ(errors.Get("MEM-006", "nginx"), 1u);  // 429

  MetricSink sink;
  c.Emit(sink);
  EXPECT_EQ(Value(sink, "thoth_http_requests_total",
                  {{"log", "nginx"}, {"method", "GET"}, {"status", "200"}}),
            2);
  EXPECT_EQ(Value(sink, "thoth_http_requests_total",
                  {{"log", "nginx"}, {"method", "other"}, {"status", "405"}}),
            1);
  EXPECT_EQ(Value(sink, "thoth_http_requests_total",
                  {{"log", "nginx"}, {"method", "other"}, {"status", "400"}}),
            1);
  EXPECT_EQ(Value(sink, "thoth_log_lines_total", {{"log", "nginx"}}), 16);
  EXPECT_EQ(Value(sink, "thoth_log_parse_errors_total", {{"log", "nginx"}}), 2);
  std::string text = SerializeText(sink.families());
  EXPECT_NE(text.find("thoth_http_request_duration_seconds_bucket{log=\"nginx\",le=\"0.5\"} 14"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("le=\"2\"} 14"), std::string::npos);
  EXPECT_NE(text.find("thoth_http_request_duration_seconds_count{log=\"nginx\"} 14"),
            std::string::npos);
  EXPECT_EQ(text.find("target="), std::string::npos);
}

TEST(LogCounters, DurationBuckets) {
  LogCounters c = Nginx(nullptr);
  for (const char* t : {"0.005", "0.006", "0.500", "0.501", "2.000", "2.001", "99.0"}) {
    c.OnLine(std::string("1.2.3.4 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" ") + t);
  }
  MetricSink sink;
  c.Emit(sink);
  std::string text = SerializeText(sink.families());
  EXPECT_NE(text.find("le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("le=\"0.5\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("le=\"2\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("le=\"10\"} 6\n"), std::string::npos);
  EXPECT_NE(text.find("le=\"+Inf\"} 7\n"), std::string::npos);
  EXPECT_NE(text.find("_sum{log=\"nginx\"} 104.013"), std::string::npos) << text;
}

TEST(LogCounters, ErrorCodesOncePerCodePerLineUnknownAsOther) {
  MemoryErrors errors;
  LogCounters c("memory-service", LogFormat::kErrorCodes, std::nullopt, std::nullopt, &errors);
  c.RegisterCodes();
  EXPECT_EQ(errors.Get("MEM-008", "memory-service"), 0u);
  LineAssembler a(65536);
  a.Feed(Fixture("logs/memory_service.log"), c);
  c.Flush();
  EXPECT_EQ(c.lines(), 7u);
  EXPECT_EQ(c.parse_errors(), 0u);
  EXPECT_EQ(errors.Get("MEM-001", "memory-service"), 1u);
  EXPECT_EQ(errors.Get("MEM-002", "memory-service"), 1u);
  EXPECT_EQ(errors.Get("MEM-004", "memory-service"), 1u);
  EXPECT_EQ(errors.Get("MEM-008", "memory-service"), 1u);
  EXPECT_EQ(errors.Get("MEM-007", "memory-service"), 1u);
  EXPECT_EQ(errors.Get("other", "memory-service"), 2u);
  EXPECT_EQ(c.code_count(0), 1u);
  MetricSink sink;
  c.Emit(sink);
  std::string text = SerializeText(sink.families());
  EXPECT_EQ(text.find("thoth_http_requests_total"), std::string::npos);
  EXPECT_EQ(text.find("thoth_memory_errors_total"), std::string::npos);  // emitted centrally
}

TEST(LogCounters, JsonLogsWithARegex) {
  MemoryErrors errors;
  std::string error;
  LogCounters c("api", LogFormat::kErrorCodes, std::nullopt,
                CodeRegex::Compile(R"re("code":\s*"(?P<code>[^"]*)")re", &error), &errors);
  LineAssembler a(65536);
  a.Feed(Fixture("logs/memory_service.jsonl"), c);
  c.Flush();
  EXPECT_EQ(errors.Get("MEM-001", "api"), 1u);  // the message's MEM-001 is not the field
  EXPECT_EQ(errors.Get("MEM-003", "api"), 1u);
  EXPECT_EQ(errors.Get("MEM-005", "api"), 1u);
  EXPECT_EQ(errors.Get("MEM-006", "api"), 1u);
  EXPECT_EQ(errors.Get("MEM-007", "api"), 0u);
  EXPECT_EQ(errors.Get("other", "api"), 1u);
}

TEST(LogCounters, GarbageNeverCreatesSeries) {
  MemoryErrors errors;
  LogCounters c = Nginx(&errors);
  LineAssembler a(4096);
  std::string garbage;
  for (int i = 0; i < 100000; ++i) garbage += static_cast<char>((i * 7919) & 0xff);
  a.Feed(garbage, c);
  a.Feed("\n\xff\xfe\xc3\x28 \"\"\" 999 \n" + std::string(1 << 20, 'z') + "\n\n", c);
  c.Flush();
  EXPECT_EQ(c.lines(), c.parse_errors());
  EXPECT_EQ(c.requests(), 0u);
  MetricSink sink;
  c.Emit(sink);
  EXPECT_EQ(SerializeText(sink.families()).find("thoth_http_requests_total{"), std::string::npos);
}

TEST(LogCounters, RotationsAndTruncations) {
  LogCounters c("x", LogFormat::kErrorCodes, std::nullopt, std::nullopt, nullptr);
  c.OnRotation();
  c.OnTruncation();
  c.OnTruncation();
  MetricSink sink;
  c.Emit(sink);
  EXPECT_EQ(Value(sink, "thoth_log_rotations_total", {{"log", "x"}}), 1);
  EXPECT_EQ(Value(sink, "thoth_log_truncations_total", {{"log", "x"}}), 2);
}

}  // namespace
}  // namespace thoth::logs

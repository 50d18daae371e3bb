#include "collectors/logs/nginx_parser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace thoth::logs {
namespace {

std::vector<std::string> FixtureLines(const std::string& name) {
  std::ifstream in(std::string(THOTH_FIXTURES_DIR) + "/logs/" + name, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

NginxLineParser Default() { return NginxLineParser::Default(); }

NginxLineParser Timed() {
  auto p = NginxLineParser::Compile(kCombinedTimedLogFormat);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return *p;
}

TEST(NginxParser, ParsesEveryLineARealNginxWrote) {
  // Written by nginx 1.22 with `combined` + $request_time (see tests/integration/logs).
  auto lines = FixtureLines("nginx_access.log");
  ASSERT_EQ(lines.size(), 14u);
  auto parser = Default();
  std::vector<std::pair<std::string_view, int>> expected = {
      {"GET", 200},     {"POST", 404},  {"GET", 429},   {"GET", 401},  {"GET", 403},
      {"DELETE", 500},  {"GET", 502},   {"other", 405}, {"HEAD", 200}, {"GET", 200},
      {"OPTIONS", 405}, {"PATCH", 405}, {"other", 400}, {"GET", 404}};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    AccessRecord rec;
    ASSERT_TRUE(parser.Parse(lines[i], &rec)) << lines[i];
    EXPECT_EQ(MethodName(rec.method), expected[i].first) << lines[i];
    EXPECT_EQ(rec.status, expected[i].second) << lines[i];
  }
  AccessRecord tls;
  ASSERT_TRUE(parser.Parse(lines[12], &tls));
  EXPECT_EQ(tls.duration_us, 4000);
}

TEST(NginxParser, IgnoresUpstreamTimeAppendedToTheDefaultFormat) {
  auto parser = Default();
  for (const auto& line : FixtureLines("nginx_upstream.log")) {
    AccessRecord rec;
    ASSERT_TRUE(parser.Parse(line, &rec)) << line;
    EXPECT_EQ(rec.status, 200);
  }
  AccessRecord rec;
  ASSERT_TRUE(parser.Parse(FixtureLines("nginx_upstream.log")[0], &rec));
  EXPECT_EQ(rec.duration_us, 1000);
}

TEST(NginxParser, CustomFormatWithUpstreamTimeOnly) {
  auto parser = NginxLineParser::Compile(
      "$remote_addr [$time_local] $request_method $status ${upstream_response_time}");
  ASSERT_TRUE(parser.ok()) << parser.status().message();
  AccessRecord rec;
  ASSERT_TRUE(
      parser->Parse("10.0.0.1 [22/Nov/2026:02:05:41 +0000] PUT 201 0.250, 0.750 : 1.000", &rec));
  EXPECT_EQ(rec.method, kPut);
  EXPECT_EQ(rec.status, 201);
  EXPECT_EQ(rec.duration_us, 2000000);  // tries and redirects add up
  ASSERT_TRUE(parser->Parse("10.0.0.1 [x] GET 504 -", &rec));
  EXPECT_EQ(rec.duration_us, -1);
}

TEST(NginxParser, RejectsFormatsItCannotScan) {
  auto no_status = NginxLineParser::Compile("$remote_addr $request_time");
  EXPECT_FALSE(no_status.ok());
  EXPECT_NE(no_status.status().message().find("$status"), std::string::npos);
  auto adjacent = NginxLineParser::Compile("$status$request_time");
  EXPECT_FALSE(adjacent.ok());
  EXPECT_NE(adjacent.status().message().find("separated"), std::string::npos);
  EXPECT_FALSE(NginxLineParser::Compile("${status").ok());
  auto dollars = NginxLineParser::Compile("cost $$ $status");
  EXPECT_TRUE(dollars.ok()) << dollars.status().message();
}

TEST(NginxParser, StatusMustBeThreeDigits) {
  auto parser = Default();
  AccessRecord rec;
  const std::string head = "1.2.3.4 - - [t] \"GET / HTTP/1.1\" ";
  const std::string tail = " 5 \"-\" \"ua\" 0.010";
  EXPECT_TRUE(parser.Parse(head + "299" + tail, &rec));
  EXPECT_EQ(rec.status, 299);
  EXPECT_EQ(rec.duration_us, 10000);
  EXPECT_FALSE(parser.Parse(head + "20" + tail, &rec));
  EXPECT_FALSE(parser.Parse(head + "2000" + tail, &rec));
  EXPECT_FALSE(parser.Parse(head + "2x0" + tail, &rec));
  // The default reads what follows the user agent as $request_time only when it is seconds;
  // a format that names $request_time requires it.
  ASSERT_TRUE(parser.Parse(head + "200 5 \"-\" \"ua\" fast", &rec));
  EXPECT_EQ(rec.duration_us, -1);
  EXPECT_FALSE(Timed().Parse(head + "200 5 \"-\" \"ua\" fast", &rec));
  EXPECT_FALSE(Timed().Parse(head + "200 5 \"-\" \"ua\"", &rec));
}

TEST(NginxParser, CarriageReturnAndMissingFieldsAndGarbage) {
  auto parser = Default();
  AccessRecord rec;
  std::string line = FixtureLines("nginx_access.log")[0];
  EXPECT_TRUE(parser.Parse(line + "\r", &rec));
  EXPECT_FALSE(parser.Parse("", &rec));
  EXPECT_FALSE(parser.Parse(line.substr(0, line.size() / 2), &rec));
  EXPECT_FALSE(parser.Parse(std::string("\0\0\0\xff\xfe", 5), &rec));
  EXPECT_FALSE(parser.Parse(std::string(1 << 20, '"'), &rec));
  EXPECT_FALSE(parser.Parse("127.0.0.1 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\"", &rec));
  EXPECT_FALSE(parser.Parse("127.0.0.1 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"-", &rec));
}

// Written by nginx 1.22 configured as the deployment guide does: `access_log PATH;`, i.e. the
// predefined `combined` format (tests/fixtures/logs/make_nginx_combined.sh).
TEST(NginxParser, ReadsTheCombinedLinesOfARealNginx) {
  auto lines = FixtureLines("nginx_combined.log");
  ASSERT_EQ(lines.size(), 15u);
  auto parser = Default();
  std::vector<std::pair<std::string_view, int>> expected = {
      {"GET", 200},    {"POST", 404}, {"GET", 401},   {"GET", 403},   {"GET", 429},
      {"DELETE", 500}, {"GET", 502},  {"HEAD", 200},  {"other", 200}, {"GET", 200},
      {"GET", 401},    {"GET", 404},  {"other", 400}, {"other", 400}, {"GET", 404}};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    AccessRecord rec;
    ASSERT_TRUE(parser.Parse(lines[i], &rec)) << lines[i];
    EXPECT_EQ(MethodName(rec.method), expected[i].first) << lines[i];
    EXPECT_EQ(rec.status, expected[i].second) << lines[i];
    EXPECT_EQ(rec.duration_us, -1) << "no $request_time in combined: " << lines[i];
    EXPECT_EQ(rec.time_kind, AccessTimeKind::kTimeLocal);
    EXPECT_EQ(rec.time, "07/Dec/2026:10:35:20 +0000");
    // The strict timed format rejects them all: what the default format did before.
    EXPECT_FALSE(Timed().Parse(lines[i], &rec)) << lines[i];
  }
}

TEST(NginxParser, ReadsCombinedAndTimedLinesAlikeInOneLog) {
  // An operator adds $request_time to a running nginx: both kinds in one file.
  auto parser = Default();
  auto combined = FixtureLines("nginx_combined.log");
  auto timed = FixtureLines("nginx_access.log");
  AccessRecord rec;
  ASSERT_TRUE(parser.Parse(combined[5], &rec));
  EXPECT_EQ(rec.status, 500);
  EXPECT_EQ(rec.duration_us, -1);
  ASSERT_TRUE(parser.Parse(timed[12], &rec));
  EXPECT_EQ(rec.status, 400);
  EXPECT_EQ(rec.duration_us, 4000);
  ASSERT_TRUE(parser.Parse(combined[0] + " 1.250\r", &rec));
  EXPECT_EQ(rec.duration_us, 1250000);
  // nginx's docker image's `main`: combined + "$http_x_forwarded_for".
  ASSERT_TRUE(parser.Parse(combined[0] + " \"10.0.0.7\"", &rec));
  EXPECT_EQ(rec.status, 200);
  EXPECT_EQ(rec.duration_us, -1);
  // $request_time then $upstream_response_time.
  ASSERT_TRUE(parser.Parse(combined[0] + " 0.020 0.018", &rec));
  EXPECT_EQ(rec.duration_us, 20000);
}

TEST(NginxParser, EveryCutOfACombinedLineIsAParseError) {
  // A combined line ends with the user agent's closing quote: any shorter piece of it (a line
  // cut by a crash, or read half-written) cannot parse.
  auto parser = Default();
  for (const auto& line : FixtureLines("nginx_combined.log")) {
    AccessRecord rec;
    for (std::size_t n = 0; n < line.size(); ++n) {
      EXPECT_FALSE(parser.Parse(std::string_view(line).substr(0, n), &rec)) << n << " " << line;
    }
  }
}

TEST(NginxParser, ReadsTheTimeVariables) {
  auto iso = NginxLineParser::Compile("$time_iso8601 $status $msec");
  ASSERT_TRUE(iso.ok()) << iso.status().message();
  AccessRecord rec;
  ASSERT_TRUE(iso->Parse("2026-12-07T10:35:20+00:00 200 1796639720.123 extra", &rec));
  EXPECT_EQ(rec.time_kind, AccessTimeKind::kMsec);  // the last one in the format
  EXPECT_EQ(rec.time, "1796639720.123");
  auto local = NginxLineParser::Compile("$status [$time_local]");
  ASSERT_TRUE(local.ok()) << local.status().message();
  ASSERT_TRUE(local->Parse("404 [07/Dec/2026:10:35:20 +0000]", &rec));
  EXPECT_EQ(rec.time_kind, AccessTimeKind::kTimeLocal);
  EXPECT_EQ(rec.time, "07/Dec/2026:10:35:20 +0000");
  auto none = NginxLineParser::Compile("$status $request_time");
  ASSERT_TRUE(none->Parse("200 0.1", &rec));
  EXPECT_EQ(rec.time_kind, AccessTimeKind::kNone);
  EXPECT_TRUE(rec.time.empty());
}

TEST(NginxParser, MethodClassification) {
  EXPECT_EQ(ClassifyMethod("GET"), kGet);
  EXPECT_EQ(ClassifyMethod("CONNECT"), kConnect);
  EXPECT_EQ(ClassifyMethod("TRACE"), kTrace);
  EXPECT_EQ(ClassifyMethod("get"), kOtherMethod);
  EXPECT_EQ(ClassifyMethod(""), kOtherMethod);
  EXPECT_EQ(ClassifyMethod("GETS"), kOtherMethod);
  EXPECT_EQ(MethodName(kOtherMethod), "other");
  EXPECT_EQ(MethodName(99), "other");
}

TEST(NginxParser, SecondsToMicros) {
  EXPECT_EQ(ParseSecondsMicros("0.000"), 0);
  EXPECT_EQ(ParseSecondsMicros("2"), 2000000);
  EXPECT_EQ(ParseSecondsMicros("1.5"), 1500000);
  EXPECT_EQ(ParseSecondsMicros("0.1234567"), 123456);
  EXPECT_FALSE(ParseSecondsMicros(""));
  EXPECT_FALSE(ParseSecondsMicros("-"));
  EXPECT_FALSE(ParseSecondsMicros(".5"));
  EXPECT_FALSE(ParseSecondsMicros("1.2.3"));
  EXPECT_FALSE(ParseSecondsMicros("9999999999999"));
}

}  // namespace
}  // namespace thoth::logs

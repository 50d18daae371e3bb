#include "collectors/logs/log_time.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace thoth::logs {
namespace {

constexpr std::int64_t kDec7 = 1796639720;   // 2026-12-07 10:35:20 UTC
constexpr std::int64_t kNov22 = 1795312800;  // 2026-11-22 02:00:00 UTC

std::vector<std::string> FixtureLines(const std::string& name) {
  std::ifstream in(std::string(THOTH_FIXTURES_DIR) + "/logs/" + name, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

TEST(LogTime, NginxTimeLocal) {
  EXPECT_EQ(ParseNginxLocalTime("07/Dec/2026:10:35:20 +0000"), kDec7);
  EXPECT_EQ(ParseNginxLocalTime("07/Dec/2026:11:35:20 +0100"), kDec7);
  EXPECT_EQ(ParseNginxLocalTime("07/Dec/2026:05:35:20 -0500"), kDec7);
  EXPECT_EQ(ParseNginxLocalTime("01/Jan/1970:00:00:00 +0000"), 0);
  EXPECT_EQ(ParseNginxLocalTime("29/Feb/2028:00:00:00 +0000"), 1835395200);
  for (std::string_view bad :
       {"", "07/Dec/2026:10:35:20", "07/Dez/2026:10:35:20 +0000", "7/Dec/2026:10:35:20 +0000",
        "07/Dec/2026:24:35:20 +0000", "07/Dec/2026:10:60:20 +0000", "00/Dec/2026:10:35:20 +0000",
        "07/Dec/2026:10:35:20 0000", "07/Dec/2026 10:35:20 +0000", "07/dec/2026:10:35:20 +0000",
        "07/Dec/1969:10:35:20 +0000", "xx/Dec/2026:10:35:20 +0000"}) {
    EXPECT_FALSE(ParseNginxLocalTime(bad)) << bad;
  }
}

TEST(LogTime, Iso8601WithAndWithoutZone) {
  EXPECT_EQ(ParseIsoTimestamp("2026-12-07T10:35:20Z", 3600), kDec7);
  EXPECT_EQ(ParseIsoTimestamp("2026-12-07T10:35:20.123456789Z", 0), kDec7);
  EXPECT_EQ(ParseIsoTimestamp("2026-12-07 16:05:20+05:30 INFO", 0), kDec7);
  EXPECT_EQ(ParseIsoTimestamp("2026-12-07T16:05:20+0530", 0), kDec7);
  EXPECT_EQ(ParseIsoTimestamp("2026-12-07T02:35:20-08", 0), kDec7);
  EXPECT_EQ(ParseIsoTimestamp("2026-12-07t10:35:20z", 0), kDec7);
  // No zone: local time, at the offset given.
  EXPECT_EQ(ParseIsoTimestamp("2026-12-07 11:35:20,123 ERROR x", 3600), kDec7);
  EXPECT_EQ(ParseIsoTimestamp("2026-12-07 10:35:20", 0), kDec7);
  for (std::string_view bad :
       {"", "2026-12-07", "2026-13-07T10:35:20Z", "2026-12-07X10:35:20", "2026-12-07T25:35:20",
        "26-12-07T10:35:20", "2026/12/07 10:35:20", "0000-12-07T10:35:20Z"}) {
    EXPECT_FALSE(ParseIsoTimestamp(bad, 0)) << bad;
  }
}

TEST(LogTime, FindsTheTimeOfMemoryServiceLines) {
  auto lines = FixtureLines("memory_service.log");
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(FindLineTime(lines[0], 0), kNov22);
  EXPECT_EQ(FindLineTime(lines[1], 0), kNov22 + 1);
  auto json = FixtureLines("memory_service.jsonl");
  EXPECT_EQ(FindLineTime(json[0], 3600), kNov22);  // "Z": the offset does not apply
  EXPECT_EQ(FindLineTime("[2026-12-07T10:35:20Z] ERROR MEM-001", 0), kDec7);
  EXPECT_EQ(FindLineTime("INFO:root:2026-12-07 10:35:20,001 started", 0), kDec7);
  // Docker's json-file puts the time last: a JSON line is searched whole.
  EXPECT_EQ(FindLineTime("{\"log\":\"" + std::string(200, 'x') +
                             "\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-07T10:35:20.5Z\"}",
                         0),
            kDec7);
}

TEST(LogTime, LinesWithoutATime) {
  EXPECT_FALSE(FindLineTime("Traceback (most recent call last):", 0));
  EXPECT_FALSE(FindLineTime("  File \"/app/memory.py\", line 42, in store", 0));
  EXPECT_FALSE(FindLineTime("", 0));
  EXPECT_FALSE(FindLineTime("12026-12-07 10:35:20 is not a date", 0));
  // A date deep inside a message is not the line's time.
  EXPECT_FALSE(FindLineTime(std::string(70, '.') + " 2026-12-07 10:35:20", 0));
  EXPECT_FALSE(FindLineTime(std::string(1 << 16, '9'), 0));
  EXPECT_FALSE(FindLineTime(std::string(1 << 16, '{'), 0));
}

TEST(LogTime, BracketedLocalTimeAnywhere) {
  EXPECT_EQ(FindBracketedLocalTime("10.0.0.1 [07/Dec/2026:10:35:20 +0000] 200 GET /"), kDec7);
  EXPECT_EQ(FindBracketedLocalTime("[x] [07/Dec/2026:10:35:20 +0000"), std::nullopt);
  EXPECT_EQ(FindBracketedLocalTime("[[07/Dec/2026:10:35:20 +0000]"), kDec7);
  EXPECT_EQ(FindBracketedLocalTime("[07/Dec/2026:10:35:20 +00000]"), std::nullopt);
  EXPECT_EQ(FindBracketedLocalTime(std::string(1 << 16, '[')), std::nullopt);
  EXPECT_EQ(FindBracketedLocalTime(""), std::nullopt);
}

TEST(LogTime, AccessRecordTimes) {
  AccessRecord rec;
  EXPECT_FALSE(AccessRecordTime(rec, 0));
  rec.time_kind = AccessTimeKind::kTimeLocal;
  rec.time = "07/Dec/2026:10:35:20 +0000";
  EXPECT_EQ(AccessRecordTime(rec, 0), kDec7);
  rec.time_kind = AccessTimeKind::kTimeIso8601;
  rec.time = "2026-12-07T10:35:20+00:00";
  EXPECT_EQ(AccessRecordTime(rec, 7200), kDec7);
  rec.time_kind = AccessTimeKind::kMsec;
  rec.time = "1796639720.999";
  EXPECT_EQ(AccessRecordTime(rec, 0), kDec7);
  rec.time = "-";
  EXPECT_FALSE(AccessRecordTime(rec, 0));
}

}  // namespace
}  // namespace thoth::logs

#include "collectors/logs/error_code_parser.h"

#include <gtest/gtest.h>

#include <fstream>
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

CodeSet Bits(std::initializer_list<int> slots) {
  CodeSet s = 0;
  for (int slot : slots) s = static_cast<CodeSet>(s | (1u << slot));
  return s;
}

TEST(ErrorCodes, SlotsFollowTheManualsTable) {
  EXPECT_EQ(CodeSlot("MEM-001"), 0);
  EXPECT_EQ(CodeSlot("MEM-008"), 7);
  EXPECT_EQ(CodeSlot("MEM-009"), kOtherSlot);
  EXPECT_EQ(CodeSlot("mem-001"), kOtherSlot);
  EXPECT_EQ(CodeSlotName(0), "MEM-001");
  EXPECT_EQ(CodeSlotName(kOtherSlot), "other");
}

TEST(ErrorCodes, FindsEachCodeOncePerLine) {
  auto lines = FixtureLines("memory_service.log");
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(FindErrorCodes(lines[0]), 0);
  EXPECT_EQ(FindErrorCodes(lines[1]), Bits({0}));
  EXPECT_EQ(FindErrorCodes(lines[2]), Bits({1}));  // MEM-002 twice: once
  EXPECT_EQ(FindErrorCodes(lines[3]), Bits({3, 7}));
  EXPECT_EQ(FindErrorCodes(lines[4]), Bits({kOtherSlot}));
  EXPECT_EQ(FindErrorCodes(lines[5]), Bits({kOtherSlot}));  // MEM-0071 is not MEM-007
  EXPECT_EQ(FindErrorCodes(lines[6]), Bits({6}));
}

TEST(ErrorCodes, EdgesOfTheLine) {
  EXPECT_EQ(FindErrorCodes("MEM-001"), Bits({0}));
  EXPECT_EQ(FindErrorCodes("xMEM-005"), Bits({4}));
  EXPECT_EQ(FindErrorCodes("MEM-00"), 0);
  EXPECT_EQ(FindErrorCodes("MEMMEM-003M"), Bits({2}));
  EXPECT_EQ(FindErrorCodes(""), 0);
  EXPECT_EQ(FindErrorCodes(std::string("\0MEM-006\0", 9)), Bits({5}));
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "MEM-" + std::to_string(100 + i % 900) + " ";
  EXPECT_EQ(FindErrorCodes(many), Bits({kOtherSlot}));
}

TEST(ErrorCodes, HostileBytes) {
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary += static_cast<char>((i * 131) & 0xff);
  binary += "\xff\xfe\xc3\x28MEM-002\xc3";
  EXPECT_EQ(FindErrorCodes(binary), Bits({1}));
  EXPECT_EQ(FindErrorCodes(std::string(1 << 20, 'M')), 0);
}

TEST(CodeRegex, ReadsTheCodeFieldOfJsonLogs) {
  std::string error;
  auto re = CodeRegex::Compile(R"re("code":\s*"(?P<code>[^"]*)")re", &error);
  ASSERT_TRUE(re) << error;
  auto lines = FixtureLines("memory_service.jsonl");
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_FALSE(re->Match(lines[0]));
  EXPECT_EQ(re->Match(lines[1]), 0);
  EXPECT_EQ(re->Match(lines[2]), 4);
  EXPECT_EQ(re->Match(lines[3]), 5);  // "code": "MEM-006" with a space
  EXPECT_EQ(re->Match(lines[4]), kOtherSlot);
  EXPECT_EQ(re->Match(lines[5]), 2);  // the field, not the MEM-001 in the message
  EXPECT_FALSE(re->Match(lines[6]));
}

TEST(CodeRegex, PerlShorthandsAndOtherGroups) {
  std::string error;
  auto re = CodeRegex::Compile(R"((?:level|lvl)=(\w+) (?<code>MEM-\d{3}))", &error);
  ASSERT_TRUE(re) << error;
  EXPECT_EQ(re->Match("lvl=error MEM-008 schema"), 7);
  EXPECT_FALSE(re->Match("lvl=error MEM-08"));
  EXPECT_EQ(re->Match(std::string("level=x MEM-001\0tail", 20)), 0);
  auto bracket = CodeRegex::Compile(R"([]\d(]+ (?P<code>[^ ]+))", &error);
  ASSERT_TRUE(bracket) << error;
  EXPECT_EQ(bracket->Match("d(] MEM-003"), 2);
}

TEST(CodeRegex, RejectsBadPatterns) {
  std::string error;
  EXPECT_FALSE(CodeRegex::Compile("MEM-[0-9]+", &error));
  EXPECT_NE(error.find("code"), std::string::npos);
  EXPECT_FALSE(CodeRegex::Compile("(?P<code>[a-", &error));
  EXPECT_NE(error.find("compile"), std::string::npos);
  EXPECT_FALSE(CodeRegex::Compile("(?=look)(?P<code>x)", &error));
  EXPECT_FALSE(CodeRegex::Compile("(?P<code x)", &error));
}

TEST(CodeRegex, LongLinesStayBounded) {
  std::string error;
  auto re = CodeRegex::Compile(R"re("code":"(?P<code>[^"]*)")re", &error);
  ASSERT_TRUE(re) << error;
  std::string line = "{\"msg\":\"" + std::string(1 << 20, 'a') + "\",\"code\":\"MEM-004\"}";
  EXPECT_EQ(re->Match(line), 3);
}

}  // namespace
}  // namespace thoth::logs

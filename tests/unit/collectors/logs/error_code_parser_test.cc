#include "collectors/logs/error_code_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
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

CodeSet Bits(std::initializer_list<MemCode> codes) {
  CodeSet s = 0;
  for (MemCode code : codes) s = static_cast<CodeSet>(s | CodeBit(code));
  return s;
}

constexpr MemCode k001 = MemCode::kDatabaseTimeout;
constexpr MemCode k002 = MemCode::kInvalidEntity;
constexpr MemCode k003 = MemCode::kClientNotFound;
constexpr MemCode k004 = MemCode::kDuplicateEntity;
constexpr MemCode k005 = MemCode::kDimensionMismatch;
constexpr MemCode k006 = MemCode::kRateLimited;
constexpr MemCode k007 = MemCode::kAuthFailed;
constexpr MemCode k008 = MemCode::kSchemaInvalid;
constexpr MemCode kOther = MemCode::kOther;

TEST(ErrorCodes, CodesFollowTheManualsTable) {
  EXPECT_EQ(ParseMemCode("MEM-001"), k001);
  EXPECT_EQ(ParseMemCode("MEM-008"), k008);
  EXPECT_EQ(ParseMemCode("MEM-009"), kOther);
  EXPECT_EQ(ParseMemCode("mem-001"), kOther);
  EXPECT_EQ(MemCodeName(k001), "MEM-001");
  EXPECT_EQ(MemCodeName(kOther), "other");
  ASSERT_EQ(ErrorCodes().size() + 1, kMemCodeCount);
  for (std::size_t i = 0; i < ErrorCodes().size(); ++i) {
    EXPECT_EQ(MemCodeIndex(ErrorCodes()[i].id), i);
    EXPECT_EQ(MemCodeName(ErrorCodes()[i].id), "MEM-00" + std::to_string(i + 1));
    EXPECT_EQ(ParseMemCode(ErrorCodes()[i].code), ErrorCodes()[i].id);
  }
}

TEST(ErrorCodes, FindsEachCodeOncePerLine) {
  auto lines = FixtureLines("memory_service.log");
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(FindErrorCodes(lines[0]), 0);
  EXPECT_EQ(FindErrorCodes(lines[1]), Bits({k001}));
  EXPECT_EQ(FindErrorCodes(lines[2]), Bits({k002}));  // MEM-002 twice: once
  EXPECT_EQ(FindErrorCodes(lines[3]), Bits({k004, k008}));
  EXPECT_EQ(FindErrorCodes(lines[4]), Bits({kOther}));
  EXPECT_EQ(FindErrorCodes(lines[5]), Bits({kOther}));  // MEM-0071 is not MEM-007
  EXPECT_EQ(FindErrorCodes(lines[6]), Bits({k007}));
}

TEST(ErrorCodes, EdgesOfTheLine) {
  EXPECT_EQ(FindErrorCodes("MEM-001"), Bits({k001}));
  EXPECT_EQ(FindErrorCodes("xMEM-005"), Bits({k005}));
  EXPECT_EQ(FindErrorCodes("MEM-00"), 0);
  EXPECT_EQ(FindErrorCodes("MEMMEM-003M"), Bits({k003}));
  EXPECT_EQ(FindErrorCodes(""), 0);
  EXPECT_EQ(FindErrorCodes(std::string("\0MEM-006\0", 9)), Bits({k006}));
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "MEM-" + std::to_string(100 + i % 900) + " ";
  EXPECT_EQ(FindErrorCodes(many), Bits({kOther}));
}

TEST(ErrorCodes, HostileBytes) {
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary += static_cast<char>((i * 131) & 0xff);
  binary += "\xff\xfe\xc3\x28MEM-002\xc3";
  EXPECT_EQ(FindErrorCodes(binary), Bits({k002}));
  EXPECT_EQ(FindErrorCodes(std::string(1 << 20, 'M')), 0);
}

TEST(CodeRegex, ReadsTheCodeFieldOfJsonLogs) {
  auto re = CodeRegex::Compile(R"re("code":\s*"(?P<code>[^"]*)")re");
  ASSERT_TRUE(re.ok()) << re.status().message();
  auto lines = FixtureLines("memory_service.jsonl");
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_FALSE(re->Match(lines[0]));
  EXPECT_EQ(re->Match(lines[1]), k001);
  EXPECT_EQ(re->Match(lines[2]), k005);
  EXPECT_EQ(re->Match(lines[3]), k006);  // "code": "MEM-006" with a space
  EXPECT_EQ(re->Match(lines[4]), kOther);
  EXPECT_EQ(re->Match(lines[5]), k003);  // the field, not the MEM-001 in the message
  EXPECT_FALSE(re->Match(lines[6]));
}

TEST(CodeRegex, PerlShorthandsAndOtherGroups) {
  auto re = CodeRegex::Compile(R"((?:level|lvl)=(\w+) (?<code>MEM-\d{3}))");
  ASSERT_TRUE(re.ok()) << re.status().message();
  EXPECT_EQ(re->Match("lvl=error MEM-008 schema"), k008);
  EXPECT_FALSE(re->Match("lvl=error MEM-08"));
  EXPECT_EQ(re->Match(std::string("level=x MEM-001\0tail", 20)), k001);
  auto bracket = CodeRegex::Compile(R"([]\d(]+ (?P<code>[^ ]+))");
  ASSERT_TRUE(bracket.ok()) << bracket.status().message();
  EXPECT_EQ(bracket->Match("d(] MEM-003"), k003);
}

TEST(CodeRegex, RejectsBadPatterns) {
  auto no_group = CodeRegex::Compile("MEM-[0-9]+");
  EXPECT_FALSE(no_group.ok());
  EXPECT_NE(no_group.status().message().find("code"), std::string::npos);
  auto broken = CodeRegex::Compile("(?P<code>[a-");
  EXPECT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("compile"), std::string::npos);
  // RE2's own words say what is wrong.
  EXPECT_NE(broken.status().message().find("missing ]"), std::string::npos)
      << broken.status().message();
  EXPECT_FALSE(CodeRegex::Compile("(?=look)(?P<code>x)").ok());
  EXPECT_FALSE(CodeRegex::Compile("(?P<code x)").ok());
  EXPECT_FALSE(CodeRegex::Compile("(?<=MEM-)(?P<code>x)").ok());  // no look-behind in RE2
  EXPECT_FALSE(CodeRegex::Compile(R"((?P<code>MEM)-\1)").ok());   // nor back-references
}

TEST(CodeRegex, LongLinesStayBounded) {
  auto re = CodeRegex::Compile(R"re("code":"(?P<code>[^"]*)")re");
  ASSERT_TRUE(re.ok()) << re.status().message();
  std::string line = "{\"msg\":\"" + std::string(1 << 20, 'a') + "\",\"code\":\"MEM-004\"}";
  EXPECT_EQ(re->Match(line), k004);
}

// Patterns as mtail programs and Go services' log configurations write them (Go syntax).
TEST(CodeRegex, MtailStylePatterns) {
  struct Case {
    const char* pattern;
    const char* line;
    std::optional<MemCode> want;
  };
  const Case cases[] = {
      // mtail: a timestamp prefix, then the level and the code as a word.
      {R"(^(?P<date>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (?P<level>[A-Z]+) \[(?P<code>MEM-\d{3})\])",
       "2026-11-22 02:00:01 ERROR [MEM-001] Database connection timeout", k001},
      {R"(^(?P<date>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (?P<level>[A-Z]+) \[(?P<code>MEM-\d{3})\])",
       "garbage 2026-11-22 02:00:01 ERROR [MEM-001]", std::nullopt},
      // Case-insensitive flag and a POSIX class inside a bracket expression.
      {R"((?i)code=(?P<code>mem-[[:digit:]]{3}))", "CODE=MEM-005 dim", k005},
      {R"((?i)code=(?P<code>mem-[[:digit:]]{3}))", "code=mem-005", kOther},  // case kept
      // Word boundaries and alternation; the group may not take part.
      {R"(\b(?:error|fatal)\b.*?(?P<code>MEM-\d+)?$)", "fatal: x MEM-006", k006},
      {R"(\b(?:error|fatal)\b(?:.*(?P<code>MEM-\d+))?)", "fatal: nothing", std::nullopt},
      // logfmt: key=value with quoted values.
      {R"re(\bcode="?(?P<code>[A-Z]+-\d+)"?)re", R"(level=error code="MEM-002" msg="bad")", k002},
      // A Unicode message before the field: Go, and RE2, read UTF-8.
      {R"(^.{3} (?P<code>\S+)$)", "日本語 MEM-007", k007},
  };
  for (const Case& c : cases) {
    auto re = CodeRegex::Compile(c.pattern);
    ASSERT_TRUE(re.ok()) << c.pattern << ": " << re.status().message();
    EXPECT_EQ(re->Match(c.line), c.want) << c.pattern << " on " << c.line;
  }
}

// (a+)+$ and friends take exponential time in backtracking engines (glibc regexec, std::regex,
// PCRE) on a line of a's that does not end as the pattern wants. RE2 is linear: a 64 KiB line
// (max_line_bytes by default) is matched in milliseconds, and 16 times longer costs about 16 times
// as much, not 2^n.
TEST(CodeRegex, CatastrophicBacktrackingPatternsStayLinear) {
  for (const char* pattern : {R"((?P<code>(a+)+)$)", R"((?P<code>(a|aa)+)$)",
                              R"((?P<code>(a|a?)+)b)", R"(^(?P<code>(\w+\s?)*)$)"}) {
    auto re = CodeRegex::Compile(pattern);
    ASSERT_TRUE(re.ok()) << pattern << ": " << re.status().message();
    auto time_line = [&](std::size_t n) {
      std::string line(n, 'a');
      line += '!';
      auto start = std::chrono::steady_clock::now();
      (void)re->Match(line);
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    double small = std::max(time_line(64 << 10), 1e-4);
    double large = time_line(1 << 20);
    EXPECT_LT(small, 1.0) << pattern;
    EXPECT_LT(large, 64 * small + 0.5) << pattern << ": " << small << " s, then " << large << " s";
  }
}

TEST(CodeRegex, AngleBracketNamedGroupsAreGoSyntax) {
  EXPECT_EQ(NormalizeNamedGroups("(?<code>x)"), "(?P<code>x)");
  EXPECT_EQ(NormalizeNamedGroups("(?P<code>x)"), "(?P<code>x)");
  EXPECT_EQ(NormalizeNamedGroups(R"(\(?<code>x)"), R"(\(?<code>x)");         // an escaped paren
  EXPECT_EQ(NormalizeNamedGroups("[(?<]x(?<code>y)"), "[(?<]x(?P<code>y)");  // in a class
  EXPECT_EQ(NormalizeNamedGroups("[]x(?<a>]"), "[]x(?<a>]");
  EXPECT_EQ(NormalizeNamedGroups("[[:alpha:](?<]"), "[[:alpha:](?<]");
  EXPECT_EQ(NormalizeNamedGroups("(?<=x)(?<!y)"), "(?<=x)(?<!y)");  // look-behind: RE2 says no
  EXPECT_EQ(NormalizeNamedGroups("x\\"), "x\\");
  EXPECT_EQ(NormalizeNamedGroups("[abc"), "[abc");  // unclosed: RE2 reports it
}

}  // namespace
}  // namespace thoth::logs

#include "collectors/logs/recent_window.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace thoth::logs {
namespace {

namespace fs = std::filesystem;

// Records what it is handed.
class Lines : public LineHandler {
 public:
  void OnLine(std::string_view line) override { lines.emplace_back(line); }
  void OnOverlongLine() override { lines.emplace_back("<overlong>"); }
  void OnRotation() override {}
  void OnTruncation() override {}
  void Flush() override {}
  void OnFilesFollowed(std::size_t n) override { files = static_cast<int>(n); }
  std::vector<std::string> lines;
  int files = -1;
};

// nginx's $time_local of a unix time.
std::string TimeLocal(std::int64_t t) {
  auto tt = static_cast<std::time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%d/%b/%Y:%H:%M:%S +0000", &tm);
  return buf;
}

std::string Iso(std::int64_t t) {
  auto tt = static_cast<std::time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Access(std::int64_t t, int status, const std::string& path = "/") {
  return "127.0.0.1 - - [" + TimeLocal(t) + "] \"GET " + path + " HTTP/1.1\" " +
         std::to_string(status) + " 3 \"-\" \"curl/7.88.1\"\n";
}

class RecentWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/thoth-window-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    now_ = static_cast<std::int64_t>(std::time(nullptr));
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << text;
  }
  void SetMtime(const std::string& name, std::int64_t t) {
    struct timespec times[2] = {{t, 0}, {t, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, (dir_ + "/" + name).c_str(), times, 0), 0);
  }
  WindowResult Read(const std::string& glob, LogFormat format, Lines& out,
                    std::uint64_t max_bytes = kOnceWindowMaxBytes) {
    WindowOptions o;
    o.glob = dir_ + "/" + glob;
    o.now = now_;
    o.max_bytes = max_bytes;
    o.max_line_bytes = 4096;
    parser_ = NginxLineParser::Default();
    return ReadRecentWindow(o, MakeLineTimeFn(format, &parser_, 0), out);
  }

  std::string dir_;
  std::int64_t now_ = 0;
  NginxLineParser parser_ = NginxLineParser::Default();
};

TEST_F(RecentWindowTest, CountsOnlyTheLastFiveMinutesOfAnAccessLog) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += Access(now_ - 3600 + i, 500, "/old");
  text += Access(now_ - 301, 500, "/just-too-old");
  text += Access(now_ - 299, 200, "/a");
  text += Access(now_ - 60, 502, "/b");
  text += Access(now_, 200, "/c");
  Write("access.log", text + "127.0.0.1 - - [" + TimeLocal(now_) + "] \"GET /half");
  Lines out;
  WindowResult r = Read("access.log", LogFormat::kNginx, out);
  ASSERT_EQ(out.lines.size(), 3u);  // the half-written last line waits for its newline
  EXPECT_NE(out.lines[0].find("/a "), std::string::npos);
  EXPECT_NE(out.lines[2].find("/c "), std::string::npos);
  EXPECT_EQ(r.files, 1u);
  EXPECT_EQ(out.files, 1);
  EXPECT_EQ(r.lines_counted, 3u);
  EXPECT_FALSE(r.cut_short);
  EXPECT_EQ(r.oldest, now_ - 299);
}

TEST_F(RecentWindowTest, ReadsBackAtMostMaxBytesAndSaysSo) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += Access(now_ - 100 + i, 200, "/p" + std::to_string(i));
  Write("access.log", text);
  const std::uint64_t line_bytes = Access(now_, 200, "/p10").size();
  Lines out;
  // 10.5 lines' worth from the end: the cut line is skipped, 10 remain.
  WindowResult r = Read("access.log", LogFormat::kNginx, out, line_bytes * 21 / 2);
  ASSERT_EQ(out.lines.size(), 10u);
  EXPECT_NE(out.lines[0].find("/p90 "), std::string::npos);
  EXPECT_TRUE(r.cut_short);
  EXPECT_EQ(r.oldest, now_ - 10);
  // Exactly 10 lines' worth: the line starting at the cut is whole and kept.
  Lines exact;
  Read("access.log", LogFormat::kNginx, exact, line_bytes * 10);
  ASSERT_EQ(exact.lines.size(), 10u);
  EXPECT_NE(exact.lines[0].find("/p90 "), std::string::npos);
}

TEST_F(RecentWindowTest, UntimedLinesGoWithTheLineBeforeThem) {
  std::string text = Iso(now_ - 900) + " ERROR MEM-001 old\n" +
                     "Traceback (most recent call last):\n  File \"x.py\" MEM-005 old\n" +
                     Iso(now_ - 30) + " ERROR MEM-001 new\n" +
                     "Traceback (most recent call last):\n  File \"x.py\" MEM-005 new\n";
  Write("svc.log", text);
  Lines out;
  Read("*.log", LogFormat::kErrorCodes, out);
  ASSERT_EQ(out.lines.size(), 3u);
  EXPECT_NE(out.lines[0].find("new"), std::string::npos);
  EXPECT_NE(out.lines[2].find("MEM-005 new"), std::string::npos);
}

TEST_F(RecentWindowTest, LeadingUntimedLinesGoWithTheFirstTimedLine) {
  // Read back from inside a traceback: the entry it belongs to was cut off, so its tail is
  // judged as the first timed line after it is.
  std::string text =
      std::string(100, 'x') + "\n  cut traceback line\n" + Iso(now_ - 10) + " INFO recent\n";
  Write("svc.log", text);
  Lines out;
  Read("svc.log", LogFormat::kErrorCodes, out, text.size() - 50);
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_EQ(out.lines[0], "  cut traceback line");
  text = "  old traceback line\n" + Iso(now_ - 1000) + " INFO old\n";
  Write("old.log", text);
  Lines old;
  Read("old.log", LogFormat::kErrorCodes, old);
  EXPECT_TRUE(old.lines.empty());
}

TEST_F(RecentWindowTest, AFileWithoutTimesIsJudgedByPosition) {
  Write("plain.log", "MEM-001 a\nMEM-007 b\nno code\n");
  Lines out;
  WindowResult r = Read("plain.log", LogFormat::kErrorCodes, out);
  EXPECT_EQ(out.lines.size(), 3u);
  EXPECT_FALSE(r.oldest);
  // Not written to for an hour: nothing of it is recent.
  SetMtime("plain.log", now_ - 3600);
  Lines idle;
  r = Read("plain.log", LogFormat::kErrorCodes, idle);
  EXPECT_TRUE(idle.lines.empty());
  EXPECT_EQ(r.files, 1u);
  EXPECT_EQ(r.bytes_read, 0u);
}

TEST_F(RecentWindowTest, FilesOfTheGlobAndNone) {
  Write("access.log", Access(now_ - 5, 200));
  Write("access.log.1", Access(now_ - 4000, 500));
  Write("access.log.2.gz", Access(now_ - 5, 500));  // compressed: not read, not counted
  fs::create_directory(dir_ + "/access.log.d");
  fs::create_hard_link(dir_ + "/access.log", dir_ + "/access.log.link");
  Lines out;
  WindowResult r = Read("access.log*", LogFormat::kNginx, out);
  EXPECT_EQ(r.files, 2u);  // access.log (and its hard link) and access.log.1
  ASSERT_EQ(out.lines.size(), 1u);
  Lines none;
  r = Read("missing/*.log", LogFormat::kNginx, none);
  EXPECT_EQ(r.files, 0u);
  EXPECT_EQ(none.files, 0);
  EXPECT_TRUE(none.lines.empty());
}

TEST_F(RecentWindowTest, OverlongAndGarbageLines) {
  std::string text = Access(now_ - 10, 200) + std::string(10000, 'A') + "\n" + "garbage\n" +
                     std::string("\0\xff\n", 3);
  Write("access.log", text);
  Lines out;
  Read("access.log", LogFormat::kNginx, out);
  // Garbage has no time: it goes with the line before it, which is recent.
  ASSERT_EQ(out.lines.size(), 4u);
  EXPECT_EQ(out.lines[1], "<overlong>");
  EXPECT_EQ(out.lines[2], "garbage");
}

TEST_F(RecentWindowTest, RecentLinesInAnotherFormatAreRecentParseErrors) {
  // nginx's log_format was changed two minutes ago: the new lines do not parse, but carry
  // their time, so they are judged as recent (and counted as unparsed), not as the old tail.
  std::string text;
  for (int i = 0; i < 5; ++i) text += Access(now_ - 900, 200);
  for (int i = 0; i < 3; ++i) {
    text += "10.0.0.1 [" + TimeLocal(now_ - 120) + "] 200 GET /new 0.004\n";
  }
  text += "{\"time\":\"" + Iso(now_ - 60) + "\",\"status\":200}\n";
  Write("access.log", text);
  Lines out;
  WindowResult r = Read("access.log", LogFormat::kNginx, out);
  EXPECT_EQ(out.lines.size(), 4u);
  EXPECT_EQ(r.oldest, now_ - 120);
}

TEST(WindowFilter, FutureTimesCountAndOldOnesDoNot) {
  Lines out;
  WindowFilter f(
      &out,
      [](std::string_view line) -> std::optional<std::int64_t> {
        if (line.empty() || line[0] < '0' || line[0] > '9') return std::nullopt;
        return std::stoll(std::string(line));
      },
      100, false);
  for (std::string_view line : {"cont0", "99", "cont1", "100", "cont2", "5000", "50", "cont3"}) {
    f.OnLine(line);
  }
  f.OnOverlongLine();
  EXPECT_EQ(out.lines, (std::vector<std::string>{"100", "cont2", "5000"}));
  EXPECT_EQ(f.lines_counted(), 3u);
  EXPECT_EQ(f.oldest(), 100);
}

}  // namespace
}  // namespace thoth::logs

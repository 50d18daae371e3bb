#include "collectors/logs/line_assembler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace thoth::logs {
namespace {

struct Recorder : LineHandler {
  std::vector<std::string> lines;
  int overlong = 0;
  void OnLine(std::string_view line) override { lines.emplace_back(line); }
  void OnOverlongLine() override { ++overlong; }
  void OnRotation() override {}
  void OnTruncation() override {}
  void Flush() override {}
};

TEST(LineAssembler, CompleteLinesAndAPartialOneThatWaits) {
  LineAssembler a(100);
  Recorder r;
  a.Feed("one\ntwo\nthr", r);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(a.pending_bytes(), 3u);
  a.Feed("ee", r);
  EXPECT_EQ(r.lines.size(), 2u);
  a.Feed("\n", r);
  EXPECT_EQ(r.lines.back(), "three");
  EXPECT_EQ(a.pending_bytes(), 0u);
}

TEST(LineAssembler, EmptyLinesAreLines) {
  LineAssembler a(100);
  Recorder r;
  a.Feed("\n\n\nx\n", r);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"", "", "", "x"}));
}

TEST(LineAssembler, ByteByByteGivesTheSameLines) {
  const std::string text = "alpha\nbeta\r\n\ngamma delta\nno newline at EOF";
  LineAssembler whole(100), bytes(100);
  Recorder rw, rb;
  whole.Feed(text, rw);
  for (char c : text) bytes.Feed(std::string_view(&c, 1), rb);
  EXPECT_EQ(rw.lines, rb.lines);
  EXPECT_EQ(rw.lines.size(), 4u);
  EXPECT_EQ(whole.pending_bytes(), std::string("no newline at EOF").size());
  EXPECT_EQ(bytes.pending_bytes(), whole.pending_bytes());
}

TEST(LineAssembler, OverlongLinesAreSkippedWithoutBeingKept) {
  LineAssembler a(1024);
  Recorder r;
  const std::string mib(1 << 20, 'x');
  // A 1 MiB line arriving in pieces, then a normal one.
  for (std::size_t i = 0; i < mib.size(); i += 4096) a.Feed(mib.substr(i, 4096), r);
  EXPECT_EQ(a.pending_bytes(), mib.size());  // counted, not buffered
  a.Feed("\nok\n", r);
  EXPECT_EQ(r.overlong, 1);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"ok"}));
  // Inside one chunk too, and exactly at the bound.
  a.Feed(mib + "\n" + std::string(1024, 'y') + "\n" + std::string(1025, 'z') + "\n", r);
  EXPECT_EQ(r.overlong, 3);
  EXPECT_EQ(r.lines.back(), std::string(1024, 'y'));
}

TEST(LineAssembler, PartialThatGrowsPastTheBound) {
  LineAssembler a(10);
  Recorder r;
  a.Feed("12345", r);
  a.Feed("67890", r);  // exactly 10: still kept
  EXPECT_EQ(a.pending_bytes(), 10u);
  a.Feed("1", r);  // 11: now skipping
  EXPECT_EQ(a.pending_bytes(), 11u);
  a.Feed("2\nshort\n", r);
  EXPECT_EQ(r.overlong, 1);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"short"}));
  a.Feed("1234567", r);
  a.Feed("8901\n", r);  // completes at 11 bytes
  EXPECT_EQ(r.overlong, 2);
}

TEST(LineAssembler, ResetForgetsThePartialLine) {
  LineAssembler a(100);
  Recorder r;
  a.Feed("half", r);
  a.Reset();
  a.Feed("whole\n", r);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"whole"}));
}

}  // namespace
}  // namespace thoth::logs

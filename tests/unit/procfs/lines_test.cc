#include "procfs/lines.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace thoth {
namespace {

std::vector<std::string> Split(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view line : Lines(text)) out.emplace_back(line);
  return out;
}

using V = std::vector<std::string>;

TEST(Lines, EmptyTextHasNoLines) { EXPECT_EQ(Split(""), V{}); }

TEST(Lines, FinalNewlineDoesNotStartALine) {
  EXPECT_EQ(Split("a\nb\n"), (V{"a", "b"}));
  EXPECT_EQ(Split("a\n"), V{"a"});
}

TEST(Lines, LastLineWithoutNewlineIsALine) {
  // A read cut short (ReadSmallFile's max_bytes) leaves the last line open.
  EXPECT_EQ(Split("a\nb"), (V{"a", "b"}));
  EXPECT_EQ(Split("a"), V{"a"});
}

TEST(Lines, EmptyLinesInsideStay) {
  EXPECT_EQ(Split("a\n\nb"), (V{"a", "", "b"}));
  EXPECT_EQ(Split("\n"), V{""});
  EXPECT_EQ(Split("\n\n"), (V{"", ""}));
}

TEST(Lines, CarriageReturnAndNulStayInTheLine) {
  EXPECT_EQ(Split("a\r\nb"), (V{"a\r", "b"}));
  EXPECT_EQ(Split(std::string_view("a\0b\nc", 5)), (V{std::string("a\0b", 3), "c"}));
}

TEST(Lines, LinesAreViewsIntoTheText) {
  const std::string text = "key: 1\nother: 2\n";
  std::vector<const char*> starts;
  for (std::string_view line : Lines(text)) starts.push_back(line.data());
  EXPECT_EQ(starts, (std::vector<const char*>{text.data(), text.data() + 7}));
}

TEST(Lines, ALoopMayStopEarly) {
  int seen = 0;
  for (std::string_view line : Lines("a\nstop\nc\n")) {
    ++seen;
    if (line == "stop") break;
  }
  EXPECT_EQ(seen, 2);
}

}  // namespace
}  // namespace thoth

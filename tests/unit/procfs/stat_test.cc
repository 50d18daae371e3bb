#include "procfs/stat.h"

#include <gtest/gtest.h>

namespace thoth {
namespace {

TEST(ProcParser, BootTime) {
  EXPECT_EQ(ParseBootTime("cpu  1 2 3\nintr 0\nbtime 1700000000\nprocesses 5\n"), 1700000000.0);
  EXPECT_FALSE(ParseBootTime("cpu  1 2 3\n"));
  EXPECT_FALSE(ParseBootTime("btime soon\n"));
  EXPECT_EQ(ParseBootTime("btime 17"), 17.0);             // no final newline
  EXPECT_EQ(ParseBootTime("cpu 1\n\nbtime 17\n"), 17.0);  // an empty line before it
  EXPECT_FALSE(ParseBootTime("cpu 1\n btime 17\n"));      // not at the start of the line
}

}  // namespace
}  // namespace thoth

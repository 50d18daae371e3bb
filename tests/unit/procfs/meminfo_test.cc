#include "procfs/meminfo.h"

#include <gtest/gtest.h>

#include "tests/test_fixtures.h"

namespace thoth {
namespace {

TEST(MemInfo, Parses) {
  MemInfo m = ParseMemInfo(Fixture("filesystem/proc/meminfo"));
  EXPECT_EQ(m.total_bytes, 24684084.0 * 1024);
  EXPECT_EQ(m.available_bytes, 23954744.0 * 1024);
}

TEST(MemInfo, HostileText) {
  EXPECT_FALSE(ParseMemInfo("").total_bytes);
  EXPECT_FALSE(ParseMemInfo("MemTotal:").total_bytes);
  EXPECT_FALSE(ParseMemInfo("MemTotal:   12 MB\n").total_bytes);
  EXPECT_FALSE(ParseMemInfo("MemTotal:   -12 kB\n").total_bytes);
  EXPECT_FALSE(ParseMemInfo("MemTotal:   99999999999999999999999 kB\n").total_bytes);
  EXPECT_EQ(ParseMemInfo("MemTotal:   12 kB").total_bytes, 12288.0);  // no final newline
  EXPECT_EQ(ParseMemInfo("MemTotal:   12\n").total_bytes, 12.0);      // no unit: a count
  MemInfo old = ParseMemInfo("MemTotal:   12 kB\nMemFree: 3 kB\n");   // kernels < 3.14
  EXPECT_TRUE(old.total_bytes);
  EXPECT_FALSE(old.available_bytes);
}

}  // namespace
}  // namespace thoth

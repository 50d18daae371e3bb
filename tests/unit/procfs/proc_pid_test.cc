#include "procfs/proc_pid.h"

#include <gtest/gtest.h>

namespace thoth {
namespace {

const char* kStat =
    "4242 (memory-service) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 4 0 5000 "
    "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcParser, Stat) {
  ProcStat st;
  ASSERT_TRUE(ParseProcStat(kStat, &st));
  EXPECT_EQ(st.comm, "memory-service");
  EXPECT_EQ(st.state, 'S');
  EXPECT_EQ(st.utime_ticks, 250u);
  EXPECT_EQ(st.stime_ticks, 50u);
  EXPECT_EQ(st.num_threads, 4);
  EXPECT_EQ(st.starttime_ticks, 5000u);
  EXPECT_EQ(st.vsize_bytes, 104857600u);
  EXPECT_EQ(st.rss_pages, 2560);
}

TEST(ProcParser, StatCommWithSpacesAndParentheses) {
  ProcStat st;
  // A process may name itself ") S 1 2 3 (" to confuse naive parsers: the last ')' ends comm.
  ASSERT_TRUE(ParseProcStat(
      "7 (a) S 1 2 3 ( x) R 1 7 7 0 -1 0 0 0 0 0 11 12 0 0 20 0 3 0 99 4096 2 0\n", &st));
  EXPECT_EQ(st.comm, "a) S 1 2 3 ( x");
  EXPECT_EQ(st.state, 'R');
  EXPECT_EQ(st.utime_ticks, 11u);
  EXPECT_EQ(st.stime_ticks, 12u);
  EXPECT_EQ(st.num_threads, 3);
  EXPECT_EQ(st.starttime_ticks, 99u);
  EXPECT_EQ(st.rss_pages, 2);
}

TEST(ProcParser, StatRejectsDamage) {
  ProcStat st;
  EXPECT_FALSE(ParseProcStat("", &st));
  EXPECT_FALSE(ParseProcStat("106 (chroma) S 1 106 106 0 -1 4194560 1000 0 0 0 9", &st));
  EXPECT_FALSE(ParseProcStat("no parentheses here at all 1 2 3", &st));
  EXPECT_FALSE(ParseProcStat(")( backwards", &st));
  EXPECT_FALSE(
      ParseProcStat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 12 0 0 20 0 3 0 99 4096 2 0\n", &st));
  EXPECT_FALSE(
      ParseProcStat("1 (x) SS 1 1 1 0 -1 0 0 0 0 0 11 12 0 0 20 0 3 0 99 4096 2 0\n", &st));
  // utime past 2^64.
  EXPECT_FALSE(ParseProcStat(
      "1 (x) S 1 1 1 0 -1 0 0 0 0 0 18446744073709551616 12 0 0 20 0 3 0 99 4096 2 0\n", &st));
  std::string text = kStat;
  for (std::size_t cut = 0; cut < text.size(); ++cut) {
    ProcStat partial;
    bool ok = ParseProcStat(text.substr(0, cut), &partial);
    // Only a cut in the fields after rss can still parse.
    if (ok) {
      EXPECT_GE(cut, text.find("2560") + 5) << cut;
      EXPECT_EQ(partial.rss_pages, 2560);
    }
  }
}

TEST(ProcParser, StatusMemory) {
  ProcStatusMemory m = ParseProcStatusMemory("Name:\tx\nVmRSS:\t 10240 kB\nVmSwap:\t    1024 kB\n");
  EXPECT_EQ(m.rss_bytes, 10240.0 * 1024);
  EXPECT_EQ(m.swap_bytes, 1024.0 * 1024);
  EXPECT_FALSE(ParseProcStatusMemory("Name:\tx\nVmRSS:\t 10240 kB\n").swap_bytes);
  EXPECT_FALSE(ParseProcStatusMemory("Name:\tkthreadd\n").rss_bytes);
  EXPECT_FALSE(ParseProcStatusMemory("VmSwap:\tlots kB\n").swap_bytes);
  EXPECT_FALSE(ParseProcStatusMemory("VmSwap:\t12 MB\n").swap_bytes);
  EXPECT_FALSE(ParseProcStatusMemory("VmSwapX:\t12 kB\n").swap_bytes);
  EXPECT_FALSE(ParseProcStatusMemory("VmSw").swap_bytes);
  EXPECT_FALSE(ParseProcStatusMemory("VmRSS:\t 10240").rss_bytes);  // cut before the unit
}

TEST(ProcParser, Io) {
  ProcIo io = ParseProcIo(
      "rchar: 5000\nwchar: 6000\nsyscr: 10\nsyscw: 10\nread_bytes: 4096\nwrite_bytes: 8192\n"
      "cancelled_write_bytes: 100\n");
  EXPECT_EQ(io.read_bytes, 4096.0);
  EXPECT_EQ(io.write_bytes, 8192.0);
  ProcIo cut = ParseProcIo("rchar: 5000\nwchar: 6000\nread_bytes: 40");
  EXPECT_EQ(cut.read_bytes, 40.0);
  EXPECT_FALSE(cut.write_bytes);
  EXPECT_FALSE(ParseProcIo("read_bytes: -1\n").read_bytes);
}

TEST(ProcParser, Cmdline) {
  std::string raw("python3\0-m\0memory-service\0\0", 28);
  CmdlineToText(&raw);
  EXPECT_EQ(raw, "python3 -m memory-service");
  std::string empty;
  CmdlineToText(&empty);
  EXPECT_EQ(empty, "");
  // A process that rewrote its argv into one string with spaces and no final NUL.
  std::string rewritten = "nginx: worker process";
  CmdlineToText(&rewritten);
  EXPECT_EQ(rewritten, "nginx: worker process");
}

}  // namespace
}  // namespace thoth

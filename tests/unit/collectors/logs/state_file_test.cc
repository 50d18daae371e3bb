#include "collectors/logs/state_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace thoth::logs {
namespace {

TEST(StateFile, RoundTrip) {
  std::vector<FilePosition> in = {{64769, 1234567, 98765, "/var/log/nginx/access.log"},
                                  {1, 2, 0, "/path with spaces/x.log"}};
  std::vector<FilePosition> out;
  ASSERT_TRUE(ParsePositions(FormatPositions(in), &out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].device, 64769u);
  EXPECT_EQ(out[0].inode, 1234567u);
  EXPECT_EQ(out[0].offset, 98765u);
  EXPECT_EQ(out[1].path, "/path with spaces/x.log");
}

TEST(StateFile, NewlineInAPathCannotBreakTheFormat) {
  std::vector<FilePosition> out;
  ASSERT_TRUE(ParsePositions(FormatPositions({{1, 2, 3, "a\nb"}}), &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].offset, 3u);
}

TEST(StateFile, MalformedIsRejectedWhole) {
  std::vector<FilePosition> out;
  EXPECT_FALSE(ParsePositions("", &out));
  EXPECT_FALSE(ParsePositions("thoth-log-positions 2\n", &out));
  EXPECT_FALSE(ParsePositions("thoth-log-positions 1\n1 2 3 p\n1 2", &out));
  EXPECT_FALSE(ParsePositions("thoth-log-positions 1\n1 2 x p\n", &out));
  EXPECT_FALSE(ParsePositions("thoth-log-positions 1\n-1 2 3 p\n", &out));
  EXPECT_FALSE(ParsePositions("thoth-log-positions 1\n99999999999999999999 2 3 p\n", &out));
  EXPECT_TRUE(ParsePositions("thoth-log-positions 1\n", &out));
  EXPECT_TRUE(out.empty());
}

TEST(StateFile, SaveIsAtomicAndLoadSeesIt) {
  char tmpl[] = "/tmp/thoth-state-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string path = dir + "/positions";
  std::vector<FilePosition> got;
  bool exists = true;
  ASSERT_TRUE(LoadPositions(path, &got, &exists).ok());
  EXPECT_FALSE(exists);
  ASSERT_TRUE(SavePositions(path, {{7, 8, 9, "/x"}}).ok());
  ASSERT_TRUE(SavePositions(path, {{7, 8, 10, "/x"}}).ok());
  ASSERT_TRUE(LoadPositions(path, &got, &exists).ok());
  EXPECT_TRUE(exists);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].offset, 10u);
  EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0);  // no temporary left behind
  std::ofstream(path) << "garbage";
  EXPECT_FALSE(LoadPositions(path, &got, &exists).ok());
  EXPECT_FALSE(SavePositions(dir + "/missing-dir/positions", {}).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace thoth::logs

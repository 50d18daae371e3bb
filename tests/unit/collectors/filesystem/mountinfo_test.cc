#include "collectors/filesystem/mountinfo.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/test_fixtures.h"

namespace thoth {
namespace {

TEST(MountInfo, ParsesAndSkipsMalformedLines) {
  auto mounts = ParseMountInfo(Fixture("filesystem/proc/self/mountinfo"));
  ASSERT_EQ(mounts.size(), 8u);
  EXPECT_EQ(mounts[1].mount_point, "/");
  EXPECT_EQ(mounts[1].source, "/dev/vda1");
  EXPECT_EQ(mounts[1].fstype, "ext4");
  // Optional fields (shared:2 master:1) before the separator.
  EXPECT_EQ(mounts[2].mount_point, "/var/lib/postgresql");
  EXPECT_EQ(mounts[2].fstype, "xfs");
  EXPECT_EQ(mounts[2].super_options, "rw,attr2");
  EXPECT_EQ(mounts[3].source, "nas:/export/backups");
  EXPECT_EQ(mounts[3].mount_options, "ro,relatime");
  // Octal escape of a space.
  EXPECT_EQ(mounts[5].mount_point, "/mnt/with space");
  EXPECT_EQ(mounts[5].root, "/data");
}

TEST(MountInfo, LongestPrefixAndLaterMountWins) {
  auto mounts = ParseMountInfo(Fixture("filesystem/proc/self/mountinfo"));
  EXPECT_EQ(FindMountFor(mounts, "/")->source, "/dev/vda1");
  EXPECT_EQ(FindMountFor(mounts, "/home/x")->source, "/dev/vda1");
  // Mounted twice on the same place: the later one hides the first.
  EXPECT_EQ(FindMountFor(mounts, "/var/lib/postgresql")->fstype, "overlay");
  EXPECT_EQ(FindMountFor(mounts, "/var/lib/postgresql/15/main")->fstype, "overlay");
  // A sibling sharing the prefix is not inside.
  EXPECT_EQ(FindMountFor(mounts, "/var/lib/postgresqlx")->source, "/dev/vdd");
  EXPECT_EQ(FindMountFor(mounts, "/var/lib/postgres")->source, "/dev/vda1");
  EXPECT_EQ(FindMountFor(mounts, "/backups")->fstype, "nfs4");
  EXPECT_EQ(FindMountFor(mounts, "/backups/memory-system/postgres_1.dump")->fstype, "tmpfs");
  EXPECT_EQ(FindMountFor(mounts, "/mnt/with space/f")->source, "/dev/vdc");
  EXPECT_EQ(FindMountFor({}, "/"), nullptr);
  EXPECT_EQ(FindMountFor(mounts, "relative"), nullptr);
}

TEST(MountInfo, HostileText) {
  EXPECT_TRUE(ParseMountInfo("").empty());
  EXPECT_TRUE(ParseMountInfo("\n\n\n").empty());
  EXPECT_TRUE(ParseMountInfo("1 2 3 4 5 6 - \n").empty());
  // An escape cut at the end of a field stays as text.
  auto m = ParseMountInfo("1 0 0:1 / /a\\04 rw - ext4 /dev/x\\ rw\n");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].mount_point, "/a\\04");
  EXPECT_EQ(m[0].source, "/dev/x\\");
  std::string text = Fixture("filesystem/proc/self/mountinfo");
  for (std::size_t cut = 0; cut < text.size(); cut += 7) {
    auto partial = ParseMountInfo(text.substr(0, cut));
    EXPECT_LE(partial.size(), 8u);
  }
}

TEST(MountInfo, Options) {
  EXPECT_TRUE(HasOption("rw,cpu,cpuacct", "cpu"));
  EXPECT_TRUE(HasOption("rw,cpu,cpuacct", "cpuacct"));
  EXPECT_FALSE(HasOption("rw,cpuacct", "cpu"));
  EXPECT_FALSE(HasOption("", "cpu"));
  EXPECT_TRUE(HasOption("memory", "memory"));
}

}  // namespace
}  // namespace thoth

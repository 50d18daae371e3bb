// The filesystem collector against df(1) and free(1) on this machine.
#include <gtest/gtest.h>

#include <sstream>

#include "collectors/filesystem/filesystem_collector.h"
#include "tests/integration/hostres/hostres_util.h"

namespace thoth::testing {
namespace {

struct DfRow {
  std::string source, fstype, target;
  double size = 0, avail = 0, itotal = 0, iavail = 0;
};

DfRow Df(const std::string& path) {
  std::istringstream in(ShellOut("df -B1 --output=source,fstype,size,avail,itotal,iavail,target " +
                                 path + " | tail -n 1"));
  DfRow r;
  in >> r.source >> r.fstype >> r.size >> r.avail >> r.itotal >> r.iavail >> r.target;
  return r;
}

TEST(FilesystemLive, AgreesWithDf) {
  std::string dir = MakeTempDir("thoth-hostres");
  auto c = Build(filesystem::MakeCollectors, "filesystem: [/, " + dir + ", /proc]\n");
  ASSERT_TRUE(c);
  MetricSink sink = CollectOnce(*c);
  for (const std::string& path : {std::string("/"), dir, std::string("/proc")}) {
    DfRow df = Df(path);
    Labels l = {{"device", df.source}, {"fstype", df.fstype}, {"mountpoint", df.target}};
    SCOPED_TRACE(path + " on " + df.target + " (" + df.source + ", " + df.fstype + ")");
    double size = Sample(sink, "node_filesystem_size_bytes", l);
    ASSERT_FALSE(std::isnan(size)) << SerializeText(sink.families());
    EXPECT_EQ(size, df.size);
    EXPECT_EQ(Sample(sink, "node_filesystem_files", l), df.itotal);
    // Other tests write meanwhile: 256 MiB and 10,000 inodes of slack.
    EXPECT_NEAR(Sample(sink, "node_filesystem_avail_bytes", l), df.avail, 256 << 20);
    EXPECT_NEAR(Sample(sink, "node_filesystem_files_free", l), df.iavail, 10000);
    EXPECT_GE(Sample(sink, "node_filesystem_free_bytes", l),
              Sample(sink, "node_filesystem_avail_bytes", l));
  }
  double total = ShellNumber("free -b | awk '/^Mem:/ {print $2}'");
  EXPECT_EQ(Sample(sink, "node_memory_MemTotal_bytes", {}), total);
  double available = ShellNumber("free -b | awk '/^Mem:/ {print $7}'");
  EXPECT_NEAR(Sample(sink, "node_memory_MemAvailable_bytes", {}), available, 512 << 20);
  RemoveTree(dir);
}

}  // namespace
}  // namespace thoth::testing

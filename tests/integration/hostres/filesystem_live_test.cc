// The filesystem collector against df(1) and free(1) on this machine.
#include <gtest/gtest.h>

#include <algorithm>
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

// Between two readings by the tools, with `slack` for what moved while they ran (other tests
// and builds write and allocate meanwhile).
void ExpectBetween(double value, double a, double b, double slack) {
  EXPECT_GE(value, std::min(a, b) - slack);
  EXPECT_LE(value, std::max(a, b) + slack);
}

TEST(FilesystemLive, AgreesWithDfAndFree) {
  std::string dir = MakeTempDir("thoth-hostres");
  auto c = Build("filesystem", "filesystem: [/, " + dir + ", /proc]\n");
  ASSERT_TRUE(c);
  const std::vector<std::string> paths = {"/", dir, "/proc"};
  std::vector<DfRow> before, after;
  for (const auto& p : paths) before.push_back(Df(p));
  const std::string free_available = "free -b | awk '/^Mem:/ {print $7}'";
  double available_before = ShellNumber(free_available);
  MetricSink sink = CollectOnce(*c);
  double available_after = ShellNumber(free_available);
  for (const auto& p : paths) after.push_back(Df(p));

  for (std::size_t i = 0; i < paths.size(); ++i) {
    const DfRow& df = before[i];
    Labels l = {{"device", df.source}, {"fstype", df.fstype}, {"mountpoint", df.target}};
    SCOPED_TRACE(paths[i] + " on " + df.target + " (" + df.source + ", " + df.fstype + ")");
    double size = Sample(sink, "node_filesystem_size_bytes", l);
    ASSERT_FALSE(std::isnan(size)) << SerializeText(sink.families());
    EXPECT_EQ(size, df.size);
    EXPECT_EQ(Sample(sink, "node_filesystem_files", l), df.itotal);
    ExpectBetween(Sample(sink, "node_filesystem_avail_bytes", l), df.avail, after[i].avail,
                  64 << 20);
    ExpectBetween(Sample(sink, "node_filesystem_files_free", l), df.iavail, after[i].iavail, 1000);
    EXPECT_GE(Sample(sink, "node_filesystem_free_bytes", l),
              Sample(sink, "node_filesystem_avail_bytes", l));
  }
  double total = ShellNumber("free -b | awk '/^Mem:/ {print $2}'");
  EXPECT_EQ(Sample(sink, "node_memory_MemTotal_bytes", {}), total);
  ExpectBetween(Sample(sink, "node_memory_MemAvailable_bytes", {}), available_before,
                available_after, 256 << 20);
  RemoveTree(dir);
}

}  // namespace
}  // namespace thoth::testing

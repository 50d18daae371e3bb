#include "collectors/filesystem/filesystem_collector.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>

#include "procfs/meminfo.h"
#include "procfs/mountinfo.h"
#include "procfs/read_file.h"
#include "spdlog/spdlog.h"

namespace thoth::filesystem {
namespace {

const std::string kKind = "filesystem";

// node_exporter's filesystem and meminfo metrics for the configured paths. Paths that share a
// mount are reported once, under the mount's labels, as node_exporter does.
class FilesystemCollector : public Collector {
 public:
  FilesystemCollector(std::vector<std::string> paths, std::string proc_root,
                      std::string fingerprint)
      : Collector(CollectorId::Single(kKind, std::move(fingerprint))),
        paths_(std::move(paths)),
        proc_root_(std::move(proc_root)) {}

  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override {
    return CollectImpl(ctx, sink);
  }

  void Checks(const Families& families, bool success, const Thresholds& thresholds,
              std::vector<HealthCheck>& out) const override {
    if (!success) {
      Collector::Checks(families, success, thresholds, out);
      return;
    }
    FilesystemChecks(families, thresholds, out);
  }

 private:
  Status CollectImpl(const ScrapeContext& ctx, MetricSink& sink) {
    std::string text;
    int err = ReadSmallFile(proc_root_ + "/self/mountinfo", &text, 4 << 20);
    if (err != 0) {
      return Status::Error("cannot read " + proc_root_ + "/self/mountinfo: " + std::strerror(err));
    }
    std::vector<MountInfo> mounts = ParseMountInfo(text);

    std::set<std::string> seen_mounts;
    for (const auto& path : paths_) {
      if (ctx.Expired()) return Status::Error("deadline reached while reading filesystems");
      char resolved[PATH_MAX];
      if (::realpath(path.c_str(), resolved) == nullptr) {
        int e = errno;
        if (missing_.insert(path).second) {
          spdlog::warn("filesystem: configured path {} is not reported: {}", path,
                       std::strerror(e));
        }
        continue;
      }
      if (missing_.erase(path) > 0) spdlog::info("filesystem: path {} is back", path);
      const MountInfo* mount = FindMountFor(mounts, resolved);
      if (mount == nullptr) continue;  // a path outside every mount: nothing to label it with
      if (!seen_mounts.insert(mount->mount_point).second) continue;
      Labels labels = {
          {"device", mount->source}, {"fstype", mount->fstype}, {"mountpoint", mount->mount_point}};
      WriteFilesystem(resolved, labels, sink);
    }

    return CollectMemInfo(sink);
  }

  // The node_filesystem_* rows of one mount, from statvfs on the configured (resolved) path.
  static void WriteFilesystem(const char* resolved, const Labels& labels, MetricSink& sink) {
    struct statvfs st;
    // statvfs on the configured path itself: the mount point may be hidden from this mount
    // namespace while the path is not.
    if (::statvfs(resolved, &st) != 0) {
      sink.Gauge("node_filesystem_device_error",
                 "Whether an error occurred while getting statistics for the given device.", labels,
                 1);
      return;
    }
    double frsize = static_cast<double>(st.f_frsize != 0 ? st.f_frsize : st.f_bsize);
    sink.Gauge("node_filesystem_size_bytes", "Filesystem size in bytes.", labels,
               static_cast<double>(st.f_blocks) * frsize);
    sink.Gauge("node_filesystem_free_bytes", "Filesystem free space in bytes.", labels,
               static_cast<double>(st.f_bfree) * frsize);
    sink.Gauge("node_filesystem_avail_bytes",
               "Filesystem space available to non-root users in bytes.", labels,
               static_cast<double>(st.f_bavail) * frsize);
    sink.Gauge("node_filesystem_files", "Filesystem total file nodes.", labels,
               static_cast<double>(st.f_files));
    sink.Gauge("node_filesystem_files_free", "Filesystem total free file nodes.", labels,
               static_cast<double>(st.f_ffree));
    sink.Gauge("node_filesystem_readonly", "Filesystem read-only status.", labels,
               (st.f_flag & ST_RDONLY) != 0 ? 1 : 0);
    sink.Gauge("node_filesystem_device_error",
               "Whether an error occurred while getting statistics for the given device.", labels,
               0);
  }

  // node_memory_MemTotal_bytes and node_memory_MemAvailable_bytes.
  Status CollectMemInfo(MetricSink& sink) const {
    std::string text;
    const int err = ReadSmallFile(proc_root_ + "/meminfo", &text);
    if (err != 0) {
      return Status::Error("cannot read " + proc_root_ + "/meminfo: " + std::strerror(err));
    }
    MemInfo mem = ParseMemInfo(text);
    if (mem.total_bytes) {
      sink.Gauge("node_memory_MemTotal_bytes", "Memory information field MemTotal_bytes.", {},
                 *mem.total_bytes);
    }
    if (mem.available_bytes) {
      sink.Gauge("node_memory_MemAvailable_bytes", "Memory information field MemAvailable_bytes.",
                 {}, *mem.available_bytes);
    }
    if (!mem.total_bytes) return Status::Error(proc_root_ + "/meminfo has no MemTotal");
    return Status::Ok();
  }

  const std::vector<std::string> paths_;
  const std::string proc_root_;
  std::set<std::string> missing_;  // paths already logged as missing (log on transition only)
};

Severity GradeLow(double value, const Level& level) {
  if (value < level.critical) return Severity::kCritical;
  if (value < level.warning) return Severity::kWarning;
  return Severity::kOk;
}

std::string Percent(double ratio) { return FormatNumber(std::round(1000 * ratio) / 10) + "%"; }

}  // namespace

void FilesystemChecks(const Families& families, const Thresholds& thresholds,
                      std::vector<HealthCheck>& out) {
  const Level& disk = thresholds.disk_free_ratio;
  const std::string disk_threshold =
      "< " + Percent(disk.warning) + " free warn, < " + Percent(disk.critical) + " free crit";
  bool any_mount = false;
  for (const auto& family : families) {
    if (family.name != "node_filesystem_size_bytes") continue;
    for (std::size_t i = 0; i < family.size(); ++i) {
      const std::string mountpoint = family.LabelValue(i, "mountpoint");
      any_mount = true;
      const double size = family.Value(i);
      double avail = 0;
      Labels at = {{"mountpoint", mountpoint}};
      if (!FindSample(families, "node_filesystem_avail_bytes", at, &avail) || size <= 0) {
        out.push_back({kKind, mountpoint, "space", "size or available space unknown",
                       disk_threshold, Severity::kUnknown});
        continue;
      }
      // The alerts' ratio: space available to non-root users over the filesystem's size.
      const double free_ratio = avail / size;
      std::string value = FormatNumber(std::round(avail / (1 << 20))) + " MiB available (" +
                          Percent(free_ratio) + " free)";
      out.push_back(
          {kKind, mountpoint, "space", value, disk_threshold, GradeLow(free_ratio, disk)});
    }
  }
  double device_error = 0;
  for (const auto& family : families) {
    if (family.name != "node_filesystem_device_error") continue;
    for (std::size_t i = 0; i < family.size(); ++i) {
      if (family.Value(i) != 1) continue;
      const std::string mountpoint = family.LabelValue(i, "mountpoint");
      device_error = 1;
      out.push_back({kKind, mountpoint, "space", "statfs failed: space unknown", disk_threshold,
                     Severity::kCritical});
    }
  }
  if (!any_mount && device_error == 0) {
    out.push_back({kKind, "filesystems", "space", "no configured path could be read",
                   disk_threshold, Severity::kUnknown});
  }

  const Level& memory = thresholds.memory_usage_ratio;
  const std::string memory_threshold =
      "> " + Percent(memory.warning) + " used warn, > " + Percent(memory.critical) + " used crit";
  double total = 0, available = 0;
  if (FindSample(families, "node_memory_MemTotal_bytes", {}, &total) &&
      FindSample(families, "node_memory_MemAvailable_bytes", {}, &available) && total > 0) {
    const double used = 1 - available / total;
    out.push_back({kKind, "host", "memory",
                   FormatNumber(std::round(available / (1 << 20))) + " MiB available of " +
                       FormatNumber(std::round(total / (1 << 20))) + " MiB (" + Percent(used) +
                       " used)",
                   memory_threshold, Grade(used, memory)});
  } else {
    out.push_back({kKind, "host", "memory", "MemTotal or MemAvailable unknown", memory_threshold,
                   Severity::kUnknown});
  }
}

std::shared_ptr<Collector> MakeFilesystemCollector(std::vector<std::string> paths,
                                                   std::string proc_root, std::string fingerprint) {
  return std::make_shared<FilesystemCollector>(std::move(paths), std::move(proc_root),
                                               std::move(fingerprint));
}

std::vector<std::shared_ptr<Collector>> MakeCollectors(FilesystemConfig config,
                                                       const CollectorEnv& env) {
  (void)env;
  if (config.paths.empty()) return {};  // `filesystem: []`: the operator watches no filesystem
  return {MakeFilesystemCollector(std::move(config.paths), "/proc", std::move(config.fingerprint))};
}

}  // namespace thoth::filesystem

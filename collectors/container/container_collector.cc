#include "collectors/container/container_collector.h"

#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "collectors/container/cgroup_stats.h"
#include "docker/engine_api.h"
#include "exporter/http_client.h"
#include "procfs/cgroup.h"
#include "procfs/meminfo.h"
#include "procfs/mountinfo.h"
#include "procfs/read_file.h"
#include "spdlog/spdlog.h"

namespace thoth::container {
namespace {

const std::string kKind = "container";
constexpr long kCgroup2SuperMagic = 0x63677270;
constexpr long kTmpfsMagic = 0x01021994;
constexpr long kCgroupSuperMagic = 0x27e0eb;

// Where one watched container's cgroup is: per v1 controller, or one v2 path.
struct CgroupRef {
  std::map<std::string, std::string> v1;  // controller -> cgroup path
  std::string unified;

  static CgroupRef Same(const std::string& path) {
    CgroupRef r;
    for (const char* c : {"cpu", "cpuacct", "memory"}) r.v1[c] = path;
    r.unified = path;
    return r;
  }
};

struct Watched {
  std::string name;
  CgroupRef ref;
  bool required;  // self and configured cgroups: unreadable is a failure; Docker's may vanish
};

enum class DockerState { kUnknown, kOff, kNoSocket, kNoPermission, kError, kAvailable };

std::string MiB(double bytes) { return FormatNumber(std::round(bytes / (1 << 20))) + " MiB"; }

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

class ContainerCollector : public Collector {
 public:
  ContainerCollector(ContainerConfig config, ContainerOptions options, std::string fingerprint)
      : Collector(CollectorId::Single(kKind, std::move(fingerprint))),
        config_(std::move(config)),
        options_(std::move(options)) {
    long hz = ::sysconf(_SC_CLK_TCK);
    user_hz_ = hz > 0 ? static_cast<double>(hz) : 100.0;
  }

  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override {
    return CollectImpl(ctx, sink);
  }

  void Checks(const Families& families, bool success, const Thresholds& thresholds,
              std::vector<HealthCheck>& out) const override {
    if (!success) {
      Collector::Checks(families, success, thresholds, out);
    }
    const Level& level = thresholds.memory_usage_ratio;
    std::string threshold = "> " + FormatNumber(level.warning * 100) + "% warn, > " +
                            FormatNumber(level.critical * 100) + "% crit";
    double host_total = host_mem_total_.load();
    for (const auto& family : families) {
      if (family.name != "container_memory_working_set_bytes") continue;
      for (std::size_t i = 0; i < family.size(); ++i) {
        const std::string name = family.LabelValue(i, "name");
        double ws = family.Value(i);
        double limit = 0;
        FindSample(families, "container_spec_memory_limit_bytes", {{"name", name}}, &limit);
        std::string of = "limit";
        if (limit <= 0) {
          limit = host_total;
          of = "host memory";
        }
        if (limit <= 0) {
          out.push_back(
              {kKind, name, "memory working set", MiB(ws), threshold, Severity::kUnknown});
          continue;
        }
        double ratio = ws / limit;
        out.push_back({kKind, name, "memory working set",
                       MiB(ws) + " of " + MiB(limit) + " " + of + " (" +
                           FormatNumber(std::round(ratio * 1000) / 10) + "%)",
                       threshold, Grade(ratio, level)});
      }
    }
  }

 private:
  std::string Host(const std::string& path) const { return options_.host_root + path; }

  Status CollectImpl(const ScrapeContext& ctx, MetricSink& sink) {
    std::string text;
    if (ReadSmallFile(Host("/proc/meminfo"), &text) == 0) {
      if (auto total = ParseMemInfo(text).total_bytes) host_mem_total_.store(*total);
    }
    if (!layout_) {
      Status s = DetectLayout();
      if (!s.ok()) return s;
    }

    std::vector<Watched> watched;
    std::string errors;
    if (config_.self) {
      int err = ReadSmallFile(Host("/proc/self/cgroup"), &text);
      if (err != 0) {
        errors += "cannot read /proc/self/cgroup: " + std::string(std::strerror(err)) + "; ";
      } else {
        ProcCgroups own = ParseProcCgroup(text);
        CgroupRef ref;
        ref.v1 = own.v1;
        ref.unified = own.unified.value_or("");
        watched.push_back({config_.self_name, ref, true});
      }
    }
    for (const auto& [name, path] : config_.cgroups) {
      watched.push_back({name, CgroupRef::Same(path), true});
    }
    CollectDocker(ctx, watched);

    std::set<std::string> names;
    for (const auto& w : watched) {
      if (ctx.Expired()) return Status::Error("deadline reached while reading cgroups");
      // Two sources naming one container the same would make duplicate series.
      if (!names.insert(w.name).second) continue;
      CgroupStats stats = Read(w.ref);
      if (stats.Empty()) {
        if (w.required) errors += "no cgroup statistics readable for " + w.name + "; ";
        continue;
      }
      Emit(sink, w.name, stats);
    }
    if (!errors.empty()) {
      errors.resize(errors.size() - 2);
      return Status::Error(errors);
    }
    return Status::Ok();
  }

  Status DetectLayout() {
    std::string text;
    int err = ReadSmallFile(Host("/proc/self/mountinfo"), &text, 4 << 20);
    if (err != 0)
      return Status::Error("cannot read /proc/self/mountinfo: " + std::string(std::strerror(err)));
    std::string fstype = options_.cgroup_fstype;
    if (fstype.empty()) {
      struct statfs st;
      if (::statfs(Host("/sys/fs/cgroup").c_str(), &st) != 0) {
        return Status::Error("cannot statfs /sys/fs/cgroup: " + std::string(std::strerror(errno)));
      }
      long magic = static_cast<long>(st.f_type);
      fstype = magic == kCgroup2SuperMagic  ? "cgroup2"
               : magic == kTmpfsMagic       ? "tmpfs"
               : magic == kCgroupSuperMagic ? "cgroup"
                                            : "other";
    }
    layout_ = DetectCgroupLayout(ParseMountInfo(text), fstype);
    if (!layout_) return Status::Error("no cgroup v1 or v2 mount found in /proc/self/mountinfo");
    spdlog::debug("container: cgroup {} ({})", layout_->v2 ? "v2" : "v1", fstype);
    return Status::Ok();
  }

  // The directory of `path` under the mount of `controller` (v2: the unified mount), with the
  // host root of tests in front.
  std::optional<std::string> Dir(const std::string& controller, const std::string& path) const {
    if (path.empty()) return std::nullopt;
    std::optional<std::string> dir;
    if (layout_->v2) {
      dir = CgroupDir(layout_->unified, path);
    } else {
      auto it = layout_->v1.find(controller);
      if (it == layout_->v1.end()) return std::nullopt;
      dir = CgroupDir(it->second, path);
    }
    if (!dir) return std::nullopt;
    return Host(*dir);
  }

  void ReadInto(CgroupFiles& files, const std::optional<std::string>& dir, const char* const* names,
                std::size_t count) {
    if (!dir) return;
    for (std::size_t i = 0; i < count; ++i) {
      if (ReadSmallFile(*dir + "/" + names[i], &buf_, 64 << 10) == 0) files[names[i]] = buf_;
    }
  }

  CgroupStats Read(const CgroupRef& ref) {
    CgroupFiles files;
    if (layout_->v2) {
      ReadInto(files, Dir("", ref.unified), kCgroupV2Files, std::size(kCgroupV2Files));
      return StatsFromV2(files);
    }
    auto path = [&](const char* c) {
      auto it = ref.v1.find(c);
      return it == ref.v1.end() ? std::string() : it->second;
    };
    ReadInto(files, Dir("cpu", path("cpu")), kCgroupV1CpuFiles, std::size(kCgroupV1CpuFiles));
    ReadInto(files, Dir("cpuacct", path("cpuacct")), kCgroupV1CpuacctFiles,
             std::size(kCgroupV1CpuacctFiles));
    ReadInto(files, Dir("memory", path("memory")), kCgroupV1MemoryFiles,
             std::size(kCgroupV1MemoryFiles));
    return StatsFromV1(files, user_hz_);
  }

  void Emit(MetricSink& sink, const std::string& name, const CgroupStats& s) {
    Labels l = {{"name", name}};
    auto counter = [&](const char* metric, const char* help, const std::optional<double>& v) {
      if (v) sink.Counter(metric, help, l, *v);
    };
    auto gauge = [&](const char* metric, const char* help, const std::optional<double>& v) {
      if (v) sink.Gauge(metric, help, l, *v);
    };
    counter("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.",
            s.cpu_usage_seconds);
    counter("container_cpu_user_seconds_total", "Cumulative user cpu time consumed in seconds.",
            s.cpu_user_seconds);
    counter("container_cpu_system_seconds_total", "Cumulative system cpu time consumed in seconds.",
            s.cpu_system_seconds);
    counter("container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.",
            s.cfs_periods);
    counter("container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.",
            s.cfs_throttled_periods);
    counter("container_cpu_cfs_throttled_seconds_total",
            "Total time duration the container has been throttled.", s.cfs_throttled_seconds);
    gauge("container_memory_usage_bytes",
          "Current memory usage in bytes, including all memory regardless of when it was "
          "accessed.",
          s.memory_usage_bytes);
    gauge("container_memory_working_set_bytes",
          "Current working set in bytes (usage minus inactive file cache).",
          s.memory_working_set_bytes);
    gauge("container_memory_rss", "Size of RSS in bytes.", s.memory_rss_bytes);
    gauge("container_memory_cache", "Number of bytes of page cache memory.", s.memory_cache_bytes);
    gauge("container_memory_swap", "Container swap usage in bytes.", s.memory_swap_bytes);
    gauge("container_spec_memory_limit_bytes", "Memory limit for the container (0 = unlimited).",
          s.memory_limit_bytes);
    gauge("container_spec_cpu_quota", "CPU quota of the container in microseconds (0 = unlimited).",
          s.cpu_quota_us);
    gauge("container_spec_cpu_period", "CPU period of the container in microseconds.",
          s.cpu_period_us);
    counter("container_oom_events_total",
            "Count of out of memory events observed for the container", s.oom_events);
  }

  // Logs the Docker part's state once per change: a host without Docker says so once.
  void SetDockerState(DockerState state, const std::string& detail) {
    if (state == docker_state_) return;
    docker_state_ = state;
    switch (state) {
      case DockerState::kAvailable:
        spdlog::info("container: Docker API on {} available", config_.docker_socket);
        break;
      case DockerState::kNoSocket:
        spdlog::info("container: no Docker socket at {}; Docker containers are not reported",
                     config_.docker_socket);
        break;
      default:
        spdlog::warn(
            "container: Docker API on {} unavailable ({}); Docker containers are not "
            "reported",
            config_.docker_socket, detail);
        break;
    }
  }

  HttpResponse DockerGet(const ScrapeContext& ctx, const std::string& path) {
    if (!http_) http_ = std::make_unique<HttpClient>();
    HttpRequest req;
    req.url = "http://localhost" + path;
    req.unix_socket = config_.docker_socket;
    // At most half of what is left: a hung daemon must not make the cgroup reads late.
    double budget = std::max(0.05, ctx.SecondsLeft() / 2);
    req.timeout_seconds = std::min(5.0, budget);
    req.connect_timeout_seconds = std::min(2.0, budget);
    req.max_body_bytes = 8 << 20;
    return http_->Fetch(req);
  }

  void CollectDocker(const ScrapeContext& ctx, std::vector<Watched>& watched) {
    if (config_.docker_socket.empty()) return;
    struct stat st;
    if (::stat(config_.docker_socket.c_str(), &st) != 0) {
      int err = errno;
      if (err == ENOENT) {
        SetDockerState(DockerState::kNoSocket, "");
      } else {
        SetDockerState(DockerState::kError, std::strerror(err));
      }
      return;
    }
    if (::access(config_.docker_socket.c_str(), R_OK | W_OK) != 0) {
      SetDockerState(DockerState::kNoPermission, std::strerror(errno));
      return;
    }
    HttpResponse list = DockerGet(ctx, "/containers/json");
    if (!list.transport_ok) {
      SetDockerState(DockerState::kError, list.error);
      return;
    }
    if (list.status != 200) {
      SetDockerState(DockerState::kError,
                     "GET /containers/json answered " + std::to_string(list.status));
      return;
    }
    StatusOr<std::vector<DockerContainer>> containers = ParseDockerContainerList(list.body);
    if (!containers.ok()) {
      SetDockerState(DockerState::kError, containers.status().message());
      return;
    }
    SetDockerState(DockerState::kAvailable, "");

    std::map<std::string, CgroupRef> resolved;
    for (const auto& c : *containers) {
      auto cached = docker_refs_.find(c.id);
      if (cached != docker_refs_.end()) {
        resolved.emplace(c.id, cached->second);
      } else if (!ctx.Expired()) {
        if (auto ref = ResolveDocker(ctx, c.id)) resolved.emplace(c.id, *ref);
      }
      auto it = resolved.find(c.id);
      if (it != resolved.end()) watched.push_back({c.name, it->second, false});
    }
    docker_refs_ = std::move(resolved);  // forgets containers that are gone
  }

  // Finds a container's cgroup: from its main process's /proc/<pid>/cgroup when this exporter
  // shares the host's pid namespace (trusted only if the path names the container), else by
  // trying the cgroupfs and systemd drivers' paths.
  std::optional<CgroupRef> ResolveDocker(const ScrapeContext& ctx, const std::string& id) {
    HttpResponse resp = DockerGet(ctx, "/containers/" + id + "/json");
    if (!resp.transport_ok || resp.status != 200) {
      spdlog::debug("container: inspect {} failed: {} {}", id, resp.status, resp.error);
      return std::nullopt;
    }
    StatusOr<DockerInspect> parsed = ParseDockerInspect(resp.body);
    if (!parsed.ok()) {
      spdlog::debug("container: inspect {}: {}", id, parsed.status().message());
      return std::nullopt;
    }
    const DockerInspect& inspect = *parsed;
    if (inspect.pid > 0) {
      std::string text;
      if (ReadSmallFile(Host("/proc/" + std::to_string(inspect.pid) + "/cgroup"), &text) == 0) {
        ProcCgroups pc = ParseProcCgroup(text);
        const std::string probe = layout_->v2
                                      ? pc.unified.value_or("")
                                      : (pc.v1.count("memory") ? pc.v1["memory"] : std::string());
        if (probe.find(id) != std::string::npos) {
          CgroupRef ref;
          ref.v1 = pc.v1;
          ref.unified = pc.unified.value_or("");
          return ref;
        }
      }
    }
    for (const auto& path : DockerCgroupCandidates(id, inspect.cgroup_parent)) {
      auto dir = Dir(layout_->v2 ? "" : "memory", path);
      if (!dir) dir = Dir("cpuacct", path);
      if (dir && IsDir(*dir)) return CgroupRef::Same(path);
    }
    spdlog::debug("container: no cgroup found for Docker container {}", id);
    return std::nullopt;
  }

  const ContainerConfig config_;
  const ContainerOptions options_;
  double user_hz_ = 100;
  std::optional<CgroupLayout> layout_;  // mounts do not move while we run: detected once
  std::unique_ptr<HttpClient> http_;
  DockerState docker_state_ = DockerState::kUnknown;
  std::map<std::string, CgroupRef> docker_refs_;  // container id -> its cgroup
  std::atomic<double> host_mem_total_{0};         // for --once when a container has no limit
  std::string buf_;
};

}  // namespace

std::shared_ptr<Collector> MakeContainerCollector(ContainerConfig config, ContainerOptions options,
                                                  std::string fingerprint) {
  return std::make_shared<ContainerCollector>(std::move(config), std::move(options),
                                              std::move(fingerprint));
}

std::vector<std::shared_ptr<Collector>> MakeCollectors(SectionConfig config,
                                                       const CollectorEnv& env) {
  (void)env;
  if (!config.any) return {};
  return {MakeContainerCollector(std::move(config.watch), ContainerOptions{},
                                 std::move(config.fingerprint))};
}

}  // namespace thoth::container

#include "collectors/process/process_collector.h"

#include <dirent.h>
#include <regex.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "collectors/filesystem/small_file.h"
#include "collectors/process/proc_parser.h"
#include "spdlog/spdlog.h"

namespace thoth::process {
namespace {

const std::string kKind = "process";

// A compiled POSIX extended regex (glibc's matcher: no extra library, and fast enough to test
// every command line of a 1,000-process host within the scan budget).
class Regex {
 public:
  explicit Regex(const std::string& pattern) {
    int rc = ::regcomp(&re_, pattern.c_str(), REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
      char msg[256];
      ::regerror(rc, &re_, msg, sizeof msg);
      throw std::invalid_argument(msg);
    }
  }
  ~Regex() { ::regfree(&re_); }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  bool Search(const std::string& text) const {
    return ::regexec(&re_, text.c_str(), 0, nullptr, 0) == 0;
  }

 private:
  regex_t re_;
};

struct Group {
  std::string name;
  std::unique_ptr<Regex> regex;
  std::optional<std::int64_t> min_processes;
  // Counters accumulate over every process ever seen in the group, as process-exporter's do, so
  // that a process exiting does not make them go down.
  double cpu_user_seconds = 0;
  double cpu_system_seconds = 0;
  double read_bytes = 0;
  double write_bytes = 0;
  bool io_readable = false;  // some member's /proc/<pid>/io could be read
};

// What the previous scan saw of one process, to add only the increase of its counters.
struct Seen {
  std::size_t group = 0;
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  double read_bytes = 0;
  double write_bytes = 0;
};

// A process is the same one while its pid and start time are.
struct ProcKey {
  pid_t pid;
  std::uint64_t start;
  bool operator==(const ProcKey& o) const { return pid == o.pid && start == o.start; }
};
struct ProcKeyHash {
  std::size_t operator()(const ProcKey& k) const {
    return std::hash<std::uint64_t>()((static_cast<std::uint64_t>(k.pid) << 40) ^ k.start);
  }
};

struct Gauges {
  double procs = 0;
  double threads = 0;
  double fds = 0;
  double resident = 0;
  double virt = 0;
  double swap = 0;
  double oldest_start_ticks = -1;
};

bool Vanished(int err) { return err == ENOENT || err == ESRCH; }

class ProcessCollector : public Collector {
 public:
  ProcessCollector(const std::vector<ProcessGroupConfig>& groups, std::string proc_root,
                   std::string fingerprint)
      : Collector(CollectorId::Single(kKind, std::move(fingerprint))),
        proc_root_(std::move(proc_root)) {
    for (const auto& g : groups) {
      groups_.push_back(Group{g.name, std::make_unique<Regex>(g.cmdline), g.min_processes});
    }
    long hz = ::sysconf(_SC_CLK_TCK);
    ticks_per_second_ = hz > 0 ? static_cast<double>(hz) : 100.0;
    long page = ::sysconf(_SC_PAGESIZE);
    page_size_ = page > 0 ? static_cast<double>(page) : 4096.0;
  }

  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override {
    return CollectImpl(ctx, sink);
  }

  void Checks(const Families& families, bool success, const Thresholds& thresholds,
              std::vector<HealthCheck>& out) const override {
    if (!success) {
      Collector::Checks(families, success, thresholds, out);
      return;
    }
    for (const auto& g : groups_) {
      double n = 0;
      const bool found =
          FindSample(families, "namedprocess_namegroup_num_procs", {{"groupname", g.name}}, &n);
      out.push_back(GradeProcessGroup(g.name, found ? std::optional<double>(n) : std::nullopt,
                                      g.min_processes));
    }
  }

 private:
  Status CollectImpl(const ScrapeContext& ctx, MetricSink& sink) {
    if (!boot_time_) {
      std::string stat;
      if (ReadSmallFile(proc_root_ + "/stat", &stat) == 0) boot_time_ = ParseBootTime(stat);
      if (!boot_time_)
        return Status::Error("cannot read the boot time from " + proc_root_ + "/stat");
    }
    DIR* dir = ::opendir(proc_root_.c_str());
    if (dir == nullptr) {
      return Status::Error("cannot list " + proc_root_ + ": " + std::strerror(errno));
    }
    std::vector<Gauges> gauges(groups_.size());
    std::unordered_map<ProcKey, Seen, ProcKeyHash> seen;
    seen.reserve(seen_.size() + 16);
    std::string path;
    std::size_t scanned = 0;
    bool expired = false;
    while (dirent* entry = ::readdir(dir)) {
      const char* name = entry->d_name;
      if (name[0] < '1' || name[0] > '9') continue;
      bool numeric = true;
      for (const char* p = name; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9') numeric = false;
      }
      if (!numeric) continue;
      // Checking the clock costs more than reading a small file: look every 64 processes.
      if ((++scanned & 63) == 0 && ctx.Expired()) {
        expired = true;
        break;
      }
      path.assign(proc_root_).append("/").append(name);
      std::size_t base = path.size();
      path.append("/cmdline");
      if (ReadSmallFile(path, &cmdline_, 64 << 10, true) != 0 || cmdline_.empty()) continue;
      CmdlineToText(&cmdline_);
      std::size_t group = groups_.size();
      for (std::size_t g = 0; g < groups_.size(); ++g) {
        if (groups_[g].regex->Search(cmdline_)) {
          group = g;
          break;
        }
      }
      if (group == groups_.size()) continue;
      ScanMember(path, base, static_cast<pid_t>(std::atoi(name)), group, gauges[group], seen);
    }
    ::closedir(dir);
    seen_ = std::move(seen);
    if (expired) return Status::Error("deadline reached while scanning " + proc_root_);

    for (std::size_t g = 0; g < groups_.size(); ++g) {
      const Group& group = groups_[g];
      const Gauges& v = gauges[g];
      Labels l = {{"groupname", group.name}};
      sink.Gauge("namedprocess_namegroup_num_procs", "number of processes in this group", l,
                 v.procs);
      sink.Counter("namedprocess_namegroup_cpu_seconds_total",
                   "CPU time of the processes of this group in seconds, by mode",
                   {{"groupname", group.name}, {"mode", "user"}}, group.cpu_user_seconds);
      sink.Counter("namedprocess_namegroup_cpu_seconds_total",
                   "CPU time of the processes of this group in seconds, by mode",
                   {{"groupname", group.name}, {"mode", "system"}}, group.cpu_system_seconds);
      const char* mem_help = "number of bytes of memory in use";
      sink.Gauge("namedprocess_namegroup_memory_bytes", mem_help,
                 {{"groupname", group.name}, {"memtype", "resident"}}, v.resident);
      sink.Gauge("namedprocess_namegroup_memory_bytes", mem_help,
                 {{"groupname", group.name}, {"memtype", "virtual"}}, v.virt);
      sink.Gauge("namedprocess_namegroup_memory_bytes", mem_help,
                 {{"groupname", group.name}, {"memtype", "swap"}}, v.swap);
      sink.Gauge("namedprocess_namegroup_open_filedesc",
                 "number of open file descriptors for this group", l, v.fds);
      sink.Gauge("namedprocess_namegroup_num_threads", "Number of threads", l, v.threads);
      if (group.min_processes) {
        sink.Gauge("thoth_process_min_procs",
                   "min_processes of this group: fewer processes is a problem", l,
                   static_cast<double>(*group.min_processes));
      }
      if (v.oldest_start_ticks >= 0) {
        sink.Gauge("namedprocess_namegroup_oldest_start_time_seconds",
                   "start time in seconds since 1970/01/01 of oldest process in group", l,
                   *boot_time_ + v.oldest_start_ticks / ticks_per_second_);
      }
      if (group.io_readable) {
        sink.Counter("namedprocess_namegroup_read_bytes_total",
                     "number of bytes read by this group", l, group.read_bytes);
        sink.Counter("namedprocess_namegroup_write_bytes_total",
                     "number of bytes written by this group", l, group.write_bytes);
      }
    }
    return Status::Ok();
  }

  // Reads one matched process. `path` holds "<proc>/<pid>/..." with the "<proc>/<pid>" part
  // `base` long. A process that exits meanwhile is left out without a word.
  void ScanMember(std::string& path, std::size_t base, pid_t pid, std::size_t group_index,
                  Gauges& v, std::unordered_map<ProcKey, Seen, ProcKeyHash>& seen) {
    path.resize(base);
    path.append("/stat");
    if (ReadSmallFile(path, &buf_, 4096, true) != 0) return;
    ProcStat st;
    if (!ParseProcStat(buf_, &st) || st.state == 'Z') return;

    ProcStatusMemory memory;
    path.resize(base);
    path.append("/status");
    int err = ReadSmallFile(path, &buf_, 16 << 10, true);
    if (Vanished(err)) return;
    if (err == 0) memory = ParseProcStatusMemory(buf_);

    ProcIo io;
    path.resize(base);
    path.append("/io");
    // EACCES for other users' processes unless root; ENOENT on kernels without task I/O
    // accounting. Either way the process is counted without its I/O.
    if (ReadSmallFile(path, &buf_, 4096, true) == 0) io = ParseProcIo(buf_);

    double fds = 0;
    path.resize(base);
    path.append("/fd");
    if (DIR* fd_dir = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(fd_dir)) {
        if (e->d_name[0] != '.') fds += 1;
      }
      ::closedir(fd_dir);
    } else if (Vanished(errno)) {
      return;
    }

    Group& group = groups_[group_index];
    ProcKey key{pid, st.starttime_ticks};
    Seen now{group_index, st.utime_ticks, st.stime_ticks, io.read_bytes.value_or(0),
             io.write_bytes.value_or(0)};
    Seen before{group_index, 0, 0, 0, 0};
    auto it = seen_.find(key);
    if (it != seen_.end() && it->second.group == group_index) before = it->second;
    // Counters of one process never go down; guard anyway so a lying file cannot make ours.
    auto delta = [](double a, double b) { return a > b ? a - b : 0.0; };
    group.cpu_user_seconds +=
        delta(static_cast<double>(now.utime), static_cast<double>(before.utime)) /
        ticks_per_second_;
    group.cpu_system_seconds +=
        delta(static_cast<double>(now.stime), static_cast<double>(before.stime)) /
        ticks_per_second_;
    if (io.read_bytes && io.write_bytes) {
      group.io_readable = true;
      group.read_bytes += delta(now.read_bytes, before.read_bytes);
      group.write_bytes += delta(now.write_bytes, before.write_bytes);
    } else {
      now.read_bytes = before.read_bytes;
      now.write_bytes = before.write_bytes;
    }
    seen[key] = now;

    v.procs += 1;
    v.threads += static_cast<double>(st.num_threads);
    v.fds += fds;
    v.resident += memory.rss_bytes.value_or(
        static_cast<double>(st.rss_pages > 0 ? st.rss_pages : 0) * page_size_);
    v.virt += static_cast<double>(st.vsize_bytes);
    v.swap += memory.swap_bytes.value_or(0);
    double start = static_cast<double>(st.starttime_ticks);
    if (v.oldest_start_ticks < 0 || start < v.oldest_start_ticks) v.oldest_start_ticks = start;
  }

  const std::string proc_root_;
  std::vector<Group> groups_;
  double ticks_per_second_ = 100;
  double page_size_ = 4096;
  std::optional<double> boot_time_;
  std::unordered_map<ProcKey, Seen, ProcKeyHash> seen_;
  std::string cmdline_;  // buffers kept between processes and scans
  std::string buf_;
};

}  // namespace

HealthCheck GradeProcessGroup(const std::string& group, std::optional<double> processes,
                              std::optional<std::int64_t> min_processes) {
  HealthCheck row{kKind, group, "processes", "", "", Severity::kOk};
  if (min_processes)
    row.threshold = "< " + std::to_string(*min_processes) + " crit";
  else
    row.threshold = "0 warn (no min_processes)";
  if (!processes) {
    row.value = "not counted";
    row.status = Severity::kUnknown;
    return row;
  }
  row.value = FormatNumber(*processes);
  if (min_processes) {
    if (*processes < static_cast<double>(*min_processes)) {
      row.value += " (below min_processes " + std::to_string(*min_processes) + ")";
      row.status = Severity::kCritical;
    }
  } else if (*processes == 0) {
    row.value += " (no process matches)";
    row.status = Severity::kWarning;
  }
  return row;
}

std::shared_ptr<Collector> MakeProcessCollector(const std::vector<ProcessGroupConfig>& groups,
                                                std::string proc_root, std::string fingerprint) {
  return std::make_shared<ProcessCollector>(groups, std::move(proc_root), std::move(fingerprint));
}

std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env) {
  (void)env;
  ConfigNode section = root.Child("process");
  std::vector<ProcessGroupConfig> groups;
  std::set<std::string> names;
  for (const auto& item : section.Items()) {
    item.ExpectKeys({"name", "cmdline", "min_processes"});
    ProcessGroupConfig g{item.RequiredString("name"), item.RequiredString("cmdline")};
    if (item.Has("min_processes")) {
      g.min_processes = item.Integer("min_processes", 0);
      if (*g.min_processes < 0 || *g.min_processes > 1000000) {
        item.FailKey("min_processes", "must be 0 to 1000000");
      }
    }
    if (g.name.empty()) item.FailKey("name", "must not be empty");
    if (!names.insert(g.name).second) item.FailKey("name", "repeats an earlier group");
    try {
      Regex check(g.cmdline);
    } catch (const std::invalid_argument& e) {
      item.FailKey("cmdline", std::string("not a valid regex: ") + e.what());
    }
    groups.push_back(std::move(g));
  }
  if (groups.empty()) return {};
  return {MakeProcessCollector(groups, "/proc", section.Fingerprint())};
}

}  // namespace thoth::process

#include "collectors/process/process_collector.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "procfs/proc_pid.h"
#include "procfs/read_file.h"
#include "procfs/stat.h"
#include "re2/re2.h"
#include "spdlog/spdlog.h"

namespace thoth::process {
namespace {

const std::string kKind = "process";

// A group's cmdline pattern. RE2, whose syntax is Go's and so that of process-exporter's
// configurations; searched unanchored. Matching is linear in the command line whatever the
// pattern, so no pattern can make the scan of a 1,000-process host miss its deadline.
StatusOr<std::shared_ptr<const RE2>> CompileCmdline(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);  // the error goes into the configuration error instead
  auto re = std::make_shared<const RE2>(pattern, options);
  if (!re->ok()) return Status::Error(re->error());
  return re;
}

struct Group {
  std::string name;
  std::shared_ptr<const RE2> regex;
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
  ProcessCollector(std::vector<Group> groups, std::string proc_root, std::string fingerprint)
      : Collector(CollectorId::Single(kKind, std::move(fingerprint))),
        proc_root_(std::move(proc_root)),
        groups_(std::move(groups)) {
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
    std::vector<Gauges> gauges(groups_.size());
    if (Status s = Scan(ctx, gauges); !s.ok()) return s;
    for (std::size_t g = 0; g < groups_.size(); ++g) EmitGroup(groups_[g], gauges[g], sink);
    return Status::Ok();
  }

  // Reads every process of proc_root_ into the gauges of its group (and the groups' counters).
  Status Scan(const ScrapeContext& ctx, std::vector<Gauges>& gauges) {
    DIR* dir = ::opendir(proc_root_.c_str());
    if (dir == nullptr) {
      return Status::Error("cannot list " + proc_root_ + ": " + std::strerror(errno));
    }
    std::unordered_map<ProcKey, Seen, ProcKeyHash> seen;
    seen.reserve(seen_.size() + 16);
    std::string path;
    std::size_t scanned = 0;
    bool expired = false;
    while (dirent* entry = ::readdir(dir)) {
      const char* name = entry->d_name;
      if (!IsPid(name)) continue;
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
      std::size_t group = GroupOf(cmdline_);
      if (group == groups_.size()) continue;
      ScanMember(path, base, static_cast<pid_t>(std::atoi(name)), group, gauges[group], seen);
    }
    ::closedir(dir);
    seen_ = std::move(seen);
    if (expired) return Status::Error("deadline reached while scanning " + proc_root_);
    return Status::Ok();
  }

  static bool IsPid(const char* name) {
    if (name[0] < '1' || name[0] > '9') return false;
    for (const char* p = name; *p != '\0'; ++p) {
      if (*p < '0' || *p > '9') return false;
    }
    return true;
  }

  // The first group whose pattern the command line matches; groups_.size() for none.
  std::size_t GroupOf(const std::string& cmdline) const {
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      if (RE2::PartialMatch(cmdline, *groups_[g].regex)) return g;
    }
    return groups_.size();
  }

  void EmitGroup(const Group& group, const Gauges& v, MetricSink& sink) const {
    Labels l = {{"groupname", group.name}};
    sink.Gauge("namedprocess_namegroup_num_procs", "number of processes in this group", l, v.procs);
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
      sink.Counter("namedprocess_namegroup_read_bytes_total", "number of bytes read by this group",
                   l, group.read_bytes);
      sink.Counter("namedprocess_namegroup_write_bytes_total",
                   "number of bytes written by this group", l, group.write_bytes);
    }
  }

  // What one process's files said.
  struct Member {
    ProcStat stat;
    ProcStatusMemory memory;
    ProcIo io;
    double fds = 0;
  };

  // Reads one matched process. `path` holds "<proc>/<pid>/..." with the "<proc>/<pid>" part
  // `base` long. nullopt when the process exited meanwhile (or is a zombie): left out without
  // a word.
  std::optional<Member> ReadMember(std::string& path, std::size_t base) {
    Member m;
    path.resize(base);
    path.append("/stat");
    if (ReadSmallFile(path, &buf_, 4096, true) != 0) return std::nullopt;
    if (!ParseProcStat(buf_, &m.stat) || m.stat.state == 'Z') return std::nullopt;
    path.resize(base);
    path.append("/status");
    int err = ReadSmallFile(path, &buf_, 16 << 10, true);
    if (Vanished(err)) return std::nullopt;
    if (err == 0) m.memory = ParseProcStatusMemory(buf_);
    path.resize(base);
    path.append("/io");
    // EACCES for other users' processes unless root; ENOENT on kernels without task I/O
    // accounting. Either way the process is counted without its I/O.
    if (ReadSmallFile(path, &buf_, 4096, true) == 0) m.io = ParseProcIo(buf_);
    path.resize(base);
    path.append("/fd");
    if (DIR* fd_dir = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(fd_dir)) {
        if (e->d_name[0] != '.') m.fds += 1;
      }
      ::closedir(fd_dir);
    } else if (Vanished(errno)) {
      return std::nullopt;
    }
    return m;
  }

  void ScanMember(std::string& path, std::size_t base, pid_t pid, std::size_t group_index,
                  Gauges& v, std::unordered_map<ProcKey, Seen, ProcKeyHash>& seen) {
    std::optional<Member> m = ReadMember(path, base);
    if (!m) return;
    const ProcStat& st = m->stat;
    ProcKey key{pid, st.starttime_ticks};
    seen[key] = AddCounters(groups_[group_index], group_index, key, *m);
    v.procs += 1;
    v.threads += static_cast<double>(st.num_threads);
    v.fds += m->fds;
    v.resident += m->memory.rss_bytes.value_or(
        static_cast<double>(st.rss_pages > 0 ? st.rss_pages : 0) * page_size_);
    v.virt += static_cast<double>(st.vsize_bytes);
    v.swap += m->memory.swap_bytes.value_or(0);
    double start = static_cast<double>(st.starttime_ticks);
    if (v.oldest_start_ticks < 0 || start < v.oldest_start_ticks) v.oldest_start_ticks = start;
  }

  // Adds to the group's counters what the process used since the last scan; returns what to
  // remember of it for the next.
  Seen AddCounters(Group& group, std::size_t group_index, const ProcKey& key, const Member& m) {
    Seen now{group_index, m.stat.utime_ticks, m.stat.stime_ticks, m.io.read_bytes.value_or(0),
             m.io.write_bytes.value_or(0)};
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
    if (m.io.read_bytes && m.io.write_bytes) {
      group.io_readable = true;
      group.read_bytes += delta(now.read_bytes, before.read_bytes);
      group.write_bytes += delta(now.write_bytes, before.write_bytes);
    } else {
      now.read_bytes = before.read_bytes;
      now.write_bytes = before.write_bytes;
    }
    return now;
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

StatusOr<std::shared_ptr<Collector>> MakeProcessCollector(
    const std::vector<ProcessGroupConfig>& groups, std::string proc_root, std::string fingerprint) {
  std::vector<Group> compiled;
  for (const auto& g : groups) {
    auto re = CompileCmdline(g.cmdline);
    if (!re.ok()) {
      return Status::Error("group " + g.name + ": not a valid regex: " + re.status().message());
    }
    compiled.push_back(Group{g.name, std::move(re).value(), g.min_processes});
  }
  return std::shared_ptr<Collector>(std::make_shared<ProcessCollector>(
      std::move(compiled), std::move(proc_root), std::move(fingerprint)));
}

Status ValidCmdlinePattern(const std::string& pattern) { return CompileCmdline(pattern).status(); }

std::vector<std::shared_ptr<Collector>> MakeCollectors(ProcessConfig config,
                                                       const CollectorEnv& env) {
  (void)env;
  if (config.groups.empty()) return {};
  // Every pattern was compiled by ParseConfig (ValidCmdlinePattern).
  return {MakeProcessCollector(config.groups, "/proc", std::move(config.fingerprint)).value()};
}

}  // namespace thoth::process

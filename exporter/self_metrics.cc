#include "exporter/self_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace thoth {

bool ParseProcSelfStat(const std::string& stat, double ticks_per_second, double page_size,
                       double boot_time_seconds, ProcessStats* out) {
  // The command may contain spaces and parentheses: fields start after the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos || ticks_per_second <= 0) return false;
  std::istringstream in(stat.substr(close + 1));
  std::vector<std::string> f;
  std::string tok;
  while (in >> tok) f.push_back(tok);
  // f[0] is field 3 (state); utime is field 14, stime 15, starttime 22, vsize 23, rss 24.
  if (f.size() < 22) return false;
  auto num = [&](size_t field) { return std::strtod(f[field - 3].c_str(), nullptr); };
  out->cpu_seconds = (num(14) + num(15)) / ticks_per_second;
  out->start_time_seconds = boot_time_seconds + num(22) / ticks_per_second;
  out->virtual_bytes = num(23);
  out->resident_bytes = num(24) * page_size;
  return true;
}

namespace {

double BootTime() {
  static const double kBootTime = [] {
    std::ifstream in("/proc/stat");
    std::string key;
    while (in >> key) {
      if (key == "btime") {
        double v = 0;
        in >> v;
        return v;
      }
      in.ignore(1 << 20, '\n');
    }
    return 0.0;
  }();
  return kBootTime;
}

double CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the descriptor opendir itself holds
}

}  // namespace

void EmitProcessMetrics(MetricSink& sink) {
  std::ifstream in("/proc/self/stat");
  std::stringstream buf;
  buf << in.rdbuf();
  ProcessStats s;
  if (ParseProcSelfStat(buf.str(), static_cast<double>(sysconf(_SC_CLK_TCK)),
                        static_cast<double>(sysconf(_SC_PAGESIZE)), BootTime(), &s)) {
    sink.Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                 {}, s.cpu_seconds);
    sink.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", {},
               s.resident_bytes);
    sink.Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", {},
               s.virtual_bytes);
    sink.Gauge("process_start_time_seconds",
               "Start time of the process since unix epoch in seconds.", {}, s.start_time_seconds);
  }
  sink.Gauge("process_open_fds", "Number of open file descriptors.", {}, CountOpenFds());
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    sink.Gauge("process_max_fds", "Maximum number of open file descriptors.", {},
               lim.rlim_cur == RLIM_INFINITY ? 0 : static_cast<double>(lim.rlim_cur));
  }
}

}  // namespace thoth

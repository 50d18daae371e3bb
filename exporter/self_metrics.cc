#include "exporter/self_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>

#include "procfs/proc_pid.h"
#include "procfs/read_file.h"
#include "procfs/stat.h"

namespace thoth {

bool ParseProcSelfStat(const std::string& stat, double ticks_per_second, double page_size,
                       double boot_time_seconds, ProcessStats* out) {
  ProcStat st;
  if (ticks_per_second <= 0 || !ParseProcStat(stat, &st)) return false;
  out->cpu_seconds = (static_cast<double>(st.utime_ticks) + static_cast<double>(st.stime_ticks)) /
                     ticks_per_second;
  out->start_time_seconds =
      boot_time_seconds + static_cast<double>(st.starttime_ticks) / ticks_per_second;
  out->virtual_bytes = static_cast<double>(st.vsize_bytes);
  out->resident_bytes = static_cast<double>(st.rss_pages) * page_size;
  return true;
}

namespace {

// Read once: the boot time does not change while the exporter runs.
double BootTime() {
  static const double kBootTime = [] {
    std::string text;
    if (ReadSmallFile("/proc/stat", &text) != 0) return 0.0;
    return ParseBootTime(text).value_or(0.0);
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
  std::string stat;
  ProcessStats s;
  if (ReadSmallFile("/proc/self/stat", &stat, 4096, true) == 0 &&
      ParseProcSelfStat(stat, static_cast<double>(sysconf(_SC_CLK_TCK)),
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

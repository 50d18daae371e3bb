#pragma once

#include <map>
#include <optional>
#include <string>

namespace thoth {

// The contents of a cgroup's interface files, by file name ("memory.stat" -> text). A file that
// could not be read is absent.
using CgroupFiles = std::map<std::string, std::string>;

// One container's numbers in cAdvisor's units (seconds, bytes, microseconds for the CFS spec).
// A field is empty when its file was absent or malformed; its metric is then not reported.
struct CgroupStats {
  std::optional<double> cpu_usage_seconds;
  std::optional<double> cpu_user_seconds;
  std::optional<double> cpu_system_seconds;
  std::optional<double> cfs_periods;
  std::optional<double> cfs_throttled_periods;
  std::optional<double> cfs_throttled_seconds;
  std::optional<double> memory_usage_bytes;
  std::optional<double> memory_working_set_bytes;  // usage - inactive_file, floored at 0
  std::optional<double> memory_rss_bytes;
  std::optional<double> memory_cache_bytes;
  std::optional<double> memory_swap_bytes;
  std::optional<double> memory_limit_bytes;  // 0 = unlimited
  std::optional<double> cpu_quota_us;        // 0 = unlimited
  std::optional<double> cpu_period_us;
  std::optional<double> oom_events;

  bool Empty() const { return !cpu_usage_seconds && !memory_usage_bytes; }
};

// The v1 files read (from the cpu, cpuacct and memory controllers' directories).
extern const char* const kCgroupV1CpuFiles[3];      // cpu.cfs_quota_us, cpu.cfs_period_us, cpu.stat
extern const char* const kCgroupV1CpuacctFiles[2];  // cpuacct.usage, cpuacct.stat
extern const char* const kCgroupV1MemoryFiles[5];
// The v2 files read (one directory).
extern const char* const kCgroupV2Files[7];

// cgroup v1: cpuacct.usage (ns), cpuacct.stat (USER_HZ ticks: `user_hz` per second),
// cpu.cfs_quota_us (-1 = unlimited), cpu.cfs_period_us, cpu.stat (nr_periods, nr_throttled,
// throttled_time ns), memory.usage_in_bytes, memory.limit_in_bytes (>= 2^62 = unlimited),
// memory.stat (total_inactive_file, total_rss, total_cache, total_swap), memory.oom_control
// (oom_kill, kernels >= 4.13).
CgroupStats StatsFromV1(const CgroupFiles& files, double user_hz);

// cgroup v2: cpu.stat (usage_usec, user_usec, system_usec, nr_periods, nr_throttled,
// throttled_usec), cpu.max, memory.current, memory.max ("max" = unlimited), memory.stat
// (inactive_file, anon, file), memory.events (oom_kill), memory.swap.current.
CgroupStats StatsFromV2(const CgroupFiles& files);

}  // namespace thoth

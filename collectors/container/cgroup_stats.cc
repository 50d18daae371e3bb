#include "collectors/container/cgroup_stats.h"

#include <cstdint>

#include "procfs/cgroup.h"

namespace thoth {

const char* const kCgroupV1CpuFiles[3] = {"cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.stat"};
const char* const kCgroupV1CpuacctFiles[2] = {"cpuacct.usage", "cpuacct.stat"};
const char* const kCgroupV1MemoryFiles[5] = {"memory.usage_in_bytes", "memory.limit_in_bytes",
                                             "memory.stat", "memory.oom_control",
                                             "memory.memsw.usage_in_bytes"};
const char* const kCgroupV2Files[7] = {"cpu.stat",           "cpu.max",     "memory.current",
                                       "memory.max",         "memory.stat", "memory.events",
                                       "memory.swap.current"};

namespace {

const std::string* Find(const CgroupFiles& files, const char* name) {
  auto it = files.find(name);
  return it == files.end() ? nullptr : &it->second;
}

std::optional<double> Unsigned(const CgroupFiles& files, const char* name) {
  const std::string* text = Find(files, name);
  if (text == nullptr) return std::nullopt;
  auto v = ParseCgroupUnsigned(*text);
  if (!v) return std::nullopt;
  return static_cast<double>(*v);
}

std::map<std::string, std::uint64_t> Keyed(const CgroupFiles& files, const char* name) {
  const std::string* text = Find(files, name);
  if (text == nullptr) return {};
  return ParseFlatKeyed(*text);
}

std::optional<double> Key(const std::map<std::string, std::uint64_t>& keyed, const char* key,
                          double scale = 1) {
  auto it = keyed.find(key);
  if (it == keyed.end()) return std::nullopt;
  return static_cast<double>(it->second) * scale;
}

void WorkingSet(CgroupStats& s, std::optional<double> inactive_file) {
  if (!s.memory_usage_bytes) return;
  double ws = *s.memory_usage_bytes - inactive_file.value_or(0);
  s.memory_working_set_bytes = ws > 0 ? ws : 0;
}

}  // namespace

CgroupStats StatsFromV1(const CgroupFiles& files, double user_hz) {
  CgroupStats s;
  if (auto ns = Unsigned(files, "cpuacct.usage")) s.cpu_usage_seconds = *ns / 1e9;
  auto acct = Keyed(files, "cpuacct.stat");
  if (user_hz > 0) {
    s.cpu_user_seconds = Key(acct, "user", 1 / user_hz);
    s.cpu_system_seconds = Key(acct, "system", 1 / user_hz);
  }
  auto cpu = Keyed(files, "cpu.stat");
  s.cfs_periods = Key(cpu, "nr_periods");
  s.cfs_throttled_periods = Key(cpu, "nr_throttled");
  s.cfs_throttled_seconds = Key(cpu, "throttled_time", 1e-9);
  if (const std::string* text = Find(files, "cpu.cfs_quota_us")) {
    if (auto q = ParseCgroupSigned(*text)) s.cpu_quota_us = *q < 0 ? 0 : static_cast<double>(*q);
  }
  s.cpu_period_us = Unsigned(files, "cpu.cfs_period_us");

  s.memory_usage_bytes = Unsigned(files, "memory.usage_in_bytes");
  if (const std::string* text = Find(files, "memory.limit_in_bytes")) {
    // The kernel's "no limit" is PAGE_COUNTER_MAX pages, just under 2^63 and page-size
    // dependent: anything from 2^62 up means unlimited. Compared as an integer: a double
    // cannot tell 2^62 - 1 from 2^62.
    if (auto limit = ParseCgroupUnsigned(*text)) {
      s.memory_limit_bytes = *limit >= (std::uint64_t{1} << 62) ? 0 : static_cast<double>(*limit);
    }
  }
  auto mem = Keyed(files, "memory.stat");
  WorkingSet(s, Key(mem, "total_inactive_file"));
  s.memory_rss_bytes = Key(mem, "total_rss");
  s.memory_cache_bytes = Key(mem, "total_cache");
  s.memory_swap_bytes = Key(mem, "total_swap");
  if (!s.memory_swap_bytes && s.memory_usage_bytes) {
    if (auto memsw = Unsigned(files, "memory.memsw.usage_in_bytes")) {
      s.memory_swap_bytes = *memsw > *s.memory_usage_bytes ? *memsw - *s.memory_usage_bytes : 0;
    }
  }
  s.oom_events = Key(Keyed(files, "memory.oom_control"), "oom_kill");
  return s;
}

CgroupStats StatsFromV2(const CgroupFiles& files) {
  CgroupStats s;
  auto cpu = Keyed(files, "cpu.stat");
  s.cpu_usage_seconds = Key(cpu, "usage_usec", 1e-6);
  s.cpu_user_seconds = Key(cpu, "user_usec", 1e-6);
  s.cpu_system_seconds = Key(cpu, "system_usec", 1e-6);
  s.cfs_periods = Key(cpu, "nr_periods");
  s.cfs_throttled_periods = Key(cpu, "nr_throttled");
  s.cfs_throttled_seconds = Key(cpu, "throttled_usec", 1e-6);
  if (const std::string* text = Find(files, "cpu.max")) {
    if (auto max = ParseCpuMax(*text)) {
      s.cpu_quota_us = max->quota_us.unlimited ? 0 : static_cast<double>(max->quota_us.value);
      s.cpu_period_us = static_cast<double>(max->period_us);
    }
  }
  s.memory_usage_bytes = Unsigned(files, "memory.current");
  if (const std::string* text = Find(files, "memory.max")) {
    if (auto limit = ParseCgroupLimit(*text)) {
      s.memory_limit_bytes = limit->unlimited ? 0 : static_cast<double>(limit->value);
    }
  }
  auto mem = Keyed(files, "memory.stat");
  WorkingSet(s, Key(mem, "inactive_file"));
  s.memory_rss_bytes = Key(mem, "anon");
  s.memory_cache_bytes = Key(mem, "file");
  s.memory_swap_bytes = Unsigned(files, "memory.swap.current");
  s.oom_events = Key(Keyed(files, "memory.events"), "oom_kill");
  return s;
}

}  // namespace thoth

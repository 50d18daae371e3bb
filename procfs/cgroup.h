#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procfs/mountinfo.h"

namespace thoth {

// Pure parsers of cgroup v1/v2 interface files and of the files that locate a cgroup. None does
// I/O; each takes the text of one file, which may be cut short or hostile, and reports only what
// is well formed.

// A file holding one unsigned number ("5132288\n"). nullopt unless the whole (trimmed) text is
// one number.
std::optional<std::uint64_t> ParseCgroupUnsigned(std::string_view text);
// The same for a signed number (cpu.cfs_quota_us holds -1).
std::optional<std::int64_t> ParseCgroupSigned(std::string_view text);

// "key value" lines (cpu.stat, cpuacct.stat, memory.stat, memory.events, memory.oom_control).
// Lines whose value is not an unsigned number are skipped; a repeated key keeps the first value.
std::map<std::string, std::uint64_t> ParseFlatKeyed(std::string_view text);

// A v2 limit such as memory.max: "max" or a number.
struct CgroupLimit {
  bool unlimited = false;
  std::uint64_t value = 0;
};
std::optional<CgroupLimit> ParseCgroupLimit(std::string_view text);

// v2 cpu.max: "$QUOTA $PERIOD" with QUOTA "max" when unlimited.
struct CpuMax {
  CgroupLimit quota_us;
  std::uint64_t period_us = 0;
};
std::optional<CpuMax> ParseCpuMax(std::string_view text);

// /proc/<pid>/cgroup: "hierarchy-ID:controller-list:path" lines. v1 lines map each controller
// of their list (including named ones such as "name=systemd") to the path; the v2 line
// ("0::/path") gives `unified`. Paths must be absolute and free of "." / ".." segments.
struct ProcCgroups {
  std::map<std::string, std::string> v1;
  std::optional<std::string> unified;
};
ProcCgroups ParseProcCgroup(std::string_view text);

// True when `path` is absolute and has no "." or ".." segment and no NUL: safe to append to a
// mount point without leaving it.
bool IsSafeCgroupPath(std::string_view path);

// Where one cgroup hierarchy is mounted in this mount namespace.
struct CgroupMount {
  std::string mount_point;  // e.g. /sys/fs/cgroup/memory
  std::string root;         // the cgroup that is mounted there ("/" unless inside a container)
};

// How cgroups are laid out on this host.
struct CgroupLayout {
  bool v2 = false;
  CgroupMount unified;                    // when v2
  std::map<std::string, CgroupMount> v1;  // controller ("cpu", "cpuacct", "memory") -> mount
};

// Decides the cgroup version from the filesystem type of /sys/fs/cgroup ("cgroup2" = the
// unified hierarchy; "tmpfs" = v1 or hybrid, where the v1 controllers hold the numbers) and
// finds the mounts in mountinfo. nullopt when the needed mounts are missing.
std::optional<CgroupLayout> DetectCgroupLayout(const std::vector<MountInfo>& mounts,
                                               std::string_view sys_fs_cgroup_fstype);

// The directory of cgroup `path` under `mount`: mount point + (path − mount root). nullopt when
// the path is unsafe or lies outside the mounted subtree (e.g. another container's cgroup seen
// from inside a container).
std::optional<std::string> CgroupDir(const CgroupMount& mount, std::string_view path);

}  // namespace thoth

#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace thoth {

// One line of /proc/<pid>/mountinfo (proc(5)), with the octal escapes (\040 for a space, ...)
// of the path fields undone.
struct MountInfo {
  int id = 0;
  int parent_id = 0;
  std::string root;           // the directory of the filesystem that is mounted here
  std::string mount_point;    // where, in this process's mount namespace
  std::string mount_options;  // per-mount: rw/ro, nosuid, ...
  std::string fstype;         // e.g. ext4, tmpfs, cgroup, cgroup2
  std::string source;         // the device, e.g. /dev/vda1, overlay, tmpfs
  std::string super_options;  // per-superblock; for cgroup v1 the controllers (rw,cpu,cpuacct)
};

// Parses mountinfo text. Malformed lines (too few fields, no " - " separator, non-numeric ids)
// are skipped, so a cut or hostile file yields the mounts that were well formed.
std::vector<MountInfo> ParseMountInfo(std::string_view text);

// The mount that holds `path` (absolute, already canonical): the one with the longest mount
// point that is `path` or a parent directory of it; among equal mount points the last line
// wins (a later mount hides an earlier one on the same place). nullptr when none.
const MountInfo* FindMountFor(const std::vector<MountInfo>& mounts, std::string_view path);

// True when `options` (comma separated) contains `option` as a whole item.
bool HasOption(std::string_view options, std::string_view option);

}  // namespace thoth

// The parsers of host files and of Docker's answers on arbitrary text: /proc/<pid>/stat, status,
// io, cmdline, /proc/stat, mountinfo, meminfo, cgroup v1/v2 files, /proc/<pid>/cgroup and the
// Docker Engine API's JSON. The first byte picks the parser. Besides not crashing, every path
// they return must stay inside its mount.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collectors/container/cgroup_stats.h"
#include "docker/engine_api.h"
#include "procfs/cgroup.h"
#include "procfs/meminfo.h"
#include "procfs/mountinfo.h"
#include "procfs/proc_pid.h"
#include "procfs/stat.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0] % 10;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (which) {
    case 0: {
      thoth::ProcStat st;
      (void)thoth::ParseProcStat(text, &st);
      (void)thoth::ParseProcStatusMemory(text);
      (void)thoth::ParseProcIo(text);
      (void)thoth::ParseBootTime(text);
      std::string cmdline = text;
      thoth::CmdlineToText(&cmdline);
      if (cmdline.size() > text.size()) __builtin_trap();
      break;
    }
    case 1: {
      auto mounts = thoth::ParseMountInfo(text);
      for (const auto& m : mounts) {
        if (m.mount_point.empty() || m.mount_point[0] != '/') __builtin_trap();
      }
      (void)thoth::FindMountFor(mounts, "/var/lib/postgresql/data");
      (void)thoth::DetectCgroupLayout(mounts, "tmpfs");
      (void)thoth::DetectCgroupLayout(mounts, "cgroup2");
      break;
    }
    case 2:
      (void)thoth::ParseMemInfo(text);
      break;
    case 3: {
      thoth::ProcCgroups pc = thoth::ParseProcCgroup(text);
      thoth::CgroupMount mount{"/sys/fs/cgroup/memory", "/docker/abc"};
      for (const auto& [controller, path] : pc.v1) {
        auto dir = thoth::CgroupDir(mount, path);
        // A ".." component would leave the mount ("/..etc" is only a name).
        if (dir && (dir->find("/../") != std::string::npos ||
                    (dir->size() >= 3 && dir->compare(dir->size() - 3, 3, "/..") == 0))) {
          __builtin_trap();
        }
      }
      break;
    }
    case 4:
    case 5: {
      thoth::CgroupFiles files;
      for (const char* name :
           {"cpuacct.usage", "cpuacct.stat", "cpu.stat", "cpu.cfs_quota_us",
            "memory.usage_in_bytes", "memory.limit_in_bytes", "memory.stat", "memory.oom_control",
            "cpu.max", "memory.current", "memory.max", "memory.events", "memory.swap.current"}) {
        files[name] = text;
      }
      auto s = which == 4 ? thoth::StatsFromV1(files, 100) : thoth::StatsFromV2(files);
      if (s.memory_working_set_bytes && *s.memory_working_set_bytes < 0) __builtin_trap();
      break;
    }
    case 6: {
      auto list = thoth::ParseDockerContainerList(text);
      if (list.ok()) {
        for (const auto& c : *list) {
          if (!thoth::IsDockerId(c.id)) __builtin_trap();
        }
      }
      break;
    }
    case 7: {
      (void)thoth::ParseDockerInspect(text);
      for (const auto& path : thoth::DockerCgroupCandidates(std::string(64, 'a'), text)) {
        if (!thoth::IsSafeCgroupPath(path)) __builtin_trap();
      }
      break;
    }
    default:
      (void)thoth::ParseFlatKeyed(text);
      (void)thoth::ParseCpuMax(text);
      (void)thoth::ParseCgroupLimit(text);
      break;
  }
  return 0;
}

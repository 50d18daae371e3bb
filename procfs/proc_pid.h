#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace thoth {

// The fields of /proc/<pid>/stat (proc(5)) that process groups report.
struct ProcStat {
  std::string comm;
  char state = '?';
  std::uint64_t utime_ticks = 0;  // user CPU, in USER_HZ ticks
  std::uint64_t stime_ticks = 0;  // system CPU, in USER_HZ ticks
  std::int64_t num_threads = 0;
  std::uint64_t starttime_ticks = 0;  // since boot, in USER_HZ ticks
  std::uint64_t vsize_bytes = 0;
  std::int64_t rss_pages = 0;
};

// Parses /proc/<pid>/stat. comm may hold spaces and parentheses, so the fields are found after
// the LAST ')'. False when the text is cut before `rss` or a needed field is not a number.
bool ParseProcStat(std::string_view text, ProcStat* out);

// VmRSS and VmSwap from /proc/<pid>/status, in bytes; each nullopt when absent (kernel
// threads, old kernels). VmRSS here is exact, as ps(1) shows it; the `rss` of /proc/<pid>/stat
// may lag behind on recent kernels (per-CPU counters).
struct ProcStatusMemory {
  std::optional<double> rss_bytes;
  std::optional<double> swap_bytes;
};
ProcStatusMemory ParseProcStatusMemory(std::string_view text);

// read_bytes / write_bytes from /proc/<pid>/io (bytes that reached the storage layer).
struct ProcIo {
  std::optional<double> read_bytes;
  std::optional<double> write_bytes;
};
ProcIo ParseProcIo(std::string_view text);

// Turns a raw /proc/<pid>/cmdline (arguments separated and ended by NUL) into one line with
// spaces between the arguments, as `ps -o args` shows it. Other control bytes are kept.
void CmdlineToText(std::string* raw);

}  // namespace thoth

#pragma once

#include <cstddef>
#include <string>

namespace thoth {

// Reads a whole small file (procfs, sysfs, cgroupfs) into *out, at most max_bytes of it.
// Returns 0 or the errno of the failing call. procfs and cgroupfs files report a size of 0, so
// this reads until EOF instead of trusting stat(); a file longer than max_bytes is cut there
// (the parsers treat a cut file like any truncated text). *out keeps its capacity between calls
// so that a scan of many files does not allocate for each.
//
// With stop_on_short_read, a read that returns less than it asked for ends the file: procfs
// answers a whole /proc/<pid>/{cmdline,stat,status,io} in one read when the buffer is large
// enough, and skipping the read that would return 0 saves a quarter of the system calls of a
// process scan.
int ReadSmallFile(const std::string& path, std::string* out, std::size_t max_bytes = 1 << 20,
                  bool stop_on_short_read = false);

}  // namespace thoth

#pragma once

#include <cstddef>
#include <string>

namespace thoth {

// Reads a whole small file (procfs, sysfs, cgroupfs) into *out, at most max_bytes of it.
// Returns 0 or the errno of the failing call. procfs and cgroupfs files report a size of 0, so
// this reads until EOF instead of trusting stat(); a file longer than max_bytes is cut there
// (the parsers treat a cut file like any truncated text). *out keeps its capacity between calls
// so that a scan of many files does not allocate for each.
int ReadSmallFile(const std::string& path, std::string* out, std::size_t max_bytes = 1 << 20);

}  // namespace thoth

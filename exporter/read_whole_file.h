#pragma once

#include <string>

#include "exporter/status.h"

namespace thoth {

// Reads a whole file that the operator names in the configuration (a secret file, a TLS
// certificate, key or CA): unbounded, as these are small files the operator chose. On failure
// the error is the system's reason alone (strerror of the failed open, e.g. "No such file or
// directory"): callers put the path and what the file is for in front of it.
// The /proc and cgroup reader, bounded and returning errno, is procfs/read_file.h.
StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace thoth

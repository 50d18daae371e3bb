#pragma once

#include <string>
#include <vector>

#include "exporter/config_reader.h"
#include "exporter/status.h"

namespace thoth::filesystem {

// The `filesystem:` section: the paths whose filesystems the one collector watches.
struct FilesystemConfig {
  std::vector<std::string> paths;  // absolute, each once; empty: no collector
  std::string fingerprint;         // of the section; never printed
};

// Reads and validates the `filesystem:` section, a list of absolute paths. An absent section
// watches `/` (SPEC §4); an empty or null one watches nothing. An error names file, line,
// column and key.
Status ParseConfig(const ConfigNode& section, FilesystemConfig* out);

}  // namespace thoth::filesystem

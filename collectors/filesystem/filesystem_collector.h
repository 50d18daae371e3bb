#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exporter/collector.h"
#include "exporter/config_reader.h"

namespace thoth::filesystem {

// Builds the one `filesystem` collector (Target() "filesystem", no target label) from the
// `filesystem:` section, a list of absolute paths; without the section it watches `/`. An empty
// list means no collector (no filesystem and no host memory series). Validates (throws
// ConfigError); no side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env);

// The collector for `paths`, reading mountinfo and meminfo under proc_root (tests point it at a
// fixture tree).
std::shared_ptr<Collector> MakeFilesystemCollector(std::vector<std::string> paths,
                                                   std::string proc_root, std::string fingerprint);

}  // namespace thoth::filesystem

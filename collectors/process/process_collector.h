#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exporter/collector.h"
#include "exporter/config_reader.h"

namespace thoth::process {

// Builds the one `process` collector (Target() "process", no target label; series carry
// `groupname`) from the `process:` section, a list of {name, cmdline: POSIX extended regex}.
// No section or an empty list: no collector. Validates (throws ConfigError: duplicate names,
// bad regexes); no side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env);

struct ProcessGroupConfig {
  std::string name;
  std::string cmdline;  // regex searched (unanchored) in the command line, arguments joined by ' '
};

// The collector for `groups`, scanning proc_root (tests point it at a fixture tree). Throws
// std::invalid_argument when a regex does not compile.
std::shared_ptr<Collector> MakeProcessCollector(const std::vector<ProcessGroupConfig>& groups,
                                                std::string proc_root, std::string fingerprint);

}  // namespace thoth::process

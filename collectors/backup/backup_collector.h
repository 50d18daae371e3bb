#pragma once

#include <memory>
#include <vector>

#include "exporter/collector.h"
#include "exporter/config_reader.h"

namespace thoth::backup {

// Builds one collector per entry of the `backup:` section ({name, glob}). Target() is the
// backup's name, but the series carry `backup="<name>"` (SPEC §5) and no `target` label. No
// section: no collector. Validates (throws ConfigError); no side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env);

}  // namespace thoth::backup

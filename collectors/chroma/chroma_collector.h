#pragma once

#include <memory>
#include <vector>

#include "collectors/chroma/config.h"
#include "exporter/collector.h"

namespace thoth::chroma {

// Builds one collector per configured target of the `chroma` section (parsed by config.h). No
// side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(std::vector<TargetConfig> targets,
                                                       const CollectorEnv& env);

}  // namespace thoth::chroma

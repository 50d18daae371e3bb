#pragma once

#include <memory>
#include <vector>

#include "exporter/collector.h"
#include "exporter/config_reader.h"

namespace thoth::redis {

// Builds one collector per configured target of the `redis` section (validating it; throws
// ConfigError). No side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env);

}  // namespace thoth::redis

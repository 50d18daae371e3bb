#pragma once

#include <memory>
#include <vector>

#include "exporter/collector.h"
#include "exporter/config_reader.h"

namespace thoth::http {

// Builds one collector per configured target of the `http` section (validating it; throws
// ConfigError). No side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env);

}  // namespace thoth::http

#include "exporter/prober.h"

namespace thoth::http {

// The /probe?target=URL prober configured by the `probe` section.
std::shared_ptr<AdHocProber> MakeProber(const ConfigNode& root, const CollectorEnv& env);

}  // namespace thoth::http

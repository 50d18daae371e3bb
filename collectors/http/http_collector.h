#pragma once

#include <memory>
#include <vector>

#include "collectors/http/config.h"
#include "exporter/collector.h"

namespace thoth::http {

class ProbeExpectations;

// Builds one collector per configured target of the `http` section (parsed by config.h). No
// side effects. Targets take `layout` (a name; "" = none) and `required`
// (default false), which decide thoth_probe_expected (see expectations.h); the process-wide
// expectations are used, so that what was seen up survives a reload.
std::vector<std::shared_ptr<Collector>> MakeCollectors(std::vector<TargetConfig> targets,
                                                       const CollectorEnv& env);
// The same with the given expectations (tests); `expectations` outlives the collectors.
std::vector<std::shared_ptr<Collector>> MakeCollectorsWithExpectations(
    std::vector<TargetConfig> targets, const CollectorEnv& env, ProbeExpectations* expectations);

}  // namespace thoth::http

#include "exporter/prober.h"

namespace thoth::http {

// The /probe?target=URL prober configured by the `probe` section.
std::shared_ptr<AdHocProber> MakeProber(ProberConfig config, const CollectorEnv& env);

}  // namespace thoth::http

#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collectors/process/config.h"
#include "exporter/collector.h"
#include "exporter/status.h"

namespace thoth::process {

// Builds the one `process` collector (Target() "process", no target label; series carry
// `groupname`) from the `process:` section (config.h), a list of {name, cmdline: RE2 (Go)
// regex}. No section or an empty list: no collector. No side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(ProcessConfig config,
                                                       const CollectorEnv& env);

// The --once row of one group (pure). `processes` is nullopt when the scan did not count it.
HealthCheck GradeProcessGroup(const std::string& group, std::optional<double> processes,
                              std::optional<std::int64_t> min_processes);

// The collector for `groups`, scanning proc_root (tests point it at a fixture tree). An error
// (RE2's message) when a group's cmdline does not compile.
StatusOr<std::shared_ptr<Collector>> MakeProcessCollector(
    const std::vector<ProcessGroupConfig>& groups, std::string proc_root, std::string fingerprint);

}  // namespace thoth::process

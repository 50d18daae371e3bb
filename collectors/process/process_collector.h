#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exporter/collector.h"
#include "exporter/config_reader.h"
#include "exporter/status.h"

namespace thoth::process {

// Builds the one `process` collector (Target() "process", no target label; series carry
// `groupname`) from the `process:` section, a list of {name, cmdline: RE2 (Go) regex}.
// No section or an empty list: no collector. Validates (throws ConfigError: duplicate names,
// bad regexes); no side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env);

struct ProcessGroupConfig {
  ProcessGroupConfig(std::string name_, std::string cmdline_,
                     std::optional<std::int64_t> min_processes_ = std::nullopt)
      : name(std::move(name_)), cmdline(std::move(cmdline_)), min_processes(min_processes_) {}
  std::string name;
  std::string cmdline;  // regex searched (unanchored) in the command line, arguments joined by ' '
  // Fewer matching processes is CRITICAL in --once and ProcessGroupBelowMinimum; exported as
  // thoth_process_min_procs. Unset: a group that matches nothing is only a WARNING.
  std::optional<std::int64_t> min_processes;
};

// The --once row of one group (pure). `processes` is nullopt when the scan did not count it.
HealthCheck GradeProcessGroup(const std::string& group, std::optional<double> processes,
                              std::optional<std::int64_t> min_processes);

// The collector for `groups`, scanning proc_root (tests point it at a fixture tree). An error
// (RE2's message) when a group's cmdline does not compile.
StatusOr<std::shared_ptr<Collector>> MakeProcessCollector(
    const std::vector<ProcessGroupConfig>& groups, std::string proc_root, std::string fingerprint);

}  // namespace thoth::process

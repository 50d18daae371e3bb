#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exporter/config_reader.h"
#include "exporter/status.h"

namespace thoth::process {

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

// The `process:` section: the groups of the one process collector.
struct ProcessConfig {
  std::vector<ProcessGroupConfig> groups;  // empty: no collector
  std::string fingerprint;                 // of the section; never printed
};

// Reads and validates the `process:` section, a list of {name, cmdline, min_processes} (absent
// or null: no groups). An error names file, line, column and key (a bad regex too). Group names
// are checked unique by the loader (exporter/config.cc).
Status ParseConfig(const ConfigNode& section, ProcessConfig* out);

// Ok when `pattern` compiles as a cmdline regex, else RE2's reason (process_collector.cc, beside
// the regex engine).
Status ValidCmdlinePattern(const std::string& pattern);

}  // namespace thoth::process

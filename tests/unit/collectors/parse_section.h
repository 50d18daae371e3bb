#pragma once

#include <string>
#include <vector>

#include "exporter/config_reader.h"
#include "exporter/registry.h"
#include "exporter/status.h"

namespace thoth::testing {

// The targets of one kind's section of whole-config YAML, read as the loader reads them: the
// kind's ParseConfig on its own section, then the loader's one check of target names. Errors
// are thrown as ConfigError ("FILE:LINE:COL: KEY: what").
template <typename Target>
std::vector<Target> ParseTargets(Status (*parse)(const ConfigNode&, std::vector<Target>*),
                                 const ConfigNode& root, const std::string& section) {
  std::vector<Target> targets;
  Status status = parse(root.Child(section), &targets);
  if (!status.ok()) throw ConfigError(status.message());
  std::vector<std::string> names;
  for (const Target& t : targets) names.push_back(t.name);
  CheckTargetNames(root.Child(section), "name", names);
  return targets;
}

}  // namespace thoth::testing

#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "exporter/collector.h"
#include "exporter/config_reader.h"

namespace thoth {

class AdHocProber;

// Builds the collectors of one kind from the whole configuration (a kind reads only its own
// sections). Validates as it goes and throws ConfigError; must have no side effects.
using CollectorFactory = std::function<std::vector<std::shared_ptr<Collector>>(
    const ConfigNode& root, const CollectorEnv& env)>;
using ProberFactory =
    std::function<std::shared_ptr<AdHocProber>(const ConfigNode& root, const CollectorEnv& env)>;

// One collector kind, as node_exporter registers its collectors: a name for
// --collector.NAME / --no-collector.NAME, whether it is on by default, the top-level config
// sections it owns, and its factory.
struct CollectorKind {
  std::string name;
  bool default_enabled = true;
  std::vector<std::string> sections;
  std::string help;
  CollectorFactory make;
  ProberFactory make_prober;  // only for kinds that answer /probe?target=URL
};

// The explicit registration list, in the order collectors appear in output.
const std::vector<CollectorKind>& CollectorKinds();

}  // namespace thoth

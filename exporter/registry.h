#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/collector.h"
#include "exporter/config_reader.h"
#include "exporter/status.h"

namespace thoth {

class AdHocProber;

// Builds the collectors of one kind from its own section of the configuration file (a null
// node when the section is absent; ConfigNode::IsAbsent tells absent from empty). The kind's
// collectors/<kind>/config.h parses the section into a typed config first; an error names
// FILE:LINE:COL and key. Must have no side effects.
using CollectorFactory = std::function<Status(const ConfigNode& section, const CollectorEnv& env,
                                              std::vector<std::shared_ptr<Collector>>*)>;
using ProberFactory = std::function<Status(const ConfigNode& section, const CollectorEnv& env,
                                           std::shared_ptr<AdHocProber>*)>;

// One collector kind, as node_exporter registers its collectors: a name for
// --collector.NAME / --no-collector.NAME, whether it is on by default, the top-level config
// sections it owns, and its factory.
struct CollectorKind {
  std::string name;
  bool default_enabled = true;
  std::vector<std::string> sections;  // sections[0] goes to `make`, sections[1] to `make_prober`
  std::string help;
  CollectorFactory make;
  ProberFactory make_prober;  // only for kinds that answer /probe?target=URL
  // The key that names a target in each item of sections[0] ("" when the section is not a
  // list of named targets). The loader checks, in one place, that no two items share a name.
  std::string target_key;
};

// The explicit registration list, in the order collectors appear in output.
const std::vector<CollectorKind>& CollectorKinds();

// The collectors of the kind named `kind` from a whole configuration, as the loader builds them:
// the kind's section parsed into its typed config, target names checked unique, the collectors
// built. Throws ConfigError (FILE:LINE:COL: KEY: what) on an invalid section or an unknown kind.
std::vector<std::shared_ptr<Collector>> BuildCollectors(std::string_view kind,
                                                        const ConfigNode& root,
                                                        const CollectorEnv& env);
// The same for the /probe prober of the kind named `kind` (null when the kind has none).
std::shared_ptr<AdHocProber> BuildProber(std::string_view kind, const ConfigNode& root,
                                         const CollectorEnv& env);

// The one check of target names: fails with a ConfigError at the second of two items of
// `section` whose names (names[i] is item i's, read from `key` or defaulted) are the same. Two
// targets of one kind with one name would be indistinguishable in every series.
void CheckTargetNames(const ConfigNode& section, const std::string& key,
                      const std::vector<std::string>& names);

}  // namespace thoth

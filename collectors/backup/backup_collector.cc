#include "collectors/backup/backup_collector.h"

namespace thoth::backup {

// Placeholder until the collector lands: validates nothing, builds nothing.
std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env) {
  (void)root;
  (void)env;
  return {};
}

}  // namespace thoth::backup

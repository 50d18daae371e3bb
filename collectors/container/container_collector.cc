#include "collectors/container/container_collector.h"

namespace thoth::container {

// Placeholder until the collector lands: validates nothing, builds nothing.
std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env) {
  (void)root;
  (void)env;
  return {};
}

}  // namespace thoth::container

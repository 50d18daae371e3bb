#include "collectors/postgres/postgres_collector.h"

namespace thoth::postgres {

// Placeholder until the collector lands: validates nothing, builds nothing.
std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env) {
  (void)root;
  (void)env;
  return {};
}

}  // namespace thoth::postgres

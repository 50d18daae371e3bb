#include "collectors/http/http_collector.h"

namespace thoth::http {

// Placeholder until the collector lands: validates nothing, builds nothing.
std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env) {
  (void)root;
  (void)env;
  return {};
}

}  // namespace thoth::http

namespace thoth::http {

std::shared_ptr<AdHocProber> MakeProber(const ConfigNode& root, const CollectorEnv& env) {
  (void)root;
  (void)env;
  return nullptr;
}

}  // namespace thoth::http

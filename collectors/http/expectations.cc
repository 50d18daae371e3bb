#include "collectors/http/expectations.h"

namespace thoth::http {

void ProbeExpectations::Record(const std::string& service, const std::string& layout,
                               bool success) {
  if (!success) return;
  std::lock_guard<std::mutex> lock(mu_);
  services_up_.insert(service);
  if (!layout.empty()) layouts_up_.insert(layout);
}

bool ProbeExpectations::Expected(const std::string& service, const std::string& layout,
                                 bool required) const {
  if (required) return true;
  std::lock_guard<std::mutex> lock(mu_);
  if (services_up_.count(service) > 0) return true;
  return !layout.empty() && layouts_up_.count(layout) > 0;
}

bool ProbeExpectations::SeenUp(const std::string& service) const {
  std::lock_guard<std::mutex> lock(mu_);
  return services_up_.count(service) > 0;
}

ProbeExpectations& ProcessProbeExpectations() {
  static ProbeExpectations* const expectations = new ProbeExpectations();  // never destroyed
  return *expectations;
}

}  // namespace thoth::http

#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

namespace thoth::http {

// Which configured targets a failed probe should page for: thoth_probe_expected{target}.
//
// The embedded default probes both documented service layouts (v0.1: API, MCP, discovery,
// agent, Letta; v0.2: gateway, auth, agent, RAG), and an operator runs one of them. A target is
// expected (1) when it is `required`, or when it — or any target of the same non-empty `layout`
// — has answered successfully since the exporter started; otherwise a failed probe is reported
// ("not seen up since start") but does not page. Once expected, a target stays expected until
// the exporter restarts.
//
// Thread-safe: the targets are probed concurrently.
class ProbeExpectations {
 public:
  // Records one probe's outcome. Only successes change anything.
  void Record(const std::string& service, const std::string& layout, bool success);
  bool Expected(const std::string& service, const std::string& layout, bool required) const;
  // Whether `service` itself has answered since start.
  bool SeenUp(const std::string& service) const;

 private:
  mutable std::mutex mu_;
  std::set<std::string> services_up_;
  std::set<std::string> layouts_up_;
};

// The one set of expectations of this process: it outlives configuration reloads, so "since
// the exporter started" means that, not "since the last reload".
ProbeExpectations& ProcessProbeExpectations();

}  // namespace thoth::http

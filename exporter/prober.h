#pragma once

#include <string>
#include <string_view>

#include "exporter/collector.h"
#include "exporter/metric_sink.h"
#include "exporter/status.h"

namespace thoth {

// Answers blackbox-style ad-hoc probes: /probe?target=URL&module=NAME.
// Thread-safe: many /probe requests may run at once.
class AdHocProber {
 public:
  virtual ~AdHocProber() = default;

  // Checks `url` and `module` against the configuration (allowlist, http/https only, known
  // module). Ok when allowed, else an error with the reason for refusing (HTTP 403).
  virtual Status Allowed(std::string_view url, std::string_view module) const = 0;

  // Probes an allowed URL and writes probe_* metrics (no target label). Never throws.
  virtual void Probe(std::string_view url, std::string_view module, const ScrapeContext& ctx,
                     MetricSink& sink) = 0;
};

}  // namespace thoth

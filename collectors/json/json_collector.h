#pragma once

// The `json` collector: for each configured target, one GET of a JSON document per scrape,
// translated into samples by Flatten (json_flatten.h), plus
//   json_up{target}                      1 when a 2xx answer with a whole JSON body came
//   json_scrape_duration_seconds{target} the request and translation, in seconds
//   json_series{target}                  samples exported from the document
//   json_series_omitted{target}          exportable values left out (max_series, duplicates)
//   json_mappings_unmatched{target}      mappings that selected nothing (only with mappings)
//
// Contract:
// - A target that is down, hangs, answers a non-2xx status, more than max_body_bytes, or a body
//   that is not JSON gives json_up 0 and collector_success 0, within the scrape deadline (the
//   request's timeout is min(timeout, time left)); its document metrics are then absent.
// - Never throws; Collect is not concurrent for one instance (the engine's promise), Checks may
//   run on another thread.
// - Headers (and the bearer token) and the URL are never logged or exported.

#include <memory>
#include <vector>

#include "collectors/json/config.h"
#include "exporter/collector.h"

namespace thoth::json {

// Builds one collector per configured target of the `json` section (parsed by config.h). No
// side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(std::vector<TargetConfig> targets,
                                                       const CollectorEnv& env);

}  // namespace thoth::json

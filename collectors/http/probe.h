#pragma once

#include <string>
#include <vector>

#include "collectors/http/body_checks.h"
#include "exporter/collector.h"
#include "exporter/config_reader.h"
#include "exporter/http_client.h"
#include "exporter/metric_sink.h"

namespace thoth {
class MemoryErrors;
}

namespace thoth::http {

// How to probe: what a configured target and an ad-hoc module have in common.
struct ProbeSpec {
  std::string method = "GET";
  std::vector<std::string> headers;  // "Name: value"; values may be secrets: never logged
  std::string body;
  std::vector<int> expect_status;  // empty = any 2xx
  BodyExpectations expect_body;
  double timeout_seconds = 5;
  bool follow_redirects = false;
  bool tls_insecure = false;
  std::string ca_file;
};

// The keys ParseProbeSpec reads, for ExpectKeys of a target (which adds service and url).
const std::vector<std::string>& ProbeSpecKeys();

// Reads the probe keys of a target or module node (validating them; throws ConfigError).
// `default_timeout_seconds` applies when the node has no `timeout`.
ProbeSpec ParseProbeSpec(const ConfigNode& node, double default_timeout_seconds);

// Converts an `expect_json` YAML value into the expected JSON tree of JsonSubsetMismatch
// (scalars as strings).
nlohmann::json ExpectedJsonFromConfig(const ConfigNode& node);

// The bound on the body a probe reads: health answers are small, and a misbehaving endpoint
// must not make the exporter buffer without limit.
inline constexpr std::size_t kProbeMaxBodyBytes = 1 << 20;

// What one probe found.
struct ProbeResult {
  bool success = false;
  std::string detail;  // why it failed, for logs, the landing page and --once; "" on success
  bool failed_due_to_body = false;
  double duration_seconds = 0;  // the whole probe, as measured around the request
  HttpResponse response;
};

// Judges a response against the spec (status, then body, as blackbox_exporter: body checks run
// only when the status is acceptable). Pure.
ProbeResult EvaluateResponse(const ProbeSpec& spec, HttpResponse response, double duration);

// The libcurl phases of blackbox_exporter's probe_http_duration_seconds{phase}, each >= 0 and 0
// for a phase the transfer did not reach. Pure.
struct ProbePhases {
  double resolve = 0, connect = 0, tls = 0, processing = 0, transfer = 0;
};
ProbePhases PhasesFromTimings(const HttpTimings& t, bool tls);

// Writes the probe_* families of one result. Pure.
void WriteProbeMetrics(const ProbeResult& result, MetricSink& sink);

// Probes `url` once on a fresh connection, with the spec's timeout capped by what is left of the
// scrape (so that a slow target still gets probe_success 0 written before the deadline). Counts
// MEM-007 for a 401/403 and MEM-006 for a 429 into `memory_errors` (may be null). Never throws.
ProbeResult RunProbe(const ProbeSpec& spec, const std::string& url, const ScrapeContext& ctx,
                     MemoryErrors* memory_errors);

}  // namespace thoth::http

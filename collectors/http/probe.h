#pragma once

#include <string>
#include <vector>

#include "collectors/http/body_checks.h"
#include "collectors/http/ip_network.h"
#include "collectors/http/url_pattern.h"
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
  int max_redirects = 5;  // with follow_redirects: a longer chain fails the probe
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

// What an ad-hoc /probe may reach (probe.allowed_targets and probe.denied_networks): every URL
// of a redirect chain must match `allowed` before it is fetched, and no connection is opened to
// an address in `denied` (checked on the address the socket connects to, after resolution, so a
// second DNS answer cannot differ from the checked one). Configured targets run without one.
struct ProbeGuard {
  std::vector<UrlPattern> allowed;
  std::vector<IpNetwork> denied;
  // Static resolutions ("HOST:PORT:ADDRESS", as curl --resolve) used before DNS. Empty from the
  // configuration; tests use it to make a name resolve to a chosen address.
  std::vector<std::string> resolve;

  bool Allows(const ProbeUrl& url) const;
  // Ok when connecting to `address` is allowed, else an error with the reason.
  Status ConnectAllowed(const sockaddr* address) const;
};

// Reads allowed_targets and denied_networks (default DefaultDeniedNetworks(); the entry
// `default` stands for that list inside a longer one). Throws ConfigError.
ProbeGuard ParseProbeGuard(const ConfigNode& probe);

// The bound on the body a probe reads: health answers are small, and a misbehaving endpoint
// must not make the exporter buffer without limit.
inline constexpr std::size_t kProbeMaxBodyBytes = 1 << 20;

// The libcurl phases of blackbox_exporter's probe_http_duration_seconds{phase}, each >= 0 and 0
// for a phase the transfer did not reach. Pure.
struct ProbePhases {
  double resolve = 0, connect = 0, tls = 0, processing = 0, transfer = 0;
};
// What one probe found.
struct ProbeResult {
  bool success = false;
  std::string detail;  // why it failed, for logs, the landing page and --once; "" on success
  bool failed_due_to_body = false;
  double duration_seconds = 0;  // the whole probe, as measured around the request
  HttpResponse response;        // of the last request made (the last hop of a redirect chain)
  int redirects = 0;            // redirects followed
  ProbePhases earlier_hops;     // the phases of the hops before the last, summed
  bool refused = false;         // stopped by a redirect limit or the guard, not by the target
};

// Judges a response against the spec (status, then body, as blackbox_exporter: body checks run
// only when the status is acceptable). Pure.
ProbeResult EvaluateResponse(const ProbeSpec& spec, HttpResponse response, double duration);

ProbePhases PhasesFromTimings(const HttpTimings& t, bool tls);

// Writes the probe_* families of one result. Pure.
void WriteProbeMetrics(const ProbeResult& result, MetricSink& sink);

// Probes `url` once on a fresh connection, with the spec's timeout capped by what is left of the
// scrape (so that a slow target still gets probe_success 0 written before the deadline). Counts
// MEM-007 for a 401/403 and MEM-006 for a 429 into `memory_errors` (may be null). Never throws.
//
// With follow_redirects, redirects (301, 302, 303, 307, 308) are followed here, one request per
// hop, each on a fresh connection, within the one timeout: at most max_redirects of them, only
// to http and https, never from https to http, and with `guard` (may be null) only to URLs it
// allows. A hop that breaks a rule is never requested: the probe fails (`refused`) with the
// reason. As libcurl does, 303 (and 301/302 after a POST) continue as GET without a body, and
// Authorization and Cookie headers are not sent to another scheme, host or port than the first.
ProbeResult RunProbe(const ProbeSpec& spec, const std::string& url, const ScrapeContext& ctx,
                     MemoryErrors* memory_errors, const ProbeGuard* guard = nullptr);

// The request a redirect with `status` leads to: `req` with the method and body that hop uses
// (see RunProbe). Pure.
void AdjustRequestForRedirect(int status, HttpRequest& req);

}  // namespace thoth::http

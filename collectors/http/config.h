#pragma once

#include <map>
#include <string>
#include <vector>

#include "collectors/http/probe.h"
#include "exporter/config_reader.h"
#include "exporter/status.h"

namespace thoth::http {

inline constexpr double kDefaultTimeoutSeconds = 5;
inline constexpr char kDefaultModule[] = "http_2xx";

// One entry of the `http` section: a configured target, probed at every scrape.
struct TargetConfig {
  std::string service;
  std::string url;     // normalized (ParseProbeUrl)
  std::string layout;  // a short name; "" = none
  bool required = false;
  ProbeSpec spec;
  std::string fingerprint;  // of the entry; never printed
};

// The `probe` section: what /probe?target=URL may reach and its modules.
struct ProberConfig {
  ProbeGuard guard;
  std::map<std::string, ProbeSpec> modules;  // without the `modules` key: http_2xx only
};

// Reads and validates the `http` section (absent or null: no targets). An error names file,
// line, column and key and never quotes a header value. Service names are checked unique by the
// loader (exporter/config.cc).
Status ParseConfig(const ConfigNode& section, std::vector<TargetConfig>* out);

// Reads and validates the `probe` section (absent: ad-hoc probes refused, module http_2xx).
Status ParseProberConfig(const ConfigNode& section, ProberConfig* out);

}  // namespace thoth::http

#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "collectors/json/json_flatten.h"
#include "exporter/config_reader.h"
#include "exporter/status.h"

namespace thoth::json {

// One configured JSON target (an item of the `json` section). Defaults and meanings are in
// docs/collectors/json.md.
struct TargetConfig {
  std::string name;
  std::string url;     // http:// or https://; may carry credentials, so never printed
  std::string prefix;  // metric name prefix; not "json" nor "json_..." (the collector's own)
  // "Name: value": the configured headers, Accept: application/json unless one of them is an
  // Accept, then the bearer token's Authorization. Never printed.
  std::vector<std::string> headers;
  double timeout_seconds = 5;  // whole request; the scrape deadline caps it further
  double connect_timeout_seconds = 2;
  std::size_t max_series = 200;
  std::size_t max_body_bytes = 4 << 20;
  bool tls_insecure = false;
  std::string ca_file;
  std::vector<Mapping> mappings;  // empty: every numeric and boolean leaf
  std::string fingerprint;
};

// Reads and validates the `json` section (absent or null: no targets). An error names the
// file, line, column and key of the first problem; secrets are never quoted. Target names are
// checked unique by the loader (exporter/config.cc).
Status ParseConfig(const ConfigNode& section, std::vector<TargetConfig>* out);

}  // namespace thoth::json

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "exporter/config_reader.h"
#include "exporter/status.h"

namespace thoth::chroma {

// One tenant/database pair whose collections are watched.
struct Database {
  std::string tenant;
  std::string database;

  // "tenant/database": a map key for caches; never a label.
  std::string Key() const { return tenant + "/" + database; }
};

// Which HTTP API to speak. kAuto asks /api/v2/heartbeat first and falls back to v1 when the
// server does not know v2 (0.4, early 0.5).
enum class ApiChoice { kAuto, kV1, kV2 };

// One configured Chroma target (an item of the `chroma` section). Defaults are documented in
// docs/collectors/chroma.md.
struct TargetConfig {
  std::string name;
  std::string url = "http://localhost:8003";  // without a trailing slash
  std::optional<std::string> token;           // never printed
  std::int64_t expected_dimension = 0;        // 0: no check
  std::vector<Database> databases;            // at least one
  ApiChoice api = ApiChoice::kAuto;
  double connect_timeout_seconds = 2;
  double timeout_seconds = 5;     // per request; the scrape deadline caps it further
  double cache_ttl_seconds = 60;  // record counts and collection lists; 0 = no cache
  int parallelism = 4;            // concurrent per-collection requests
  std::int64_t page_size = 1000;  // collections per listing request
  std::string ca_file;
  bool insecure_skip_verify = false;
  std::string fingerprint;
};

// Reads and validates the `chroma` section (absent or null: no targets). An error names the
// file, line, column and key of the first problem; secrets are never quoted. Target names are
// checked unique by the loader (exporter/config.cc).
Status ParseConfig(const ConfigNode& section, std::vector<TargetConfig>* out);

}  // namespace thoth::chroma

#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "exporter/collector.h"
#include "exporter/prober.h"
#include "exporter/status.h"
#include "exporter/thresholds.h"

namespace thoth {

// The `exporter:` section.
struct ExporterSettings {
  std::string listen_address = "0.0.0.0:9745";
  double scrape_timeout_seconds = 8;
  std::string log_level = "info";
};

// Which collector kinds run: each kind's default, overridden by --collector.NAME and
// --no-collector.NAME.
struct CollectorSelection {
  std::map<std::string, bool> overrides;
  bool Enabled(const std::string& kind, bool default_enabled) const;
};

// A loaded, validated configuration with its collectors built (not started).
struct LoadedConfig {
  std::string source;  // the file, or "<embedded default>"
  ExporterSettings exporter;
  Thresholds thresholds;
  // Enabled kinds only. App::Install hands them to the scrape engine and keeps only their
  // number in target_count (see there).
  std::vector<std::shared_ptr<Collector>> collectors;
  std::size_t target_count = 0;
  std::shared_ptr<AdHocProber> prober;  // null when the http kind is disabled
};

// The configuration used when no --config.file is given (SPEC §4): the documented default
// ports of the stack on localhost.
const std::string& EmbeddedDefaultConfig();

// Loads `path` (or the embedded default when empty), validates every section and builds the
// collectors of the enabled kinds. On error returns one line: FILE:LINE:COL: KEY: what is wrong.
Status LoadConfig(const std::string& path, const CollectorSelection& selection,
                  const CollectorEnv& env, LoadedConfig* out);
// The same from text (for tests and the embedded default); `name` stands for the file name.
Status LoadConfigText(const std::string& text, const std::string& name,
                      const CollectorSelection& selection, const CollectorEnv& env,
                      LoadedConfig* out);

}  // namespace thoth

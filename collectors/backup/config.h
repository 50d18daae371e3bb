#pragma once

#include <string>
#include <vector>

#include "collectors/backup/backup_verify.h"
#include "exporter/config_reader.h"
#include "exporter/status.h"

namespace thoth::backup {

// One entry of the `backup:` section: a set of backup files found by a glob.
struct BackupConfig {
  std::string name;
  std::string pattern;  // absolute glob
  BackupFormat verify = BackupFormat::kAuto;
  double settle_seconds = 10;
  std::string fingerprint;  // of the entry; never printed
};

// Reads and validates the `backup:` section (absent or null: no backups). An error names file,
// line, column and key. Names are checked unique by the loader (exporter/config.cc).
Status ParseConfig(const ConfigNode& section, std::vector<BackupConfig>* out);

}  // namespace thoth::backup

#include "collectors/backup/config.h"

namespace thoth::backup {

namespace {

BackupConfig ParseBackup(const ConfigNode& item) {
  item.ExpectKeys({"name", "glob", "verify", "settle_seconds"});
  BackupConfig config;
  config.name = item.RequiredString("name");
  config.pattern = item.RequiredString("glob");
  if (config.pattern[0] != '/') item.FailKey("glob", "must be an absolute path");
  if (!ParseBackupFormat(item.String("verify", "auto"), &config.verify)) {
    item.FailKey("verify", "must be auto, pg_dump, tar_gz or none");
  }
  config.settle_seconds = item.Number("settle_seconds", config.settle_seconds);
  if (!(config.settle_seconds >= 0) || config.settle_seconds > 86400) {
    item.FailKey("settle_seconds", "must be between 0 and 86400");
  }
  config.fingerprint = item.Fingerprint();
  return config;
}

}  // namespace

Status ParseConfig(const ConfigNode& section, std::vector<BackupConfig>* out) {
  return ParseTargetList(section, ParseBackup, out);
}

}  // namespace thoth::backup

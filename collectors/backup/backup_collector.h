#pragma once

#include <memory>
#include <vector>

#include "collectors/backup/config.h"
#include "exporter/collector.h"

namespace thoth::backup {

// Builds one collector per entry of the `backup:` section ({name, glob}). Target() is the
// backup's name, but the series carry `backup="<name>"` (SPEC §5) and no `target` label. No
// section: no collector. No side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(std::vector<BackupConfig> backups,
                                                       const CollectorEnv& env);

}  // namespace thoth::backup

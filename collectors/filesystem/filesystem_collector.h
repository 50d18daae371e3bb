#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collectors/filesystem/config.h"
#include "exporter/collector.h"

namespace thoth::filesystem {

// Builds the one `filesystem` collector (Target() "filesystem", no target label) from the
// `filesystem:` section, a list of absolute paths; without the section it watches `/`. An empty
// list means no collector (no filesystem and no host memory series). No side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(FilesystemConfig config,
                                                       const CollectorEnv& env);

// The collector for `paths`, reading mountinfo and meminfo under proc_root (tests point it at a
// fixture tree).
std::shared_ptr<Collector> MakeFilesystemCollector(std::vector<std::string> paths,
                                                   std::string proc_root, std::string fingerprint);

// The --once rows of one collection (pure): per mount, `space` graded on available / size
// against thresholds.disk_free_ratio (below 10 % free WARNING, below 5 % CRITICAL: the numbers
// of DiskSpaceLow); a mount whose statfs failed is CRITICAL. Host `memory` graded on
// 1 - MemAvailable / MemTotal against thresholds.memory_usage_ratio (above 70 % WARNING, above
// 90 % CRITICAL: HostMemoryHigh). What cannot be judged is UNKNOWN, never OK.
void FilesystemChecks(const Families& families, const Thresholds& thresholds,
                      std::vector<HealthCheck>& out);

}  // namespace thoth::filesystem

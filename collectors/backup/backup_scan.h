#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "exporter/status.h"

namespace thoth {

// One regular file matched by a backup glob.
struct BackupFile {
  std::string path;
  double mtime_seconds = 0;  // unix seconds, with the nanoseconds
  double size_bytes = 0;
};

// The newest of `files` by mtime; on equal mtimes the greater path (dump names carry their
// timestamp, so it is the later one). nullopt when empty.
std::optional<BackupFile> NewestBackup(const std::vector<BackupFile>& files);

// Expands `pattern` (glob(7)) and stats every match, keeping regular files (symlinks followed).
// A directory of the pattern that does not exist yet means no file, not an error; one that
// cannot be read (permissions, a symlink loop, I/O error) is an error naming it. A file removed
// between the listing and its stat is left out.
Status ScanBackupGlob(const std::string& pattern, std::vector<BackupFile>* files);

}  // namespace thoth

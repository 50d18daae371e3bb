#include "collectors/backup/backup_scan.h"

#include <glob.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace thoth {
namespace {

// glob(3)'s error callback has no user pointer; one scan runs per thread at a time.
thread_local int glob_error = 0;
thread_local std::string* glob_error_path = nullptr;

int OnGlobError(const char* path, int err) {
  if (err == ENOENT || err == ENOTDIR) return 0;  // nothing there yet: no match, no failure
  glob_error = err;
  if (glob_error_path != nullptr) *glob_error_path = path;
  return 1;  // abort: a directory we cannot read would silently hide its backups
}

}  // namespace

std::optional<BackupFile> NewestBackup(const std::vector<BackupFile>& files) {
  const BackupFile* best = nullptr;
  for (const auto& f : files) {
    if (best == nullptr || f.mtime_seconds > best->mtime_seconds ||
        (f.mtime_seconds == best->mtime_seconds && f.path > best->path)) {
      best = &f;
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

Status ScanBackupGlob(const std::string& pattern, std::vector<BackupFile>* files) {
  files->clear();
  std::string error_path;
  glob_error = 0;
  glob_error_path = &error_path;
  glob_t g{};
  int rc = ::glob(pattern.c_str(), 0, OnGlobError, &g);
  glob_error_path = nullptr;
  if (rc == GLOB_ABORTED) {
    ::globfree(&g);
    return Status::Error("cannot read " + error_path + ": " + std::strerror(glob_error));
  }
  if (rc == GLOB_NOSPACE) {
    ::globfree(&g);
    return Status::Error("out of memory expanding " + pattern);
  }
  if (rc == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) {
      struct stat st;
      if (::stat(g.gl_pathv[i], &st) != 0 || !S_ISREG(st.st_mode)) continue;
      files->push_back(
          {g.gl_pathv[i],
           static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) / 1e9,
           static_cast<double>(st.st_size)});
    }
  }
  ::globfree(&g);
  return Status::Ok();
}

}  // namespace thoth

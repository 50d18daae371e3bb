#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/logs/line_assembler.h"
#include "collectors/logs/state_file.h"
#include "collectors/logs/worker.h"

namespace thoth::logs {

// Rotated logs compressed next to the live one (.gz, .bz2, .xz, .zst, .zip, .lz4): not text to
// count, so never followed.
bool IsCompressedLogFile(std::string_view path);

struct TailerOptions {
  std::string name;  // the log's configured name, for log messages
  std::string glob;  // files to follow (glob(3) pattern)
  bool from_start = false;
  std::string state_file;  // "" = no position file
  std::size_t max_line_bytes = 65536;
  std::chrono::milliseconds poll_interval{250};  // also the fallback when inotify is missing
  // How long a renamed file is still read once it has stopped growing (writers such as nginx
  // keep writing to the old file until they reopen theirs).
  std::chrono::milliseconds rotate_wait{1000};
  std::chrono::milliseconds state_interval{1000};  // at most one state-file write per interval
  bool use_inotify = true;
};

// Follows every regular file matching a glob and hands their lines to a LineHandler.
//
// - Files are known by device and inode. Existing files start at their end on the first pass
//   (at the start of their last, incomplete line), unless from_start; files found later start
//   at 0, so lines written before they were found are not lost.
// - A file that leaves its path (rename rotation, deletion) is read to its end before being
//   closed: at once when it is deleted (no descriptor is kept on a deleted file), after
//   rotate_wait without growth when it was renamed. Its successor at the path is a new file.
// - A file that shrinks below the read position (copytruncate) is read again from 0.
// - A file that cannot be opened (permission denied) is retried at every pass.
// - With a state file, positions are loaded at start and written atomically at most once per
//   state_interval and when stopping, so that a restart neither loses nor recounts lines. A file
//   that has left the glob but still exists is written too: a directory read that races a
//   rename can miss a file for one pass, and it must not come back as new after a restart.
//   One state file serves one tailer at a time in this process (a reload waits for the old one).
// - Memory: one read buffer and at most max_line_bytes per followed file.
//
// Start() runs the passes on a background thread (woken by inotify, else every
// poll_interval); the destructor stops and joins it. Without Start(), PollOnce() runs one pass
// on the caller's thread and never writes the state file (a one-shot `--once` must not move
// the positions of a running exporter).
class Tailer {
 public:
  Tailer(TailerOptions options, LineHandler* handler);
  ~Tailer();
  Tailer(const Tailer&) = delete;
  Tailer& operator=(const Tailer&) = delete;

  void Start();
  void Stop();
  bool started() const { return worker_.running(); }
  // One pass on the caller's thread; only when not started.
  void PollOnce();

 private:
  struct FileId {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    auto operator<=>(const FileId&) const = default;
  };
  struct TrackedFile {
    explicit TrackedFile(std::size_t max_line_bytes) : lines(max_line_bytes) {}
    std::string path;
    int fd = -1;
    std::uint64_t offset = 0;  // bytes consumed from the file (the fd's position when open)
    LineAssembler lines;
    bool gone = false;  // no longer at a path matching the glob
    std::chrono::steady_clock::time_point last_activity;
    bool open_error_logged = false;
  };

  void Run();
  void LoadState();
  void SaveState();
  // One discovery and read pass. True when it read anything (so another pass follows at once).
  bool Pass();
  // Brings files_ (and saved_) up to date with the files found by the glob now.
  void Reconcile(const std::map<FileId, std::string>& present,
                 const std::map<FileId, std::uint64_t>& sizes,
                 std::chrono::steady_clock::time_point now);
  // Reads the files that left their path to their end, closing those that are finished; the
  // paths of those not read to their end go into *unfinished. True when anything was read.
  bool ReadGoneFiles(std::chrono::steady_clock::time_point now, std::set<std::string>* unfinished);
  // Opens and reads the files at their paths, except where an older file of that path is
  // unfinished. True when anything was read (or is left to read).
  bool ReadPresentFiles(const std::set<std::string>& unfinished);
  // The files matching the glob now, by inode, with their size from the same stat.
  std::map<FileId, std::string> Discover(std::map<FileId, std::uint64_t>* sizes);
  std::uint64_t InitialOffset(const FileId& id, const std::string& path, std::uint64_t size);
  bool TryOpen(TrackedFile& f, const FileId& id);
  // Reads what is there, up to a budget per pass so that a busy file cannot starve discovery.
  struct ReadResult {
    std::uint64_t bytes = 0;
    bool eof = false;  // read() returned 0: everything written so far was read
  };
  ReadResult ReadAvailable(TrackedFile& f);
  void CloseFile(TrackedFile& f);
  void UpdateWatches(const std::map<FileId, std::string>& present);
  void DrainEvents();
  void Wait(std::chrono::milliseconds timeout);

  TailerOptions options_;
  LineHandler* handler_;

  std::map<FileId, TrackedFile> files_;
  // Positions from the state file not yet matched to a file found by the glob. They are written
  // back with the others until they have had rotate_wait and two passes to be found, so that a
  // file missed by one directory read (renamed while it was read) keeps its position.
  std::map<FileId, FilePosition> saved_;
  std::chrono::steady_clock::time_point loaded_at_;
  int passes_since_load_ = 0;
  bool state_loaded_ = false;
  bool state_existed_ = false;
  bool first_pass_ = true;
  bool dirty_ = false;
  bool in_background_ = false;  // Run() is on the stack (not worker_.running(): Stop() changes it)
  std::chrono::steady_clock::time_point last_save_;
  std::vector<char> buffer_;

  int inotify_fd_ = -1;
  std::map<int, std::string> watches_;  // watch descriptor -> directory
  std::set<std::string> watched_dirs_;

  Worker worker_;  // last: stopped (joined) before the members it uses go
};

}  // namespace thoth::logs

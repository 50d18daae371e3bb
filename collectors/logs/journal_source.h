#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "collectors/logs/line_assembler.h"
#include "collectors/logs/log_source.h"
#include "collectors/logs/state_file.h"
#include "collectors/logs/worker.h"
#include "exporter/status.h"

struct sd_journal;

namespace thoth::logs {

// One sd-journal handle matched to one unit: the part of JournalSource that reads entries,
// apart from threads and state files (for tests, the fuzz target and the benchmark).
class JournalReader {
 public:
  JournalReader() = default;
  ~JournalReader();
  JournalReader(const JournalReader&) = delete;
  JournalReader& operator=(const JournalReader&) = delete;

  // The journal files of a directory ("" = the system journal), or the given files. `unit`
  // empty = every entry. An error when the journal cannot be opened.
  Status OpenDirectory(const std::string& directory, const std::string& unit);
  Status OpenFiles(const std::vector<std::string>& files, const std::string& unit);
  // One journal file given as a descriptor (kept open by the caller while reading).
  Status OpenFd(int fd, const std::string& unit);
  bool is_open() const { return j_ != nullptr; }

  // Where the next Read() starts: after the entry of `cursor` (the last one counted; when that
  // entry is gone, at the first one after where it was), at the first entry at or after
  // `realtime_usec`, after the last entry (new entries only), or at the first entry.
  void SeekAfterCursor(const std::string& cursor);
  void SeekRealtime(std::uint64_t realtime_usec);
  void SeekTail();
  void SeekHead();
  // True when the journal holds at least one entry of the unit (moves the position: call it
  // before seeking).
  bool HasEntries();

  // Hands the MESSAGE of up to max_entries entries to the handler, each of its lines as one
  // line (a MESSAGE longer than max_line_bytes is one overlong line). Returns how many entries
  // were read; *at_end when the journal had no more.
  std::size_t Read(std::size_t max_entries, std::size_t max_line_bytes, LineHandler& handler,
                   bool* at_end);
  // The cursor of the last entry read ("" before the first).
  std::string Cursor();
  // The descriptor to wait on for changes (inotify), and the processing of its events (new
  // files, removed files, appended entries). -1 when not available.
  int fd();
  void Process();

 private:
  Status Setup(const std::string& unit);

  ::sd_journal* j_ = nullptr;
  bool current_pending_ = false;  // positioned on an entry not yet read
  bool read_any_ = false;
};

// A systemd unit's entries from the journal (libsystemd sd-journal), the `_SYSTEMD_UNIT=`
// match, each entry's MESSAGE. The position is the cursor of the last entry counted, saved in
// the state file, so a restart resumes exactly after it. Journal files rotated, added or
// vacuumed under the reader are followed through sd-journal's own inotify watch. A journal
// that cannot be opened (no directory yet, no permission) is retried; a unit without entries
// yet is reported by Waiting() and counted from its first entry.
class JournalSource : public LogSource {
 public:
  JournalSource(LogSourceConfig config, TailerOptions options, LineHandler* handler);
  ~JournalSource() override;

  void Start() override;
  void Stop() override;
  void PollOnce() override;
  std::string Waiting() const override;

 private:
  // Where Run() is in following the journal.
  struct Follow {
    bool opened = false;
    std::chrono::steady_clock::time_point opened_at;
    std::chrono::milliseconds reopen_after{0};
    std::chrono::steady_clock::time_point last_save;
  };

  void Run();
  struct Batch {
    std::size_t entries = 0;
    bool at_end = false;  // the journal had no more
  };
  // Reads one batch of entries into the handler.
  Batch ReadBatch();
  // Opens the journal again when it still shows no entry of the unit (see Run()).
  void ReopenIfEmpty(Follow& follow);
  bool OpenAndSeek();
  void Save();
  void SetWaiting(std::string why);

  LogSourceConfig config_;
  TailerOptions options_;
  LineHandler* handler_;
  JournalReader reader_;
  JournalPosition position_;
  bool loaded_ = false;
  bool state_existed_ = false;
  bool dirty_ = false;
  bool open_error_logged_ = false;
  bool has_entries_ = false;

  mutable std::mutex mu_;
  std::string waiting_;
  Worker worker_;
};

}  // namespace thoth::logs

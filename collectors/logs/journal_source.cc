#include "collectors/logs/journal_source.h"

#include <systemd/sd-journal.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "spdlog/spdlog.h"

namespace thoth::logs {

namespace {

using Clock = std::chrono::steady_clock;

// Entries read before the counters are flushed and the stop flag looked at again.
constexpr std::size_t kBatchEntries = 4096;
// How often a journal that could not be opened is tried again.
constexpr std::chrono::milliseconds kRetryInterval{2000};
// The longest wait between two openings of a journal that has no entry of the unit yet.
constexpr std::chrono::milliseconds kMaxReopenInterval{60000};

std::string Errno(int r) { return std::strerror(r < 0 ? -r : r); }

std::uint64_t NowRealtimeUsec() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace

JournalReader::~JournalReader() {
  if (j_ != nullptr) sd_journal_close(j_);
}

Status JournalReader::Setup(const std::string& unit) {
  if (!unit.empty()) {
    std::string match = "_SYSTEMD_UNIT=" + unit;
    int r = sd_journal_add_match(j_, match.data(), match.size());
    if (r < 0) {
      sd_journal_close(j_);
      j_ = nullptr;
      return Status::Error("cannot match " + match + ": " + Errno(r));
    }
  }
  // The inotify watch is set up before the first read, so that no file added meanwhile is
  // missed. Without inotify (a limit reached), sd-journal is polled.
  (void)sd_journal_get_fd(j_);
  current_pending_ = false;
  read_any_ = false;
  return Status::Ok();
}

Status JournalReader::OpenDirectory(const std::string& directory, const std::string& unit) {
  if (j_ != nullptr) sd_journal_close(j_);
  j_ = nullptr;
  int r = directory.empty() ? sd_journal_open(&j_, SD_JOURNAL_LOCAL_ONLY)
                            : sd_journal_open_directory(&j_, directory.c_str(), 0);
  if (r < 0) {
    j_ = nullptr;
    return Status::Error("cannot open the journal" + (directory.empty() ? "" : " in " + directory) +
                         ": " + Errno(r));
  }
  return Setup(unit);
}

Status JournalReader::OpenFiles(const std::vector<std::string>& files, const std::string& unit) {
  if (j_ != nullptr) sd_journal_close(j_);
  j_ = nullptr;
  std::vector<const char*> paths;
  paths.reserve(files.size() + 1);  // and the nullptr that ends the list
  for (const auto& f : files) paths.push_back(f.c_str());
  paths.push_back(nullptr);
  int r = sd_journal_open_files(&j_, paths.data(), 0);
  if (r < 0) {
    j_ = nullptr;
    return Status::Error("cannot open journal files: " + Errno(r));
  }
  return Setup(unit);
}

Status JournalReader::OpenFd(int fd, const std::string& unit) {
  if (j_ != nullptr) sd_journal_close(j_);
  j_ = nullptr;
  int r = sd_journal_open_files_fd(&j_, &fd, 1, 0);
  if (r < 0) {
    j_ = nullptr;
    return Status::Error("cannot open the journal file: " + Errno(r));
  }
  return Setup(unit);
}

void JournalReader::SeekAfterCursor(const std::string& cursor) {
  current_pending_ = false;
  if (sd_journal_seek_cursor(j_, cursor.c_str()) < 0) {
    SeekHead();
    return;
  }
  int r = sd_journal_next(j_);
  if (r <= 0) return;                                          // nothing at or after it yet
  if (sd_journal_test_cursor(j_, cursor.c_str()) > 0) return;  // the entry counted last
  // That entry is gone (vacuumed): this is the first one after where it was, not yet read.
  current_pending_ = true;
}

void JournalReader::SeekRealtime(std::uint64_t realtime_usec) {
  current_pending_ = false;
  sd_journal_seek_realtime_usec(j_, realtime_usec);
}

void JournalReader::SeekTail() {
  current_pending_ = false;
  sd_journal_seek_tail(j_);
  // On the last entry (counted as read). With none (no entry of the unit yet, or no journal
  // file yet), the head: a position "at the tail" of an empty journal never sees the entries
  // that come later, and from the head every one of them is new.
  if (sd_journal_previous(j_) <= 0) sd_journal_seek_head(j_);
}

void JournalReader::SeekHead() {
  current_pending_ = false;
  sd_journal_seek_head(j_);
}

bool JournalReader::HasEntries() {
  sd_journal_seek_tail(j_);
  return sd_journal_previous(j_) > 0;
}

std::size_t JournalReader::Read(std::size_t max_entries, std::size_t max_line_bytes,
                                LineHandler& handler, bool* at_end) {
  *at_end = false;
  // MESSAGE= and one byte more than a line may hold: longer ones are overlong, whatever size.
  sd_journal_set_data_threshold(j_, max_line_bytes + 9);
  std::size_t n = 0;
  while (n < max_entries) {
    if (current_pending_) {
      current_pending_ = false;
    } else {
      int r = sd_journal_next(j_);
      if (r <= 0) {
        // 0: at the end. <0: a damaged file or entry; sd-journal skips what it cannot read,
        // so an error here ends this batch and the next wake-up tries again.
        *at_end = true;
        break;
      }
    }
    ++n;
    read_any_ = true;
    const void* data = nullptr;
    std::size_t len = 0;
    if (sd_journal_get_data(j_, "MESSAGE", &data, &len) < 0 || len < 8) continue;
    std::string_view msg(static_cast<const char*>(data) + 8, len - 8);
    if (msg.size() > max_line_bytes) {
      handler.OnOverlongLine();
      continue;
    }
    if (!msg.empty() && msg.back() == '\n') msg.remove_suffix(1);
    // A MESSAGE of several lines counts as those lines, as in a file.
    for (;;) {
      std::size_t nl = msg.find('\n');
      handler.OnLine(msg.substr(0, nl));
      if (nl == std::string_view::npos) break;
      msg.remove_prefix(nl + 1);
    }
  }
  return n;
}

std::string JournalReader::Cursor() {
  if (!read_any_) return "";
  char* c = nullptr;
  if (sd_journal_get_cursor(j_, &c) < 0 || c == nullptr) return "";
  std::string out(c);
  std::free(c);
  return out;
}

int JournalReader::fd() { return j_ == nullptr ? -1 : sd_journal_get_fd(j_); }

void JournalReader::Process() {
  if (j_ != nullptr) (void)sd_journal_process(j_);
}

JournalSource::JournalSource(LogSourceConfig config, TailerOptions options, LineHandler* handler)
    : config_(std::move(config)), options_(std::move(options)), handler_(handler) {
  SetWaiting("journal not opened yet");
}

JournalSource::~JournalSource() { Stop(); }

void JournalSource::SetWaiting(std::string why) {
  std::lock_guard<std::mutex> lock(mu_);
  waiting_ = std::move(why);
}

std::string JournalSource::Waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_;
}

bool JournalSource::OpenAndSeek() {
  if (!loaded_) {
    loaded_ = true;
    state_existed_ = false;
    if (!options_.state_file.empty()) {
      Status s = LoadJournalPosition(options_.state_file, &position_, &state_existed_);
      if (!s.ok()) spdlog::warn("log {}: {}", options_.name, s.message());
    }
  }
  if (Status s = reader_.OpenDirectory(config_.journal_dir, config_.unit); !s.ok()) {
    if (!open_error_logged_) spdlog::warn("log {}: {}; retrying", options_.name, s.message());
    open_error_logged_ = true;
    SetWaiting(s.message());
    return false;
  }
  if (open_error_logged_) spdlog::info("log {}: journal opened", options_.name);
  open_error_logged_ = false;
  has_entries_ = reader_.HasEntries();
  if (!position_.cursor.empty()) {
    reader_.SeekAfterCursor(position_.cursor);
  } else if (state_existed_ || options_.from_start) {
    // Following began at realtime_usec (or from_start: 0, everything there is).
    reader_.SeekRealtime(options_.from_start && !state_existed_ ? 0 : position_.realtime_usec);
  } else {
    // First start: new entries only, as files start at their end.
    reader_.SeekTail();
    position_.realtime_usec = NowRealtimeUsec();
    dirty_ = true;
  }
  SetWaiting(has_entries_ ? "" : "no entries of unit " + config_.unit + " in the journal yet");
  return true;
}

void JournalSource::Save() {
  std::string cursor = reader_.Cursor();
  if (!cursor.empty()) position_.cursor = cursor;
  if (options_.state_file.empty()) return;
  Status s = SaveJournalPosition(options_.state_file, position_);
  if (s.ok()) {
    dirty_ = false;
  } else {
    spdlog::warn("log {}: {}", options_.name, s.message());
  }
}

void JournalSource::PollOnce() {
  if (worker_.running()) return;
  if (!reader_.is_open() && !OpenAndSeek()) return;
  reader_.Process();
  while (!ReadBatch().at_end) {
  }
}

JournalSource::Batch JournalSource::ReadBatch() {
  Batch batch;
  batch.entries = reader_.Read(kBatchEntries, options_.max_line_bytes, *handler_, &batch.at_end);
  handler_->Flush();
  if (batch.entries > 0 && !has_entries_) {
    has_entries_ = true;
    SetWaiting("");
  }
  return batch;
}

void JournalSource::Start() {
  worker_.Start([this] { Run(); });
}

void JournalSource::Stop() { worker_.Stop(); }

void JournalSource::ReopenIfEmpty(Follow& follow) {
  // Still no entry of the unit: open the journal again. A journal file that was being created
  // when the directory was read can be left out of sd-journal's view for good; every entry of
  // the unit there is now is new (there was none before).
  if (reader_.OpenDirectory(config_.journal_dir, config_.unit).ok()) reader_.SeekHead();
  follow.opened = reader_.is_open();
  follow.opened_at = Clock::now();
  // 2 s, 4 s, ... up to a minute: opening a large system journal costs milliseconds.
  follow.reopen_after =
      std::min<std::chrono::milliseconds>(follow.reopen_after * 2, kMaxReopenInterval);
}

void JournalSource::Run() {
  const bool has_state = !options_.state_file.empty();
  if (has_state && !AcquireStateFile(options_.state_file, worker_.stop_flag())) return;
  // A later Start() continues from the saved position, as after a restart.
  loaded_ = false;
  position_ = JournalPosition{};
  Follow follow{false, Clock::now(), kRetryInterval, Clock::now()};
  while (!worker_.stopping()) {
    if (!follow.opened) {
      follow.opened = OpenAndSeek();
      follow.opened_at = Clock::now();
      if (!follow.opened) {
        worker_.Wait({}, kRetryInterval);
        continue;
      }
    }
    const Batch batch = ReadBatch();
    if (batch.entries > 0) dirty_ = true;
    if (has_state && dirty_ && Clock::now() - follow.last_save >= options_.state_interval) {
      Save();
      follow.last_save = Clock::now();
    }
    if (!batch.at_end) continue;
    if (!has_entries_ && Clock::now() - follow.opened_at >= follow.reopen_after) {
      ReopenIfEmpty(follow);
      continue;
    }
    worker_.Wait({reader_.fd()}, options_.poll_interval);
    reader_.Process();
  }
  if (has_state) {
    if (follow.opened || dirty_) Save();
    ReleaseStateFile(options_.state_file);
  }
}

}  // namespace thoth::logs

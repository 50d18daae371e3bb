#include "collectors/logs/tailer.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "spdlog/spdlog.h"

namespace thoth::logs {

namespace {

using Clock = std::chrono::steady_clock;

// 64 KiB reads cost one system call per ~700 lines: no measurable speed over 1 MiB reads, and
// 960 KiB less resident memory per log.
constexpr std::size_t kReadBufferBytes = 64 << 10;
// Bytes read from one file in one pass before the others (and discovery) get their turn.
constexpr std::uint64_t kPassBudgetBytes = 16 << 20;

bool HasGlobChars(std::string_view s) { return s.find_first_of("*?[{") != std::string_view::npos; }

std::string DirName(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Rotated logs are often compressed next to the live one; they are not text to count.
bool IsCompressed(std::string_view path) {
  for (std::string_view ext : {".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4"}) {
    if (path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext) return true;
  }
  return false;
}

// Where the last line of a file starts (0 when it holds a single line): starting there on the
// first pass counts that line once it is complete, rather than counting its tail as a line.
std::uint64_t StartOfLastLine(int fd, std::uint64_t size, std::size_t max_line_bytes) {
  if (size == 0) return 0;
  std::uint64_t window = std::min<std::uint64_t>(size, max_line_bytes + 1);
  std::vector<char> buf(window);
  std::uint64_t from = size - window;
  ssize_t n = ::pread(fd, buf.data(), window, static_cast<off_t>(from));
  if (n != static_cast<ssize_t>(window)) return size;
  for (std::uint64_t i = window; i > 0; --i) {
    if (buf[i - 1] == '\n') return from + i;
  }
  return from == 0 ? 0 : size;  // no newline: one (overlong) line we skip
}

// The fingerprint of the bytes before a saved position (see FilePosition).
void SetFingerprint(int fd, FilePosition* p) {
  char buf[kFingerprintBytes];
  std::uint64_t want = std::min<std::uint64_t>(kFingerprintBytes, p->offset);
  ssize_t n = want == 0 ? 0 : ::pread(fd, buf, want, 0);
  if (n != static_cast<ssize_t>(want)) return;
  p->fingerprint_bytes = want;
  p->fingerprint = Fingerprint(std::string_view(buf, want));
}

// False when the file at `path` (still the saved inode) does not begin as the saved one did.
bool SameFingerprint(const std::string& path, const FilePosition& p) {
  if (p.fingerprint_bytes == 0 || p.fingerprint_bytes > kFingerprintBytes) return true;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return true;  // unreadable or gone: decided when it is opened
  struct stat st {};
  char buf[kFingerprintBytes];
  bool same = true;
  if (::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_dev) == p.device &&
      static_cast<std::uint64_t>(st.st_ino) == p.inode) {
    ssize_t n = ::pread(fd, buf, p.fingerprint_bytes, 0);
    same = n == static_cast<ssize_t>(p.fingerprint_bytes) &&
           Fingerprint(std::string_view(buf, p.fingerprint_bytes)) == p.fingerprint;
  }
  ::close(fd);
  return same;
}

}  // namespace

bool IsCompressedLogFile(std::string_view path) { return IsCompressed(path); }

Tailer::Tailer(TailerOptions options, LineHandler* handler)
    : options_(std::move(options)), handler_(handler) {}

Tailer::~Tailer() {
  Stop();
  for (auto& [id, f] : files_) CloseFile(f);
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

void Tailer::Start() {
  worker_.Start([this] { Run(); });
}

void Tailer::Stop() { worker_.Stop(); }

void Tailer::PollOnce() {
  if (worker_.running()) return;
  if (!state_loaded_) LoadState();
  Pass();
}

void Tailer::Run() {
  const bool has_state = !options_.state_file.empty();
  if (has_state && !AcquireStateFile(options_.state_file, worker_.stop_flag())) return;
  in_background_ = true;
  if (!state_loaded_) LoadState();
  if (options_.use_inotify && inotify_fd_ < 0) {
    inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd_ < 0) {
      spdlog::info("log {}: inotify unavailable ({}), polling every {} ms", options_.name,
                   std::strerror(errno), options_.poll_interval.count());
    }
  }
  last_save_ = Clock::now();
  while (!worker_.stopping()) {
    bool progressed = Pass();
    if (has_state && dirty_ && Clock::now() - last_save_ >= options_.state_interval) SaveState();
    if (!progressed) Wait(options_.poll_interval);
  }
  if (has_state) {
    SaveState();
    ReleaseStateFile(options_.state_file);
  }
  for (auto& [id, f] : files_) CloseFile(f);
  files_.clear();
  in_background_ = false;
  // A later Start() continues from the positions just saved, as after a restart.
  state_loaded_ = false;
  first_pass_ = true;
}

void Tailer::LoadState() {
  state_loaded_ = true;
  saved_.clear();
  loaded_at_ = Clock::now();
  passes_since_load_ = 0;
  state_existed_ = false;
  if (options_.state_file.empty()) return;
  std::vector<FilePosition> positions;
  bool exists = false;
  Status s = LoadPositions(options_.state_file, &positions, &exists);
  if (!s.ok()) {
    spdlog::warn("log {}: {}", options_.name, s.message());
    return;
  }
  state_existed_ = exists;
  for (auto& p : positions) saved_[FileId{p.device, p.inode}] = std::move(p);
}

void Tailer::SaveState() {
  std::vector<FilePosition> positions;
  for (const auto& [id, f] : files_) {
    if (f.gone && f.fd >= 0) {
      // A deleted file is never found again, and its inode may be reused by a new file that
      // must start at 0. A renamed one may be: see saved_ in tailer.h.
      struct stat st {};
      if (::fstat(f.fd, &st) == 0 && st.st_nlink == 0) continue;
    }
    FilePosition p{id.device, id.inode, f.offset - f.lines.pending_bytes(), f.path};
    if (f.fd >= 0) SetFingerprint(f.fd, &p);
    positions.push_back(std::move(p));
  }
  for (const auto& [id, p] : saved_) positions.push_back(p);
  Status s = SavePositions(options_.state_file, positions);
  last_save_ = Clock::now();
  if (s.ok()) {
    dirty_ = false;
  } else {
    spdlog::warn("log {}: {}", options_.name, s.message());
  }
}

std::map<Tailer::FileId, std::string> Tailer::Discover(std::map<FileId, std::uint64_t>* sizes) {
  std::map<FileId, std::string> present;
  sizes->clear();
  glob_t g{};
  int rc = ::glob(options_.glob.c_str(), GLOB_NOSORT, nullptr, &g);
  if (rc == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) {
      std::string path = g.gl_pathv[i];
      if (IsCompressed(path)) continue;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      FileId id{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
      // A hard link twice in the glob is one file.
      if (present.emplace(id, std::move(path)).second) {
        (*sizes)[id] = static_cast<std::uint64_t>(st.st_size);
      }
    }
  }
  ::globfree(&g);
  return present;
}

std::uint64_t Tailer::InitialOffset(const FileId& id, const std::string& path, std::uint64_t size) {
  auto saved = saved_.find(id);
  if (saved != saved_.end()) {
    std::uint64_t offset = saved->second.offset;
    bool same = SameFingerprint(path, saved->second);
    saved_.erase(saved);
    if (!same) {
      spdlog::info("log {}: {} is a new file under a reused inode; reading it from the start",
                   options_.name, path);
      return 0;
    }
    if (offset <= size) {
      spdlog::debug("log {}: {} (inode {}) resumes at byte {} (state file)", options_.name, path,
                    id.inode, offset);
      return offset;
    }
    spdlog::info("log {}: {} is shorter than its saved position; reading it from the start",
                 options_.name, path);
    handler_->OnTruncation();  // truncated while nobody was reading it
    return 0;
  }
  if (!first_pass_ || options_.from_start || state_existed_) {
    spdlog::debug("log {}: new file {} (inode {}, {} bytes), read from the start", options_.name,
                  path, id.inode, size);
    return 0;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return size;
  struct stat st {};
  if (::fstat(fd, &st) != 0 ||
      FileId{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)} != id) {
    ::close(fd);  // renamed since: its end as last seen
    return size;
  }
  std::uint64_t offset = StartOfLastLine(fd, size, options_.max_line_bytes);
  ::close(fd);
  return offset;
}

bool Tailer::TryOpen(TrackedFile& f, const FileId& id) {
  int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    // ENOENT: renamed or deleted since the directory was read; the next pass sees where.
    if (errno != ENOENT && !f.open_error_logged) {
      spdlog::info("log {}: cannot open {}: {}; retrying", options_.name, f.path,
                   std::strerror(errno));
      f.open_error_logged = true;
    }
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      FileId{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)} != id) {
    ::close(fd);  // the path names another file by now; the next pass sorts it out
    return false;
  }
  if (f.offset > static_cast<std::uint64_t>(st.st_size)) {
    handler_->OnTruncation();
    f.offset = 0;
    f.lines.Reset();
  }
  if (::lseek(fd, static_cast<off_t>(f.offset), SEEK_SET) < 0) {
    ::close(fd);
    return false;
  }
  if (f.open_error_logged) spdlog::info("log {}: reading {}", options_.name, f.path);
  f.open_error_logged = false;
  f.fd = fd;
  return true;
}

Tailer::ReadResult Tailer::ReadAvailable(TrackedFile& f) {
  ReadResult r;
  if (buffer_.empty()) buffer_.resize(kReadBufferBytes);
  while (r.bytes < kPassBudgetBytes && !worker_.stopping()) {
    ssize_t n = ::read(f.fd, buffer_.data(), buffer_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      spdlog::debug("log {}: read {}: {}", options_.name, f.path, std::strerror(errno));
      return r;
    }
    if (n == 0) {
      r.eof = true;
      return r;
    }
    f.lines.Feed(std::string_view(buffer_.data(), static_cast<std::size_t>(n)), *handler_);
    f.offset += static_cast<std::uint64_t>(n);
    r.bytes += static_cast<std::uint64_t>(n);
    dirty_ = true;
    handler_->Flush();
    // While catching up on a large file, keep the state file moving too.
    if (in_background_ && !options_.state_file.empty() &&
        Clock::now() - last_save_ >= options_.state_interval) {
      SaveState();
    }
  }
  return r;
}

void Tailer::CloseFile(TrackedFile& f) {
  if (f.fd >= 0) ::close(f.fd);
  f.fd = -1;
}

void Tailer::UpdateWatches(const std::map<FileId, std::string>& present) {
  if (inotify_fd_ < 0) return;
  std::set<std::string> dirs;
  std::string glob_dir = DirName(options_.glob);
  if (!HasGlobChars(glob_dir)) dirs.insert(glob_dir);
  for (const auto& [id, path] : present) dirs.insert(DirName(path));
  for (const auto& dir : dirs) {
    if (watched_dirs_.count(dir) > 0) continue;
    int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(),
                                 IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY |
                                     IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF);
    if (wd < 0) continue;  // not there yet: polling covers it, and the next pass retries
    watches_[wd] = dir;
    watched_dirs_.insert(dir);
  }
}

void Tailer::DrainEvents() {
  if (inotify_fd_ < 0) return;
  alignas(struct inotify_event) char buf[16384];
  for (;;) {
    ssize_t n = ::read(inotify_fd_, buf, sizeof(buf));
    if (n <= 0) return;
    for (ssize_t i = 0; i < n;) {
      const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + i);
      if (ev->mask & IN_IGNORED) {
        // The directory went away (or was replaced): watch it again when it is back.
        auto it = watches_.find(ev->wd);
        if (it != watches_.end()) {
          watched_dirs_.erase(it->second);
          watches_.erase(it);
        }
      }
      i += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
    }
  }
}

void Tailer::Wait(std::chrono::milliseconds timeout) {
  worker_.Wait({inotify_fd_}, timeout);
  DrainEvents();
}

bool Tailer::Pass() {
  DrainEvents();
  std::map<FileId, std::uint64_t> sizes;
  auto present = Discover(&sizes);
  handler_->OnFilesFollowed(present.size());
  const auto now = Clock::now();
  Reconcile(present, sizes, now);
  UpdateWatches(present);
  // Files that left their path first: the old file is finished before its successor is read.
  std::set<std::string> unfinished;
  bool progressed = ReadGoneFiles(now, &unfinished);
  if (ReadPresentFiles(unfinished)) progressed = true;
  return progressed;
}

void Tailer::Reconcile(const std::map<FileId, std::string>& present,
                       const std::map<FileId, std::uint64_t>& sizes, Clock::time_point now) {
  for (auto& [id, f] : files_) {
    if (!f.gone && present.count(id) == 0) {
      f.gone = true;
      f.last_activity = now;
      dirty_ = true;
      handler_->OnRotation();
    }
  }
  for (const auto& [id, path] : present) {
    auto it = files_.find(id);
    if (it != files_.end()) {
      // Renamed within the glob (app.log -> app.log.1 with a glob app.log*): the same file,
      // still followed, under its new name.
      if (it->second.path != path && !it->second.gone) handler_->OnRotation();
      it->second.path = path;
      it->second.gone = false;
      continue;
    }
    // The size from the directory read's own stat, which named this inode: a second stat of
    // the path could see its successor after a rename, whose size would be taken for a
    // truncation of this file (its saved position dropped and its lines counted again).
    TrackedFile f(options_.max_line_bytes);
    f.path = path;
    f.offset = InitialOffset(id, path, sizes.at(id));
    f.last_activity = now;
    files_.emplace(id, std::move(f));
    dirty_ = true;
  }
  first_pass_ = false;
  if (!saved_.empty() && ++passes_since_load_ >= 2 && now - loaded_at_ >= options_.rotate_wait) {
    spdlog::debug("log {}: {} file(s) of the state file no longer found; forgetting them",
                  options_.name, saved_.size());
    saved_.clear();
    dirty_ = true;
  }
}

bool Tailer::ReadGoneFiles(Clock::time_point now, std::set<std::string>* unfinished) {
  bool progressed = false;
  for (auto it = files_.begin(); it != files_.end();) {
    TrackedFile& f = it->second;
    if (!f.gone) {
      ++it;
      continue;
    }
    if (f.fd < 0) {
      // Never opened (unreadable, or renamed between our look and our open). It may show up
      // again under another name of the glob: keep its position for a while, so that it is
      // not then taken for a new file and read again from 0.
      it = now - f.last_activity >= options_.rotate_wait ? files_.erase(it) : std::next(it);
      continue;
    }
    ReadResult r = ReadAvailable(f);
    if (r.bytes > 0) {
      progressed = true;
      f.last_activity = now;
    }
    struct stat st {};
    bool deleted = ::fstat(f.fd, &st) == 0 && st.st_nlink == 0;
    bool idle = r.bytes == 0 && now - f.last_activity >= options_.rotate_wait;
    if (r.eof && (deleted || idle)) {
      CloseFile(f);
      it = files_.erase(it);
      continue;
    }
    // At its end but kept open: a late writer may still append (rotate_wait).
    if (!r.eof) unfinished->insert(f.path);
    ++it;
  }
  return progressed;
}

bool Tailer::ReadPresentFiles(const std::set<std::string>& unfinished) {
  bool progressed = false;
  for (auto& [id, f] : files_) {
    if (f.gone || worker_.stopping()) continue;
    if (f.fd < 0 && !TryOpen(f, id)) continue;
    if (unfinished.count(f.path) > 0 && !worker_.stopping()) {
      progressed = true;  // come back at once: the old file still has lines to give
      continue;
    }
    struct stat st {};
    if (::fstat(f.fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) < f.offset) {
      // copytruncate: the writer starts over at 0.
      handler_->OnTruncation();
      f.lines.Reset();
      f.offset = 0;
      dirty_ = true;
      if (::lseek(f.fd, 0, SEEK_SET) < 0) {
        CloseFile(f);
        continue;
      }
    }
    if (ReadAvailable(f).bytes > 0) progressed = true;
  }
  return progressed;
}

}  // namespace thoth::logs

#include "collectors/logs/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>

namespace thoth::logs {

namespace {

constexpr std::string_view kHeader = "thoth-log-positions 1";
constexpr std::string_view kJournalHeader = "thoth-journal-position 1";
// A state file is a few lines per followed file; anything far bigger is not ours.
constexpr std::size_t kMaxStateBytes = 16 << 20;

bool ParseU64(std::string_view* text, std::uint64_t* out) {
  const char* begin = text->data();
  const char* end = begin + text->size();
  auto [p, ec] = std::from_chars(begin, end, *out);
  if (ec != std::errc() || p == begin) return false;
  text->remove_prefix(static_cast<std::size_t>(p - begin));
  if (text->empty() || text->front() != ' ') return false;
  text->remove_prefix(1);
  return true;
}

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

std::uint64_t Fingerprint(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::string FormatPositions(const std::vector<FilePosition>& positions) {
  std::string out(kHeader);
  out += '\n';
  for (const auto& p : positions) {
    out += std::to_string(p.device) + ' ' + std::to_string(p.inode) + ' ' +
           std::to_string(p.offset) + ' ';
    if (p.fingerprint_bytes > 0) {
      out +=
          "fp=" + std::to_string(p.fingerprint_bytes) + ':' + std::to_string(p.fingerprint) + ' ';
    }
    // A path with a newline would break the line format; it is informational only.
    for (char c : p.path) out += (c == '\n' || c == '\r') ? '?' : c;
    out += '\n';
  }
  return out;
}

bool ParsePositions(std::string_view text, std::vector<FilePosition>* out) {
  out->clear();
  std::size_t nl = text.find('\n');
  if (text.substr(0, nl) != kHeader) return false;
  text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  while (!text.empty()) {
    nl = text.find('\n');
    if (nl == std::string_view::npos) return false;  // a torn last line
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    FilePosition p;
    if (!ParseU64(&line, &p.device) || !ParseU64(&line, &p.inode) || !ParseU64(&line, &p.offset)) {
      return false;
    }
    if (line.substr(0, 3) == "fp=") {
      std::string_view fp = line.substr(3);
      const char* b = fp.data();
      const char* e = b + fp.size();
      auto [q, ec] = std::from_chars(b, e, p.fingerprint_bytes);
      if (ec != std::errc() || q == b || q == e || *q != ':') return false;
      const char* h = q + 1;
      auto [r, ec2] = std::from_chars(h, e, p.fingerprint);
      if (ec2 != std::errc() || r == h || r == e || *r != ' ') return false;
      line.remove_prefix(static_cast<std::size_t>(r + 1 - line.data()));
    }
    p.path = std::string(line);
    out->push_back(std::move(p));
  }
  return true;
}

// Reads a whole state file. Ok with *exists=false when it does not exist yet.
static Status ReadStateText(const std::string& path, std::string* text, bool* exists) {
  text->clear();
  *exists = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::Error("cannot open state file " + path + ": " + ErrnoText());
  }
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string err = ErrnoText();
      ::close(fd);
      return Status::Error("cannot read state file " + path + ": " + err);
    }
    if (n == 0) break;
    text->append(buf, static_cast<std::size_t>(n));
    if (text->size() > kMaxStateBytes) {
      ::close(fd);
      return Status::Error("state file " + path + " is too large");
    }
  }
  ::close(fd);
  *exists = true;
  return Status::Ok();
}

Status LoadPositions(const std::string& path, std::vector<FilePosition>* out, bool* exists) {
  out->clear();
  std::string text;
  Status s = ReadStateText(path, &text, exists);
  if (!s.ok() || !*exists) return s;
  *exists = false;
  if (!ParsePositions(text, out)) {
    out->clear();
    return Status::Error("state file " + path + " is malformed; ignoring it");
  }
  *exists = true;
  return Status::Ok();
}

// Writes a state file atomically (see SavePositions).
static Status WriteStateText(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error("cannot write state file " + tmp + ": " + ErrnoText());
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string err = ErrnoText();
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::Error("cannot write state file " + tmp + ": " + err);
    }
    done += static_cast<std::size_t>(n);
  }
  int synced = ::fsync(fd);
  std::string err = synced == 0 ? "" : ErrnoText();
  if (::close(fd) != 0 && synced == 0) {
    synced = -1;
    err = ErrnoText();
  }
  if (synced != 0) {
    ::unlink(tmp.c_str());
    return Status::Error("cannot write state file " + tmp + ": " + err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = ErrnoText();
    ::unlink(tmp.c_str());
    return Status::Error("cannot rename " + tmp + " to " + path + ": " + err);
  }
  return Status::Ok();
}

Status SavePositions(const std::string& path, const std::vector<FilePosition>& positions) {
  return WriteStateText(path, FormatPositions(positions));
}

std::string FormatJournalPosition(const JournalPosition& position) {
  std::string out(kJournalHeader);
  out += '\n';
  if (!position.cursor.empty()) {
    out += "cursor ";
    for (char c : position.cursor) out += (c == '\n' || c == '\r') ? '?' : c;
    out += '\n';
  }
  out += "realtime " + std::to_string(position.realtime_usec) + '\n';
  return out;
}

bool ParseJournalPosition(std::string_view text, JournalPosition* out) {
  *out = JournalPosition{};
  std::size_t nl = text.find('\n');
  if (nl == std::string_view::npos || text.substr(0, nl) != kJournalHeader) return false;
  text.remove_prefix(nl + 1);
  bool have_realtime = false;
  while (!text.empty()) {
    nl = text.find('\n');
    if (nl == std::string_view::npos) return false;  // a torn last line
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.substr(0, 7) == "cursor ") {
      out->cursor = std::string(line.substr(7));
      // A journal cursor never holds CR (FormatJournalPosition writes one as '?'): a saved
      // position with one was not written by us.
      if (out->cursor.empty() || out->cursor.find('\r') != std::string::npos) return false;
    } else if (line.substr(0, 9) == "realtime ") {
      std::string_view v = line.substr(9);
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out->realtime_usec);
      if (ec != std::errc() || p != v.data() + v.size() || v.empty()) return false;
      have_realtime = true;
    } else {
      return false;
    }
  }
  return have_realtime;
}

Status LoadJournalPosition(const std::string& path, JournalPosition* out, bool* exists) {
  *out = JournalPosition{};
  std::string text;
  Status s = ReadStateText(path, &text, exists);
  if (!s.ok() || !*exists) return s;
  if (!ParseJournalPosition(text, out)) {
    *exists = false;
    *out = JournalPosition{};
    return Status::Error("state file " + path + " is malformed; ignoring it");
  }
  return Status::Ok();
}

Status SaveJournalPosition(const std::string& path, const JournalPosition& position) {
  return WriteStateText(path, FormatJournalPosition(position));
}

namespace {
std::mutex g_state_mu;
std::condition_variable g_state_cv;
std::set<std::string> g_state_in_use;
}  // namespace

bool AcquireStateFile(const std::string& path, const std::atomic<bool>& stop) {
  std::unique_lock<std::mutex> lock(g_state_mu);
  while (g_state_in_use.count(path) > 0) {
    if (stop.load()) return false;
    g_state_cv.wait_for(lock, std::chrono::milliseconds(50));
  }
  g_state_in_use.insert(path);
  return true;
}

void ReleaseStateFile(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(g_state_mu);
    g_state_in_use.erase(path);
  }
  g_state_cv.notify_all();
}

}  // namespace thoth::logs

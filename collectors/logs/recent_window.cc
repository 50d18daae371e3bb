#include "collectors/logs/recent_window.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <vector>

#include "collectors/logs/log_time.h"
#include "collectors/logs/tailer.h"

namespace thoth::logs {

namespace {

constexpr std::size_t kChunkBytes = 64 << 10;

// Finds the time of the first timed line of a stretch, then asks the reader to stop.
class FirstTime : public LineHandler {
 public:
  explicit FirstTime(const LineTimeFn& time_of) : time_of_(time_of) {}
  void OnLine(std::string_view line) override {
    if (!time) time = time_of_(line);
  }
  void OnOverlongLine() override {}
  void OnRotation() override {}
  void OnTruncation() override {}
  void Flush() override {}
  std::optional<std::int64_t> time;

 private:
  const LineTimeFn& time_of_;
};

// Feeds the complete lines of fd's bytes [from, to) to handler, in chunks. When from > 0 the
// line cut by `from` is skipped: reading starts one byte early so that a line starting exactly at
// `from` is kept. `stop` is asked after each chunk. Returns the bytes read.
std::uint64_t FeedLines(int fd, std::uint64_t from, std::uint64_t to, std::size_t max_line_bytes,
                        std::vector<char>& buffer, LineHandler& handler,
                        const std::function<bool()>& stop) {
  LineAssembler lines(max_line_bytes);
  bool skipping = from > 0;
  std::uint64_t pos = skipping ? from - 1 : 0;
  std::uint64_t total = 0;
  while (pos < to) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), to - pos));
    ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(pos));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
    pos += static_cast<std::uint64_t>(n);
    total += static_cast<std::uint64_t>(n);
    if (skipping) {
      std::size_t nl = chunk.find('\n');
      if (nl == std::string_view::npos) continue;
      chunk.remove_prefix(nl + 1);
      skipping = false;
    }
    lines.Feed(chunk, handler);
    handler.Flush();
    if (stop && stop()) break;
  }
  return total;
}

}  // namespace

LineTimeFn MakeLineTimeFn(LogFormat format, const NginxLineParser* parser,
                          std::int64_t utc_offset_seconds) {
  if (format == LogFormat::kNginx) {
    if (parser == nullptr) return [](std::string_view) { return std::optional<std::int64_t>(); };
    NginxLineParser copy = *parser;
    return [copy, utc_offset_seconds](std::string_view line) -> std::optional<std::int64_t> {
      AccessRecord rec;
      if (copy.Parse(line, &rec)) {
        if (auto t = AccessRecordTime(rec, utc_offset_seconds)) return t;
      }
      // A line that does not follow the format (nginx's format was changed, say) is still
      // placed in time when it carries one, so that recent unparsed lines count as recent.
      if (auto t = FindBracketedLocalTime(line)) return t;
      return FindLineTime(line, utc_offset_seconds);
    };
  }
  return [utc_offset_seconds](std::string_view line) {
    return FindLineTime(line, utc_offset_seconds);
  };
}

WindowFilter::WindowFilter(LineHandler* inner, LineTimeFn time_of, std::int64_t cutoff,
                           bool leading)
    : inner_(inner), time_of_(std::move(time_of)), cutoff_(cutoff), in_window_(leading) {}

void WindowFilter::OnLine(std::string_view line) {
  std::optional<std::int64_t> t = time_of_(line);
  if (t) {
    in_window_ = *t >= cutoff_;
    if (in_window_ && (!oldest_ || *t < *oldest_)) oldest_ = t;
  }
  if (!in_window_) return;
  ++counted_;
  inner_->OnLine(line);
}

void WindowFilter::OnOverlongLine() {
  if (!in_window_) return;
  ++counted_;
  inner_->OnOverlongLine();
}

WindowResult ReadRecentWindow(const WindowOptions& options, const LineTimeFn& time_of,
                              LineHandler& handler) {
  WindowResult result;
  const std::int64_t cutoff = options.now - options.window.count();
  std::vector<std::string> paths;
  glob_t g{};
  if (::glob(options.glob.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);

  std::vector<char> buffer(kChunkBytes);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;  // (device, inode): hard links
  for (const std::string& path : paths) {
    if (IsCompressedLogFile(path)) continue;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st {};
    if (fd < 0) {
      // Unreadable: still a file of the log, as the tailer counts it.
      if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) ++result.files;
      continue;
    }
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      continue;
    }
    std::pair<std::uint64_t, std::uint64_t> id{static_cast<std::uint64_t>(st.st_dev),
                                               static_cast<std::uint64_t>(st.st_ino)};
    bool duplicate = false;
    for (const auto& s : seen) duplicate = duplicate || s == id;
    if (duplicate) {
      ::close(fd);
      continue;
    }
    seen.push_back(id);
    ++result.files;
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (static_cast<std::int64_t>(st.st_mtime) < cutoff || size == 0) {
      ::close(fd);  // not written to within the window
      continue;
    }
    const std::uint64_t from = size > options.max_bytes ? size - options.max_bytes : 0;
    // Where the window starts among lines without a time: with the first timed line's verdict.
    FirstTime first(time_of);
    result.bytes_read += FeedLines(fd, from, size, options.max_line_bytes, buffer, first,
                                   [&first] { return first.time.has_value(); });
    bool leading = !first.time || *first.time >= cutoff;
    if (from > 0 && first.time && *first.time >= cutoff) result.cut_short = true;
    WindowFilter filter(&handler, time_of, cutoff, leading);
    result.bytes_read += FeedLines(fd, from, size, options.max_line_bytes, buffer, filter, nullptr);
    ::close(fd);
    result.lines_counted += filter.lines_counted();
    if (filter.oldest() && (!result.oldest || *filter.oldest() < *result.oldest)) {
      result.oldest = filter.oldest();
    }
  }
  handler.OnFilesFollowed(result.files);
  return result;
}

std::int64_t LocalUtcOffset(std::int64_t now) {
  auto t = static_cast<std::time_t>(now);
  struct tm local {};
  if (::localtime_r(&t, &local) == nullptr) return 0;
  return local.tm_gmtoff;
}

}  // namespace thoth::logs

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "collectors/logs/line_assembler.h"
#include "collectors/logs/log_counters.h"

namespace thoth::logs {

// `exporter --once` judges a log by its recent past, not from its end (where nothing has been
// written yet): the lines of the last kOnceWindow, by the time each line carries, read back from
// the end of each file, at most kOnceWindowMaxBytes per file.
inline constexpr std::chrono::seconds kOnceWindow{300};
// 16 MiB is ~130,000 access lines of 128 bytes, five minutes of 430 requests a second; a whole
// `--once` reading that much takes 0.1 s on this project's 2-core machine. A busier log is
// judged on its newest 16 MiB, and the report says so.
inline constexpr std::uint64_t kOnceWindowMaxBytes = 16 << 20;

// The time a line was written (unix seconds), or nullopt when the line carries none.
using LineTimeFn = std::function<std::optional<std::int64_t>(std::string_view line)>;

// The time of a line of a log of this format: $time_local (or $time_iso8601, $msec) of an nginx
// line as parser reads it (parser required for kNginx), else, for a line the parser rejects, a
// bracketed $time_local or an ISO 8601 time in it; an ISO 8601 time near the start of an
// error_codes line (see FindLineTime). Zone-less times are at utc_offset_seconds east of UTC.
LineTimeFn MakeLineTimeFn(LogFormat format, const NginxLineParser* parser,
                          std::int64_t utc_offset_seconds);

// Forwards to `inner` the lines written at or after `cutoff` (unix seconds) and drops the
// others. A line without a time goes with the timed line before it (a traceback with its
// message); lines before the first timed line go with `leading`. Overlong lines go with the
// line before them. Rotations and truncations are not forwarded (a window reads no history).
class WindowFilter : public LineHandler {
 public:
  WindowFilter(LineHandler* inner, LineTimeFn time_of, std::int64_t cutoff, bool leading);

  void OnLine(std::string_view line) override;
  void OnOverlongLine() override;
  void OnRotation() override {}
  void OnTruncation() override {}
  void Flush() override { inner_->Flush(); }

  std::uint64_t lines_counted() const { return counted_; }
  // The oldest time among the lines forwarded.
  std::optional<std::int64_t> oldest() const { return oldest_; }

 private:
  LineHandler* inner_;
  LineTimeFn time_of_;
  std::int64_t cutoff_;
  bool in_window_;
  std::uint64_t counted_ = 0;
  std::optional<std::int64_t> oldest_;
};

struct WindowOptions {
  std::string glob;      // the log's path, as the tailer follows it
  std::int64_t now = 0;  // unix seconds
  std::chrono::seconds window = kOnceWindow;
  std::uint64_t max_bytes = kOnceWindowMaxBytes;  // per file, read back from its end
  std::size_t max_line_bytes = 65536;
};

// What ReadRecentWindow read.
struct WindowResult {
  std::size_t files = 0;  // regular, uncompressed files matching the glob
  std::uint64_t bytes_read = 0;
  std::uint64_t lines_counted = 0;
  // Some file's window reaches further back than max_bytes: only its newest max_bytes were
  // judged (from `oldest` on).
  bool cut_short = false;
  std::optional<std::int64_t> oldest;  // the oldest time among the lines counted
};

// Reads the recent window of every file matching options.glob (the files the tailer would
// follow: regular, not compressed) and hands its lines to `handler`, then the number of files
// to OnFilesFollowed. Per file: a file last modified before the window holds none of it and is not
// read; otherwise its last max_bytes are read (from the start of the first complete line), lines
// older than now - window are skipped, and lines without a time are judged by position (see
// WindowFilter; a file without any timed line counts whole). The last line counts only when its
// newline is written. Unreadable files are skipped. Runs on the caller's thread; memory is one
// 64 KiB buffer and at most max_line_bytes.
WindowResult ReadRecentWindow(const WindowOptions& options, const LineTimeFn& time_of,
                              LineHandler& handler);

// Seconds east of UTC of this machine's local time at `now` (unix seconds).
std::int64_t LocalUtcOffset(std::int64_t now);

}  // namespace thoth::logs

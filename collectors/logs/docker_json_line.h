#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/logs/line_assembler.h"

namespace thoth::logs {

// One record of Docker's json-file log driver, e.g.
//   {"log":"MEM-001 connection timeout\n","stream":"stdout","time":"2026-12-07T10:00:00Z"}
struct DockerJsonRecord {
  std::string_view log;     // the decoded `log` field (points into the decoder's buffer)
  std::string_view stream;  // "stdout", "stderr" or "" (raw: Docker never escapes it)
};

// Decodes json-file records without allocating per line: the `log` string is unescaped into a
// buffer that is reused. Hostile input is bounded: a record whose decoded `log` would exceed
// max_log_bytes is cut there (and reported as truncated), invalid JSON is refused, and invalid
// UTF-8 is passed through as the bytes it is (the parsers look for ASCII codes only).
class DockerJsonDecoder {
 public:
  explicit DockerJsonDecoder(std::size_t max_log_bytes) : max_(max_log_bytes) {}

  // False when `line` is not one JSON object with a string `log` field.
  bool Decode(std::string_view line, DockerJsonRecord* out);
  // The last Decode() cut the `log` field at max_log_bytes.
  bool truncated() const { return truncated_; }

 private:
  std::size_t max_;
  std::string buf_;
  bool truncated_ = false;
};

// The LineHandler between the file tailer and the counters for a Docker container: the tailer
// cuts the json-file into records (one a line), this decodes each record's `log` field and
// hands the log's own lines on. Docker splits lines longer than 16 KiB into records without a
// trailing "\n"; they are joined per stream (up to max_line_bytes, else the line is reported
// overlong).
// A line that is not a json-file record is handed on as it is: its codes still count.
class DockerJsonHandler : public LineHandler {
 public:
  // `stream` "stdout" or "stderr": only that stream's records; "" = both.
  DockerJsonHandler(LineHandler* next, std::size_t max_line_bytes, std::string stream = "");

  void OnLine(std::string_view line) override;
  void OnOverlongLine() override;
  void OnRotation() override { next_->OnRotation(); }
  void OnTruncation() override;
  void Flush() override { next_->Flush(); }

  std::uint64_t malformed() const { return malformed_; }

 private:
  struct Pending {
    std::string partial;
    bool skipping = false;
  };
  void Emit(Pending& p, std::string_view piece, bool complete);
  void ResetAll();

  LineHandler* next_;
  std::size_t max_;
  std::string stream_;
  DockerJsonDecoder decoder_;
  std::array<Pending, 2> pending_;  // stdout (and any other), stderr
  std::uint64_t malformed_ = 0;
};

}  // namespace thoth::logs

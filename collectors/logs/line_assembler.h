#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace thoth::logs {

// Receives what a followed log yields. Called from the one thread that reads the log.
class LineHandler {
 public:
  virtual ~LineHandler() = default;
  // One complete line, without its newline.
  virtual void OnLine(std::string_view line) = 0;
  // A line longer than max_line_bytes, skipped (counted once its newline arrives).
  virtual void OnOverlongLine() = 0;
  // A followed file left its path (renamed or deleted).
  virtual void OnRotation() = 0;
  // A followed file shrank below the read position (copytruncate); reading restarts at 0.
  virtual void OnTruncation() = 0;
  // After each chunk read: a moment to publish counts batched per line.
  virtual void Flush() = 0;
  // After each look for the log's files: how many it follows now (0: its path matches nothing).
  virtual void OnFilesFollowed(std::size_t files) { (void)files; }
};

// Cuts a byte stream into lines. Complete lines inside a chunk are handed over in place (no
// copy); only the incomplete last line is kept until its newline arrives, and at most
// max_line_bytes of it: a longer line is skipped as it streams by, so memory stays bounded
// whatever the input.
class LineAssembler {
 public:
  explicit LineAssembler(std::size_t max_line_bytes) : max_(max_line_bytes) {}

  void Feed(std::string_view chunk, LineHandler& handler);
  // Forgets the incomplete line (the file was truncated or replaced).
  void Reset();
  // Bytes of the incomplete line received so far (kept or being skipped): the reader's
  // position minus this is where the first uncounted line starts.
  std::uint64_t pending_bytes() const { return skipping_ ? skipped_ : partial_.size(); }

 private:
  std::size_t max_;
  std::string partial_;
  bool skipping_ = false;
  std::uint64_t skipped_ = 0;
};

}  // namespace thoth::logs

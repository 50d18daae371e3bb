#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/status.h"

namespace thoth::logs {

// Where reading stopped in one file. A file is known by device and inode, not by name, so that
// a rotated file (renamed) is never taken for its successor.
struct FilePosition {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t offset = 0;  // start of the first line not yet counted
  std::string path;          // for a person reading the file; not used to match
  // The file's first bytes (up to kFingerprintBytes, never past offset): a file whose inode was
  // freed and reused by a new file while nobody read (Docker deletes its oldest rotated log) is
  // told apart by them. 0 bytes: not known (read as a match).
  std::uint64_t fingerprint_bytes = 0;
  std::uint64_t fingerprint = 0;
};

inline constexpr std::uint64_t kFingerprintBytes = 256;
// FNV-1a of a file's first bytes.
std::uint64_t Fingerprint(std::string_view bytes);

// Text form, one file a line after a version header:
//   thoth-log-positions 1
//   <device> <inode> <offset> [fp=<bytes>:<hash> ]<path>
// (the fingerprint is optional: a reader that does not know it takes it as part of the path,
// which is informational only)
std::string FormatPositions(const std::vector<FilePosition>& positions);
// Parses the text form. False on any malformed line (the caller then starts as if there were no
// state file, rather than trusting half of one).
bool ParsePositions(std::string_view text, std::vector<FilePosition>* out);

// Reads a state file. Ok with *exists=false when it does not exist yet.
Status LoadPositions(const std::string& path, std::vector<FilePosition>* out, bool* exists);
// Writes a state file atomically: a temporary file in the same directory, fsync, rename. A
// crash leaves either the old or the new content, never a mix.
Status SavePositions(const std::string& path, const std::vector<FilePosition>& positions);

// Where reading stopped in a systemd journal: the cursor of the last entry counted, or, before
// the first entry, when following began (entries from then on are new). Text form:
//   thoth-journal-position 1
//   cursor <cursor>        (absent before the first entry)
//   realtime <usec>
struct JournalPosition {
  std::string cursor;
  std::uint64_t realtime_usec = 0;
};
std::string FormatJournalPosition(const JournalPosition& position);
bool ParseJournalPosition(std::string_view text, JournalPosition* out);
Status LoadJournalPosition(const std::string& path, JournalPosition* out, bool* exists);
Status SaveJournalPosition(const std::string& path, const JournalPosition& position);

// One state file serves one log source at a time in this process, whatever its kind (files,
// Docker, journal): on a reload the new source of a log waits until the old one has written its
// final position. Acquire waits (polling `stop` every 50 ms) and returns false when stopped
// first; every successful Acquire is paired with one Release.
bool AcquireStateFile(const std::string& path, const std::atomic<bool>& stop);
void ReleaseStateFile(const std::string& path);

}  // namespace thoth::logs

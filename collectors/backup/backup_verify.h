#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "exporter/status.h"

namespace thoth {

// How a backup file is checked. kAuto picks by the name: `.dump` is a pg_dump custom-format
// archive, `.tar.gz` / `.tgz` a gzip-compressed tar; any other name is not verified.
enum class BackupFormat { kAuto, kPgDump, kTarGz, kNone };

// Parses "auto" | "pg_dump" | "tar_gz" | "none"; false for anything else.
bool ParseBackupFormat(std::string_view text, BackupFormat* out);
// The format kAuto means for `path` (kNone when the name says nothing).
BackupFormat FormatForPath(const std::string& path, BackupFormat configured);

// Bytes to verify, read front to back once. Read() fills up to `n` bytes and gives how many, 0 at
// the end; an error Status on an I/O error, its message saying what failed (the verdict's detail
// is "read failed: " and that message).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual StatusOr<std::size_t> Read(unsigned char* buf, std::size_t n) = 0;
};

// A source over bytes in memory (tests, fuzzing).
class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  StatusOr<std::size_t> Read(unsigned char* buf, std::size_t n) override;

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

// The verdict on one file.
struct VerifyResult {
  bool ok = false;
  // On failure a short, fixed code (a label value: bounded set): empty, io_error, bad_magic,
  // unsupported_version, not_custom_format, bad_header, bad_toc, bad_data_block, truncated,
  // crc_mismatch, length_mismatch, bad_deflate, trailing_garbage, bad_tar_header,
  // missing_end_of_archive, changed_during_verification, cancelled.
  std::string reason;
  std::string detail;         // a sentence for the log: what was wrong, at which byte
  std::int64_t entries = -1;  // pg_dump: TOC entries; tar: archive members (not pax/long-name)
  std::uint64_t bytes_read = 0;
};

// Checks a pg_dump custom-format archive (`pg_dump --format=custom`) as `pg_restore --list`
// reads it, and further: "PGDMP", archive version 1.7 to 1.16, integer and offset sizes, format
// byte 1 (custom), compression, creation time, database and server/pg_dump versions, then every
// table-of-contents entry (ids, section, strings, dependencies, data offset), then walks every
// data block to the end of the file (block type, owning entry id, chunk lengths), so that a
// truncated or overwritten file fails. Memory stays bounded whatever the input: strings are
// skipped, not stored. `cancel` (may be null) is polled and stops the walk with "cancelled".
VerifyResult VerifyPgDump(ByteSource& in, const std::atomic<bool>* cancel = nullptr);

// Reads a gzip-compressed tar to its end with zlib: every gzip member's CRC-32 and ISIZE (as
// zlib's inflate checks them), no bytes after the last member; then the tar inside: 512-byte
// headers with valid checksums and sizes (octal or base-256), each member's data blocks, and the
// two zero blocks that end the archive (only zeros after them). Bounded memory (fixed buffers).
VerifyResult VerifyTarGz(ByteSource& in, const std::atomic<bool>* cancel = nullptr);

// Opens `path` and runs the verifier of `format` (kPgDump or kTarGz; kAuto resolved by name).
// kNone, or kAuto on a name that says nothing, is ok with no entries. A file that cannot be
// opened or read is "io_error".
VerifyResult VerifyBackupFile(const std::string& path, BackupFormat format,
                              const std::atomic<bool>* cancel = nullptr);

}  // namespace thoth

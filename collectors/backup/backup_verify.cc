#include "collectors/backup/backup_verify.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <new>
#include <optional>
#include <utility>
#include <vector>

namespace thoth {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

// Why a file fails verification: the reason label (VerifyResult::reason) and the sentence for the
// log. The check that finds it returns it, every step above returns it in turn as soon as it sees
// it, and the verifier's entry point makes it the verdict: nothing is read after a failure.
struct Failure {
  std::string reason;
  std::string detail;
};

// A step of a verification: ok, or the Failure that ends it. Status's shape, with room for the
// reason label that a Status does not have.
class [[nodiscard]] Step {
 public:
  Step() = default;
  Step(Failure failure) : failure_(std::move(failure)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !failure_.has_value(); }
  // Only when !ok().
  const Failure& failure() const { return *failure_; }

 private:
  std::optional<Failure> failure_;
};

// A step that gives a value: a T, or the Failure that ends the verification (StatusOr's shape).
// The Ts here are numbers and flags, kept by value.
template <typename T>
class [[nodiscard]] StepOr {
 public:
  StepOr(T value) : value_(value) {}                         // NOLINT(google-explicit-constructor)
  StepOr(Failure failure) : failure_(std::move(failure)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !failure_.has_value(); }
  // Only when ok().
  T operator*() const { return value_; }
  // Only when !ok().
  const Failure& failure() const { return *failure_; }

 private:
  T value_{};
  std::optional<Failure> failure_;
};

bool Cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

// Buffered front-to-back reader over a ByteSource, counting the bytes consumed. Each refill of
// the buffer may fail: "cancelled" (polled there) or "io_error".
class Reader {
 public:
  Reader(ByteSource& in, const std::atomic<bool>* cancel) : in_(in), cancel_(cancel) {
    buf_.resize(kChunk);
  }

  std::uint64_t pos() const { return consumed_; }

  // Next byte, or -1 at the end of the input.
  StepOr<int> Peek() {
    StepOr<bool> more = Fill();
    if (!more.ok()) return more.failure();
    return *more ? buf_[head_] : -1;
  }

  StepOr<bool> AtEnd() {
    StepOr<bool> more = Fill();
    if (!more.ok()) return more.failure();
    return !*more;
  }

  StepOr<unsigned char> Byte(const char* what) {
    StepOr<bool> more = Fill();
    if (!more.ok()) return more.failure();
    if (!*more) return Truncated(what);
    ++consumed_;
    return buf_[head_++];
  }

  // Skips n bytes, keeping up to `keep` of them in *kept (when kept is not null).
  Step Skip(std::uint64_t n, const char* what, std::string* kept = nullptr, std::size_t keep = 0) {
    while (n > 0) {
      StepOr<bool> more = Fill();
      if (!more.ok()) return more.failure();
      if (!*more) return Truncated(what);
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(n, tail_ - head_));
      if (kept != nullptr && kept->size() < keep) {
        kept->append(reinterpret_cast<const char*>(&buf_[head_]),
                     std::min(take, keep - kept->size()));
      }
      head_ += take;
      consumed_ += take;
      n -= take;
    }
    return {};
  }

  // Reads up to n bytes into dst; fewer only at the end of the input.
  StepOr<std::size_t> Take(unsigned char* dst, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      StepOr<bool> more = Fill();
      if (!more.ok()) return more.failure();
      if (!*more) break;
      std::size_t take = std::min(n - got, tail_ - head_);
      std::memcpy(dst + got, &buf_[head_], take);
      head_ += take;
      consumed_ += take;
      got += take;
    }
    return got;
  }

  // The input ended inside `what`.
  Failure Truncated(const char* what) const {
    return {"truncated",
            std::string("file ends inside ") + what + " at byte " + std::to_string(consumed_)};
  }

 private:
  // Whether a byte is buffered, refilling the buffer when it is empty.
  StepOr<bool> Fill() {
    if (head_ < tail_) return true;
    if (eof_) return false;
    if (Cancelled(cancel_)) return Failure{"cancelled", "verification was cancelled"};
    StatusOr<std::size_t> got = in_.Read(buf_.data(), buf_.size());
    if (!got.ok()) return Failure{"io_error", "read failed: " + got.status().message()};
    head_ = 0;
    tail_ = *got;
    if (*got == 0) eof_ = true;
    return *got > 0;
  }

  ByteSource& in_;
  const std::atomic<bool>* cancel_;
  std::vector<unsigned char> buf_;
  std::size_t head_ = 0;
  std::size_t tail_ = 0;
  std::uint64_t consumed_ = 0;
  bool eof_ = false;
};

// ---------------------------------------------------------------- pg_dump custom format

constexpr int Version(int major, int minor, int rev) { return (major * 256 + minor) * 256 + rev; }
constexpr int kVers1_3 = Version(1, 3, 0);
constexpr int kVers1_4 = Version(1, 4, 0);
constexpr int kVers1_5 = Version(1, 5, 0);
constexpr int kVers1_6 = Version(1, 6, 0);
constexpr int kVers1_7 = Version(1, 7, 0);
constexpr int kVers1_8 = Version(1, 8, 0);
constexpr int kVers1_9 = Version(1, 9, 0);
constexpr int kVers1_10 = Version(1, 10, 0);
constexpr int kVers1_11 = Version(1, 11, 0);
constexpr int kVers1_14 = Version(1, 14, 0);
constexpr int kVers1_15 = Version(1, 15, 0);
constexpr int kVers1_16 = Version(1, 16, 0);
constexpr int kVersMax = Version(1, 16, 255);

constexpr int kArchCustom = 1;
constexpr int kOffsetPosNotSet = 1;
constexpr int kOffsetPosSet = 2;
constexpr int kOffsetNoData = 3;
constexpr int kBlkData = 1;
constexpr int kBlkBlobs = 3;

class PgDumpParser {
 public:
  explicit PgDumpParser(Reader& r) : r_(r) {}

  // The archive's TOC entry count once the whole file checks out.
  StepOr<std::int64_t> Run() {
    if (Step head = ReadHead(); !head.ok()) return head.failure();
    StepOr<std::int64_t> entries = ReadToc();
    if (!entries.ok()) return entries;
    if (Step data = WalkData(); !data.ok()) return data.failure();
    return entries;
  }

 private:
  // A failure found at the current byte, which the detail ends with.
  Failure FailureHere(const std::string& reason, const std::string& detail) const {
    return {reason, detail + " (byte " + std::to_string(r_.pos()) + ")"};
  }

  // pg_backup_archiver.c ReadInt: a sign byte, then int_size_ bytes, least significant first.
  StepOr<std::int64_t> Int(const char* what) {
    StepOr<unsigned char> sign_byte = r_.Byte(what);
    if (!sign_byte.ok()) return sign_byte.failure();
    int sign = *sign_byte;
    std::uint64_t value = 0;
    for (int i = 0; i < int_size_; ++i) {
      StepOr<unsigned char> byte = r_.Byte(what);
      if (!byte.ok()) return byte.failure();
      std::uint64_t b = *byte;
      if (b != 0 && i >= 4) {
        return FailureHere(reason_, std::string(what) + " does not fit in 32 bits");
      }
      value |= b << (8 * i);
    }
    if (value > 0x7fffffffULL) {
      return FailureHere(reason_, std::string(what) + " does not fit in 32 bits");
    }
    if (sign != 0 && sign != 1) {
      return FailureHere(reason_, std::string(what) + " has sign byte " + std::to_string(sign));
    }
    return sign ? -static_cast<std::int64_t>(value) : static_cast<std::int64_t>(value);
  }

  // ReadStr: a length (negative: NULL), then that many bytes. Keeps at most `keep` bytes. Gives
  // false for NULL.
  StepOr<bool> Str(const char* what, std::string* kept = nullptr, std::size_t keep = 0) {
    StepOr<std::int64_t> len = Int(what);
    if (!len.ok()) return len.failure();
    if (kept != nullptr) kept->clear();
    if (*len < 0) return false;
    if (Step skip = r_.Skip(static_cast<std::uint64_t>(*len), what, kept, keep); !skip.ok()) {
      return skip.failure();
    }
    return true;
  }

  // A string whose content is not checked.
  Step SkipStr(const char* what) {
    StepOr<bool> str = Str(what);
    if (!str.ok()) return str.failure();
    return {};
  }

  Step ReadHead() {
    reason_ = "bad_header";
    std::string magic;
    if (Step s = r_.Skip(5, "the magic \"PGDMP\"", &magic, 5); !s.ok()) return s;
    if (magic != "PGDMP") return FailureHere("bad_magic", "does not start with \"PGDMP\"");
    if (Step s = ReadVersion(); !s.ok()) return s;
    if (Step s = ReadSizesAndFormat(); !s.ok()) return s;
    if (Step s = ReadCompression(); !s.ok()) return s;
    if (version_ >= kVers1_4) {
      // struct tm of the creation time: sec, min, hour, mday, mon, year, isdst.
      static constexpr std::array<std::pair<int, int>, 7> kRanges = {
          {{0, 61}, {0, 59}, {0, 23}, {1, 31}, {0, 11}, {0, 1000}, {-1, 1}}};
      for (const auto& [lo, hi] : kRanges) {
        StepOr<std::int64_t> v = Int("the creation time");
        if (!v.ok()) return v.failure();
        if (*v < lo || *v > hi)
          return FailureHere("bad_header", "creation time field out of range");
      }
      if (Step s = SkipStr("the database name"); !s.ok()) return s;
    }
    if (version_ >= kVers1_10) {
      if (Step s = SkipStr("the server version"); !s.ok()) return s;
      if (Step s = SkipStr("the pg_dump version"); !s.ok()) return s;
    }
    return {};
  }

  // The archive version (major, minor, and a revision from 1.1 on); 1.7 to 1.16 are read.
  Step ReadVersion() {
    StepOr<unsigned char> major = r_.Byte("the version");
    if (!major.ok()) return major.failure();
    StepOr<unsigned char> minor = r_.Byte("the version");
    if (!minor.ok()) return minor.failure();
    int vmaj = *major;
    int vmin = *minor;
    int vrev = 0;
    if (vmaj > 1 || (vmaj == 1 && vmin > 0)) {
      StepOr<unsigned char> rev = r_.Byte("the version");
      if (!rev.ok()) return rev.failure();
      vrev = *rev;
    }
    version_ = Version(vmaj, vmin, vrev);
    version_text_ = std::to_string(vmaj) + "." + std::to_string(vmin) + "." + std::to_string(vrev);
    if (version_ < kVers1_7 || version_ > kVersMax) {
      return FailureHere("unsupported_version",
                         "archive version " + version_text_ + " (1.7 to 1.16 are read)");
    }
    return {};
  }

  // The integer and offset sizes, and the format, which must be custom (-Fc).
  Step ReadSizesAndFormat() {
    StepOr<unsigned char> int_size = r_.Byte("the integer size");
    if (!int_size.ok()) return int_size.failure();
    int_size_ = *int_size;
    StepOr<unsigned char> off_size = r_.Byte("the offset size");
    if (!off_size.ok()) return off_size.failure();
    off_size_ = *off_size;
    if (int_size_ < 4 || int_size_ > 8) {
      return FailureHere("bad_header",
                         "integer size " + std::to_string(int_size_) + " (4 to 8 expected)");
    }
    if (off_size_ < 4 || off_size_ > 8) {
      return FailureHere("bad_header",
                         "offset size " + std::to_string(off_size_) + " (4 to 8 expected)");
    }
    StepOr<unsigned char> format_byte = r_.Byte("the format");
    if (!format_byte.ok()) return format_byte.failure();
    int format = *format_byte;
    if (format != kArchCustom) {
      return FailureHere("not_custom_format", "archive format " + std::to_string(format) +
                                                  " is not the custom format (1) of pg_dump -Fc");
    }
    return {};
  }

  // The compression: an algorithm byte from 1.15 on, a level before.
  Step ReadCompression() {
    if (version_ >= kVers1_15) {
      StepOr<unsigned char> algorithm_byte = r_.Byte("the compression algorithm");
      if (!algorithm_byte.ok()) return algorithm_byte.failure();
      int algorithm = *algorithm_byte;
      if (algorithm > 3) {
        return FailureHere("bad_header", "compression algorithm " + std::to_string(algorithm));
      }
      return {};
    }
    StepOr<std::int64_t> level = Int("the compression level");
    if (!level.ok()) return level.failure();
    if (*level < -1 || *level > 9) {
      return FailureHere("bad_header", "compression level " + std::to_string(*level));
    }
    return {};
  }

  // The TOC entry count.
  StepOr<std::int64_t> ReadToc() {
    reason_ = "bad_toc";
    StepOr<std::int64_t> count = Int("the TOC entry count");
    if (!count.ok()) return count;
    if (*count < 0) return FailureHere("bad_toc", "negative TOC entry count");
    for (std::int64_t i = 0; i < *count; ++i) {
      StepOr<std::int64_t> id = ReadTocEntry(i);
      if (!id.ok()) return id;
      if (Step s = ReadDataOffset(*id); !s.ok()) return s.failure();
    }
    toc_end_ = r_.pos();
    return count;
  }

  // The fields of a TOC entry after its section that are read past, in file order, each from the
  // archive version that added it (pg_backup_archiver.c ReadToc).
  struct PassedField {
    int since;
    bool is_int;  // else a string
    const char* what;
  };
  static constexpr std::array<PassedField, 9> kFieldsAfterSection = {{
      {0, false, "a TOC entry's definition"},
      {0, false, "a TOC entry's drop statement"},
      {kVers1_3, false, "a TOC entry's COPY statement"},
      {kVers1_6, false, "a TOC entry's schema"},
      {kVers1_10, false, "a TOC entry's tablespace"},
      {kVers1_14, false, "a TOC entry's table access method"},
      {kVers1_16, true, "a TOC entry's relkind"},
      {0, false, "a TOC entry's owner"},
      {kVers1_9, false, "a TOC entry's WITH OIDS flag"},
  }};

  // One TOC entry (the i-th, from 0) up to its data offset; gives its dump id.
  StepOr<std::int64_t> ReadTocEntry(std::int64_t i) {
    std::string desc;
    std::string number;
    StepOr<std::int64_t> id_or = Int("a TOC entry id");
    if (!id_or.ok()) return id_or;
    std::int64_t id = *id_or;
    if (id <= 0) {
      return FailureHere("bad_toc", "entry " + std::to_string(i + 1) + " has id " +
                                        std::to_string(id) + " (perhaps a corrupt TOC)");
    }
    max_dump_id_ = std::max(max_dump_id_, id);
    StepOr<std::int64_t> had_dumper = Int("a TOC entry");
    if (!had_dumper.ok()) return had_dumper;
    if (*had_dumper != 0 && *had_dumper != 1) {
      return FailureHere("bad_toc", "entry hadDumper is not 0 or 1");
    }
    if (version_ >= kVers1_8) {
      for (int k = 0; k < 2; ++k) {  // table oid, oid: decimal strings
        StepOr<bool> present = Str("a TOC entry's catalog id", &number, 16);
        if (!present.ok()) return present.failure();
        if (!*present || number.empty() || number.size() > 10 ||
            !std::all_of(number.begin(), number.end(),
                         [](char c) { return c >= '0' && c <= '9'; })) {
          return FailureHere(
              "bad_toc", "entry " + std::to_string(id) + " has a catalog id that is not a number");
        }
      }
    }
    if (Step s = SkipStr("a TOC entry's tag"); !s.ok()) return s.failure();
    StepOr<bool> has_desc = Str("a TOC entry's description", &desc, 64);
    if (!has_desc.ok()) return has_desc.failure();
    if (!*has_desc || desc.empty()) {
      return FailureHere("bad_toc", "entry " + std::to_string(id) + " has no description");
    }
    if (version_ >= kVers1_11) {
      StepOr<std::int64_t> section = Int("a TOC entry's section");
      if (!section.ok()) return section;
      if (*section < 1 || *section > 4) {
        return FailureHere("bad_toc", "entry " + std::to_string(id) + " has unknown section " +
                                          std::to_string(*section));
      }
    }
    for (const PassedField& field : kFieldsAfterSection) {
      if (version_ < field.since) continue;
      if (field.is_int) {
        StepOr<std::int64_t> value = Int(field.what);
        if (!value.ok()) return value;
      } else if (Step s = SkipStr(field.what); !s.ok()) {
        return s.failure();
      }
    }
    if (version_ >= kVers1_5) {
      for (;;) {
        StepOr<bool> dependency = Str("a TOC entry's dependencies", &number, 16);
        if (!dependency.ok()) return dependency.failure();
        if (!*dependency) break;
      }
    }
    return id;
  }

  // pg_backup_custom.c _ReadExtraToc: where the data block of entry `id` is.
  Step ReadDataOffset(std::int64_t id) {
    StepOr<unsigned char> flag_byte = r_.Byte("a TOC entry's data offset");
    if (!flag_byte.ok()) return flag_byte.failure();
    int flag = *flag_byte;
    std::uint64_t offset = 0;
    for (int b = 0; b < off_size_; ++b) {
      StepOr<unsigned char> byte = r_.Byte("a TOC entry's data offset");
      if (!byte.ok()) return byte.failure();
      offset |= static_cast<std::uint64_t>(*byte) << (8 * b);
    }
    if (flag == kOffsetPosSet) {
      ++data_positioned_;
      max_offset_ = std::max(max_offset_, offset);
    } else if (flag == kOffsetPosNotSet) {
      ++data_unpositioned_;
    } else if (flag != kOffsetNoData) {
      return FailureHere("bad_toc", "entry " + std::to_string(id) + " has data offset flag " +
                                        std::to_string(flag));
    }
    return {};
  }

  // The data blocks after the TOC (pg_backup_custom.c): a block type, the owning entry's id,
  // then length-prefixed chunks ending with a 0 length (large objects: oid, chunks, ..., 0).
  Step WalkData() {
    reason_ = "bad_data_block";
    std::int64_t blocks = 0;
    for (;;) {
      StepOr<bool> end = r_.AtEnd();
      if (!end.ok()) return end.failure();
      if (*end) break;
      std::uint64_t at = r_.pos();
      StepOr<unsigned char> type_byte = r_.Byte("a data block");
      if (!type_byte.ok()) return type_byte.failure();
      int type = *type_byte;
      StepOr<std::int64_t> id = Int("a data block's entry id");
      if (!id.ok()) return id.failure();
      if (*id <= 0 || *id > max_dump_id_) {
        return FailureHere("bad_data_block", "data block at byte " + std::to_string(at) +
                                                 " belongs to entry " + std::to_string(*id) +
                                                 ", which is not in the TOC");
      }
      if (type == kBlkData) {
        if (Step s = Chunks(); !s.ok()) return s;
      } else if (type == kBlkBlobs) {
        for (;;) {
          StepOr<std::int64_t> oid = Int("a large object's oid");
          if (!oid.ok()) return oid.failure();
          if (*oid == 0) break;
          if (Step s = Chunks(); !s.ok()) return s;
        }
      } else {
        return FailureHere("bad_data_block", "data block at byte " + std::to_string(at) +
                                                 " has type " + std::to_string(type));
      }
      ++blocks;
    }
    if (blocks > data_positioned_ + data_unpositioned_) {
      return FailureHere("bad_data_block",
                         std::to_string(blocks) + " data blocks for " +
                             std::to_string(data_positioned_ + data_unpositioned_) +
                             " TOC entries with data");
    }
    // Entries whose data offset pg_dump wrote each have a block; fewer means a cut-off file.
    if (blocks < data_positioned_ || (data_positioned_ > 0 && max_offset_ >= r_.pos())) {
      return FailureHere("truncated", "file ends after " + std::to_string(blocks) + " of " +
                                          std::to_string(data_positioned_) + " data blocks");
    }
    if (data_positioned_ > 0 && max_offset_ < toc_end_) {
      return FailureHere("bad_toc", "a data offset points into the header or TOC");
    }
    return {};
  }

  Step Chunks() {
    for (;;) {
      StepOr<std::int64_t> len = Int("a data chunk length");
      if (!len.ok()) return len.failure();
      if (*len < 0) return FailureHere("bad_data_block", "negative data chunk length");
      if (*len == 0) return {};
      if (Step s = r_.Skip(static_cast<std::uint64_t>(*len), "a data chunk"); !s.ok()) return s;
    }
  }

  Reader& r_;
  std::string reason_ = "bad_header";  // the reason an out-of-range integer is reported with
  int version_ = 0;
  std::string version_text_;
  int int_size_ = 4;
  int off_size_ = 8;
  std::int64_t max_dump_id_ = 0;
  std::int64_t data_positioned_ = 0;
  std::int64_t data_unpositioned_ = 0;
  std::uint64_t max_offset_ = 0;
  std::uint64_t toc_end_ = 0;
};

// ---------------------------------------------------------------- tar

// Parses a numeric tar header field: octal digits (leading spaces/zeros, ended by NUL or
// space), or GNU base-256 (high bit of the first byte set). False when malformed.
bool TarNumber(const unsigned char* field, std::size_t len, std::uint64_t* out) {
  std::uint64_t v = 0;
  if (field[0] & 0x80) {
    if (field[0] != 0x80) return false;  // negative or more than 63 bits
    for (std::size_t i = 1; i < len; ++i) {
      if (v >> 55) return false;
      v = (v << 8) | field[i];
    }
    *out = v;
    return true;
  }
  std::size_t i = 0;
  while (i < len && field[i] == ' ') ++i;
  bool digits = false;
  for (; i < len && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (v >> 60) return false;
    v = v * 8 + (field[i] - '0');
    digits = true;
  }
  for (; i < len; ++i) {
    if (field[i] != ' ' && field[i] != '\0') return false;
  }
  *out = v;
  return digits;
}

// The tar stream inside the gzip: fed the decompressed bytes in order.
class TarChecker {
 public:
  Step Feed(const unsigned char* p, std::size_t n) {
    while (n > 0) {
      if (state_ == kData) {
        std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(n, data_left_));
        if (in_pax_ && pax_.size() < kMaxPax) {
          pax_.append(reinterpret_cast<const char*>(p), std::min(take, kMaxPax - pax_.size()));
        }
        data_left_ -= take;
        p += take;
        n -= take;
        offset_ += take;
        if (data_left_ == 0) state_ = kHeader;
        continue;
      }
      if (state_ == kEnd) {
        for (std::size_t i = 0; i < n; ++i) {
          if (p[i] != 0) {
            return Failure{"bad_tar_header",
                           "data after the tar's end-of-archive blocks at "
                           "byte " +
                               std::to_string(offset_ + i) + " of the decompressed stream"};
          }
        }
        offset_ += n;
        return {};
      }
      std::size_t take = std::min(n, block_.size() - fill_);
      std::memcpy(block_.data() + fill_, p, take);
      fill_ += take;
      p += take;
      n -= take;
      offset_ += take;
      if (fill_ == block_.size()) {
        fill_ = 0;
        if (Step header = Header(); !header.ok()) return header;
      }
    }
    return {};
  }

  // At the end of the decompressed stream.
  Step Finish() const {
    if (state_ == kEnd) return {};
    if (state_ == kData || fill_ != 0) {
      return Failure{"truncated", "the tar ends inside a member (decompressed byte " +
                                      std::to_string(offset_) + ")"};
    }
    return Failure{"missing_end_of_archive", zero_blocks_ == 1
                                                 ? "the tar ends with one zero block, not two"
                                                 : "the tar ends without its two zero blocks"};
  }

  std::int64_t members() const { return members_; }

 private:
  enum State { kHeader, kData, kEnd };

  Step Header() {
    std::uint64_t at = offset_ - 512;
    if (std::all_of(block_.begin(), block_.end(), [](unsigned char c) { return c == 0; })) {
      if (++zero_blocks_ == 2) state_ = kEnd;
      return {};
    }
    if (zero_blocks_ != 0) {
      return Failure{"bad_tar_header", "a lone zero block before the header at byte " +
                                           std::to_string(at) + " of the decompressed stream"};
    }
    std::uint64_t stored = 0;
    if (!TarNumber(&block_[148], 8, &stored)) return Bad(at, "checksum field is not a number");
    std::uint64_t sum_unsigned = 0;
    std::int64_t sum_signed = 0;
    for (std::size_t i = 0; i < block_.size(); ++i) {
      unsigned char c = (i >= 148 && i < 156) ? ' ' : block_[i];
      sum_unsigned += c;
      sum_signed += static_cast<signed char>(c);
    }
    if (stored != sum_unsigned && static_cast<std::int64_t>(stored) != sum_signed) {
      return Bad(at, "checksum " + std::to_string(stored) + " does not match " +
                         std::to_string(sum_unsigned));
    }
    std::uint64_t size = 0;
    if (!TarNumber(&block_[124], 12, &size)) return Bad(at, "size field is not a number");
    char type = static_cast<char>(block_[156]);
    // Links, devices, directories and FIFOs carry no data, whatever their size field says.
    bool has_data = !(type >= '1' && type <= '6');
    bool meta = type == 'x' || type == 'g' || type == 'L' || type == 'K';
    if (!meta) {
      ++members_;
      // A pax header's "size" record overrides the size field (members of 8 GiB and more).
      if (std::uint64_t pax_size = 0; PaxSize(&pax_size)) size = pax_size;
      pax_.clear();
    }
    in_pax_ = type == 'x';
    if (in_pax_) pax_.clear();
    data_left_ = has_data ? (size + 511) / 512 * 512 : 0;
    state_ = data_left_ > 0 ? kData : kHeader;
    return {};
  }

  // The "size" record of the pax extended header just read ("<len> size=<decimal>\n").
  bool PaxSize(std::uint64_t* out) const {
    std::size_t at = 0;
    while (at < pax_.size()) {
      std::size_t space = pax_.find(' ', at);
      if (space == std::string::npos) return false;
      std::uint64_t len = 0;
      for (std::size_t i = at; i < space; ++i) {
        if (pax_[i] < '0' || pax_[i] > '9' || len > (1u << 20)) return false;
        len = len * 10 + static_cast<std::uint64_t>(pax_[i] - '0');
      }
      if (len < space - at + 2 || at + len > pax_.size()) return false;
      std::string_view record(pax_.data() + space + 1, at + len - space - 2);
      if (record.substr(0, 5) == "size=") {
        std::uint64_t v = 0;
        std::string_view digits = record.substr(5);
        if (digits.empty() || digits.size() > 19) return false;
        for (char c : digits) {
          if (c < '0' || c > '9') return false;
          v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        *out = v;
        return true;
      }
      at += len;
    }
    return false;
  }

  // The failure of the header at decompressed byte `at`.
  static Failure Bad(std::uint64_t at, const std::string& what) {
    return {"bad_tar_header",
            "tar header at byte " + std::to_string(at) + " of the decompressed stream: " + what};
  }

  std::array<unsigned char, 512> block_{};
  std::size_t fill_ = 0;
  State state_ = kHeader;
  std::uint64_t data_left_ = 0;
  std::uint64_t offset_ = 0;  // decompressed bytes fed so far
  int zero_blocks_ = 0;
  std::int64_t members_ = 0;
  static constexpr std::size_t kMaxPax = 64 * 1024;  // of one pax header kept, to find "size"
  bool in_pax_ = false;
  std::string pax_;
};

// A gzip inflate stream (zlib), ended on destruction once Init() has succeeded.
class Inflater {
 public:
  Inflater() = default;
  ~Inflater() {
    if (initialised_) inflateEnd(&zs_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  Step Init() {
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
      return Failure{"io_error", "zlib could not be initialised"};
    }
    initialised_ = true;
    return {};
  }
  z_stream& z() { return zs_; }

 private:
  z_stream zs_{};
  bool initialised_ = false;
};

// zlib's verdict on a stream it could not inflate, at compressed byte `at`.
Failure InflateFailure(const z_stream& zs, int rc, std::size_t at) {
  std::string msg = zs.msg != nullptr ? zs.msg : "zlib error " + std::to_string(rc);
  std::string where = " (compressed byte " + std::to_string(at) + ")";
  if (msg == "incorrect data check") return Failure{"crc_mismatch", "gzip CRC-32 " + msg + where};
  if (msg == "incorrect length check") {
    return Failure{"length_mismatch", "gzip ISIZE " + msg + where};
  }
  if (msg == "incorrect header check" || msg == "unknown compression method") {
    return Failure{"bad_magic", "gzip header: " + msg + where};
  }
  return Failure{"bad_deflate", "gzip stream: " + msg + where};
}

// A file that is not empty and starts with gzip's first magic byte.
Step CheckGzipStart(Reader& r) {
  StepOr<bool> empty = r.AtEnd();
  if (!empty.ok()) return empty.failure();
  if (*empty) return Failure{"empty", "the file is empty"};
  StepOr<int> first = r.Peek();
  if (!first.ok()) return first.failure();
  if (*first != 0x1f) return Failure{"bad_magic", "not a gzip file (no 1f 8b magic)"};
  return {};
}

// The archive's member count once the whole file checks out.
StepOr<std::int64_t> RunTarGz(Reader& r) {
  if (Step start = CheckGzipStart(r); !start.ok()) return start.failure();
  Inflater inflater;
  if (Step init = inflater.Init(); !init.ok()) return init.failure();
  z_stream& zs = inflater.z();
  TarChecker tar;
  std::vector<unsigned char> in(kChunk);
  std::vector<unsigned char> out(kChunk);
  bool member_done = false;
  for (;;) {
    if (zs.avail_in == 0) {
      StepOr<std::size_t> got = r.Take(in.data(), in.size());
      if (!got.ok()) return got.failure();
      if (*got == 0) break;
      zs.next_in = in.data();
      zs.avail_in = static_cast<uInt>(*got);
    }
    if (member_done) {
      // Another gzip member may follow (gzip -c a b > c); anything else is not gzip.
      if (zs.next_in[0] != 0x1f) {
        return Failure{"trailing_garbage", "bytes after the end of the gzip stream at byte " +
                                               std::to_string(r.pos() - zs.avail_in)};
      }
      inflateReset(&zs);
      member_done = false;
    }
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&zs, Z_NO_FLUSH);
    if (Step fed = tar.Feed(out.data(), out.size() - zs.avail_out); !fed.ok()) {
      return fed.failure();
    }
    if (rc == Z_STREAM_END) {
      member_done = true;
      continue;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR) continue;
    return InflateFailure(zs, rc, r.pos() - zs.avail_in);
  }
  if (!member_done) {
    return Failure{"truncated",
                   "the gzip stream ends before its last member is complete, at "
                   "byte " +
                       std::to_string(r.pos())};
  }
  if (Step finished = tar.Finish(); !finished.ok()) return finished.failure();
  return tar.members();
}

// Runs a verifier over `r` to its verdict: `walk` gives the entry count, or the Failure that
// ended it. Out of memory (a string or buffer that cannot grow) is the one exception caught: the
// standard library reports it only by throwing, and it fails this file, not the scrape.
template <typename Walk>
VerifyResult Verdict(Reader& r, Walk walk) {
  VerifyResult result;
  try {
    StepOr<std::int64_t> entries = walk();
    if (entries.ok()) {
      result.ok = true;
      result.entries = *entries;
    } else {
      result.reason = entries.failure().reason;
      result.detail = entries.failure().detail;
    }
  } catch (const std::bad_alloc&) {
    result.ok = false;
    result.reason = "io_error";
    result.detail = "out of memory";
  }
  result.bytes_read = r.pos();
  return result;
}

class FileSource : public ByteSource {
 public:
  explicit FileSource(int fd) : fd_(fd) {}
  StatusOr<std::size_t> Read(unsigned char* buf, std::size_t n) override {
    for (;;) {
      ssize_t got = ::read(fd_, buf, n);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno == EINTR) continue;
      return Status::Error(std::strerror(errno));
    }
  }

 private:
  int fd_;
};

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

bool ParseBackupFormat(std::string_view text, BackupFormat* out) {
  if (text == "auto")
    *out = BackupFormat::kAuto;
  else if (text == "pg_dump")
    *out = BackupFormat::kPgDump;
  else if (text == "tar_gz")
    *out = BackupFormat::kTarGz;
  else if (text == "none")
    *out = BackupFormat::kNone;
  else
    return false;
  return true;
}

BackupFormat FormatForPath(const std::string& path, BackupFormat configured) {
  if (configured != BackupFormat::kAuto) return configured;
  if (EndsWith(path, ".dump")) return BackupFormat::kPgDump;
  if (EndsWith(path, ".tar.gz") || EndsWith(path, ".tgz")) return BackupFormat::kTarGz;
  return BackupFormat::kNone;
}

StatusOr<std::size_t> MemorySource::Read(unsigned char* buf, std::size_t n) {
  std::size_t take = std::min(n, bytes_.size() - pos_);
  std::memcpy(buf, bytes_.data() + pos_, take);
  pos_ += take;
  return take;
}

VerifyResult VerifyPgDump(ByteSource& in, const std::atomic<bool>* cancel) {
  Reader r(in, cancel);
  return Verdict(r, [&r]() -> StepOr<std::int64_t> {
    StepOr<bool> empty = r.AtEnd();
    if (!empty.ok()) return empty.failure();
    if (*empty) return Failure{"empty", "the file is empty"};
    return PgDumpParser(r).Run();
  });
}

VerifyResult VerifyTarGz(ByteSource& in, const std::atomic<bool>* cancel) {
  Reader r(in, cancel);
  return Verdict(r, [&r] { return RunTarGz(r); });
}

VerifyResult VerifyBackupFile(const std::string& path, BackupFormat format,
                              const std::atomic<bool>* cancel) {
  format = FormatForPath(path, format);
  VerifyResult result;
  if (format == BackupFormat::kNone) {
    result.ok = true;
    return result;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    result.reason = "io_error";
    result.detail = "cannot open: " + std::string(std::strerror(errno));
    return result;
  }
  // Read once, front to back: tell the kernel, and do not evict others' pages for it.
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  FileSource source(fd);
  result =
      format == BackupFormat::kPgDump ? VerifyPgDump(source, cancel) : VerifyTarGz(source, cancel);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
  return result;
}

}  // namespace thoth

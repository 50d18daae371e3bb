#include "collectors/backup/backup_verify.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace thoth {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

// Thrown inside a verifier, caught at its edge and turned into a failed VerifyResult.
struct VerifyError {
  std::string reason;
  std::string detail;
};

bool Cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

// Buffered front-to-back reader over a ByteSource, counting the bytes consumed.
class Reader {
 public:
  Reader(ByteSource& in, const std::atomic<bool>* cancel) : in_(in), cancel_(cancel) {
    buf_.resize(kChunk);
  }

  std::uint64_t pos() const { return consumed_; }

  // Next byte, or -1 at the end of the input.
  int Peek() {
    if (!Fill()) return -1;
    return buf_[head_];
  }

  bool AtEnd() { return !Fill(); }

  unsigned char Byte(const char* what) {
    if (!Fill()) Truncated(what);
    ++consumed_;
    return buf_[head_++];
  }

  // Skips n bytes, keeping up to `keep` of them in *kept (when kept is not null).
  void Skip(std::uint64_t n, const char* what, std::string* kept = nullptr, std::size_t keep = 0) {
    while (n > 0) {
      if (!Fill()) Truncated(what);
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(n, tail_ - head_));
      if (kept != nullptr && kept->size() < keep) {
        kept->append(reinterpret_cast<const char*>(&buf_[head_]),
                     std::min(take, keep - kept->size()));
      }
      head_ += take;
      consumed_ += take;
      n -= take;
    }
  }

  // Reads up to n bytes into dst; fewer only at the end of the input.
  std::size_t Take(unsigned char* dst, std::size_t n) {
    std::size_t got = 0;
    while (got < n && Fill()) {
      std::size_t take = std::min(n - got, tail_ - head_);
      std::memcpy(dst + got, &buf_[head_], take);
      head_ += take;
      consumed_ += take;
      got += take;
    }
    return got;
  }

  [[noreturn]] void Truncated(const char* what) {
    throw VerifyError{"truncated", std::string("file ends inside ") + what + " at byte " +
                                       std::to_string(consumed_)};
  }

 private:
  bool Fill() {
    if (head_ < tail_) return true;
    if (eof_) return false;
    if (Cancelled(cancel_)) throw VerifyError{"cancelled", "verification was cancelled"};
    std::string error;
    long got = in_.Read(buf_.data(), buf_.size(), &error);
    if (got < 0) throw VerifyError{"io_error", "read failed: " + error};
    head_ = 0;
    tail_ = static_cast<std::size_t>(got);
    if (got == 0) eof_ = true;
    return got > 0;
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

  VerifyResult Run() {
    VerifyResult result;
    ReadHead();
    std::int64_t entries = ReadToc();
    WalkData();
    result.ok = true;
    result.entries = entries;
    return result;
  }

 private:
  [[noreturn]] void Fail(const std::string& reason, const std::string& detail) {
    throw VerifyError{reason, detail + " (byte " + std::to_string(r_.pos()) + ")"};
  }

  // pg_backup_archiver.c ReadInt: a sign byte, then int_size_ bytes, least significant first.
  std::int64_t Int(const char* what) {
    int sign = r_.Byte(what);
    std::uint64_t value = 0;
    for (int i = 0; i < int_size_; ++i) {
      std::uint64_t b = r_.Byte(what);
      if (b != 0 && i >= 4) Fail(reason_, std::string(what) + " does not fit in 32 bits");
      value |= b << (8 * i);
    }
    if (value > 0x7fffffffULL) Fail(reason_, std::string(what) + " does not fit in 32 bits");
    if (sign != 0 && sign != 1)
      Fail(reason_, std::string(what) + " has sign byte " + std::to_string(sign));
    return sign ? -static_cast<std::int64_t>(value) : static_cast<std::int64_t>(value);
  }

  // ReadStr: a length (negative: NULL), then that many bytes. Keeps at most `keep` bytes.
  bool Str(const char* what, std::string* kept = nullptr, std::size_t keep = 0) {
    std::int64_t len = Int(what);
    if (kept != nullptr) kept->clear();
    if (len < 0) return false;
    r_.Skip(static_cast<std::uint64_t>(len), what, kept, keep);
    return true;
  }

  void ReadHead() {
    reason_ = "bad_header";
    std::string magic;
    r_.Skip(5, "the magic \"PGDMP\"", &magic, 5);
    if (magic != "PGDMP") Fail("bad_magic", "does not start with \"PGDMP\"");
    int vmaj = r_.Byte("the version");
    int vmin = r_.Byte("the version");
    int vrev = (vmaj > 1 || (vmaj == 1 && vmin > 0)) ? r_.Byte("the version") : 0;
    version_ = Version(vmaj, vmin, vrev);
    version_text_ = std::to_string(vmaj) + "." + std::to_string(vmin) + "." + std::to_string(vrev);
    if (version_ < kVers1_7 || version_ > kVersMax) {
      Fail("unsupported_version", "archive version " + version_text_ + " (1.7 to 1.16 are read)");
    }
    int_size_ = r_.Byte("the integer size");
    off_size_ = r_.Byte("the offset size");
    if (int_size_ < 4 || int_size_ > 8) {
      Fail("bad_header", "integer size " + std::to_string(int_size_) + " (4 to 8 expected)");
    }
    if (off_size_ < 4 || off_size_ > 8) {
      Fail("bad_header", "offset size " + std::to_string(off_size_) + " (4 to 8 expected)");
    }
    int format = r_.Byte("the format");
    if (format != kArchCustom) {
      Fail("not_custom_format", "archive format " + std::to_string(format) +
                                    " is not the custom format (1) of pg_dump -Fc");
    }
    if (version_ >= kVers1_15) {
      int algorithm = r_.Byte("the compression algorithm");
      if (algorithm > 3) Fail("bad_header", "compression algorithm " + std::to_string(algorithm));
    } else {
      std::int64_t level = Int("the compression level");
      if (level < -1 || level > 9) Fail("bad_header", "compression level " + std::to_string(level));
    }
    if (version_ >= kVers1_4) {
      // struct tm of the creation time: sec, min, hour, mday, mon, year, isdst.
      static constexpr std::array<std::pair<int, int>, 7> kRanges = {
          {{0, 61}, {0, 59}, {0, 23}, {1, 31}, {0, 11}, {0, 1000}, {-1, 1}}};
      for (const auto& [lo, hi] : kRanges) {
        std::int64_t v = Int("the creation time");
        if (v < lo || v > hi) Fail("bad_header", "creation time field out of range");
      }
      Str("the database name");
    }
    if (version_ >= kVers1_10) {
      Str("the server version");
      Str("the pg_dump version");
    }
  }

  std::int64_t ReadToc() {
    reason_ = "bad_toc";
    std::int64_t count = Int("the TOC entry count");
    if (count < 0) Fail("bad_toc", "negative TOC entry count");
    for (std::int64_t i = 0; i < count; ++i) ReadDataOffset(ReadTocEntry(i));
    toc_end_ = r_.pos();
    return count;
  }

  // One TOC entry (the i-th, from 0) up to its data offset; returns its dump id.
  std::int64_t ReadTocEntry(std::int64_t i) {
    std::string desc;
    std::string number;
    std::int64_t id = Int("a TOC entry id");
    if (id <= 0) {
      Fail("bad_toc", "entry " + std::to_string(i + 1) + " has id " + std::to_string(id) +
                          " (perhaps a corrupt TOC)");
    }
    max_dump_id_ = std::max(max_dump_id_, id);
    std::int64_t had_dumper = Int("a TOC entry");
    if (had_dumper != 0 && had_dumper != 1) Fail("bad_toc", "entry hadDumper is not 0 or 1");
    if (version_ >= kVers1_8) {
      for (int k = 0; k < 2; ++k) {  // table oid, oid: decimal strings
        if (!Str("a TOC entry's catalog id", &number, 16) || number.empty() || number.size() > 10 ||
            !std::all_of(number.begin(), number.end(),
                         [](char c) { return c >= '0' && c <= '9'; })) {
          Fail("bad_toc", "entry " + std::to_string(id) + " has a catalog id that is not a number");
        }
      }
    }
    Str("a TOC entry's tag");
    if (!Str("a TOC entry's description", &desc, 64) || desc.empty()) {
      Fail("bad_toc", "entry " + std::to_string(id) + " has no description");
    }
    if (version_ >= kVers1_11) {
      std::int64_t section = Int("a TOC entry's section");
      if (section < 1 || section > 4) {
        Fail("bad_toc",
             "entry " + std::to_string(id) + " has unknown section " + std::to_string(section));
      }
    }
    Str("a TOC entry's definition");
    Str("a TOC entry's drop statement");
    if (version_ >= kVers1_3) Str("a TOC entry's COPY statement");
    if (version_ >= kVers1_6) Str("a TOC entry's schema");
    if (version_ >= kVers1_10) Str("a TOC entry's tablespace");
    if (version_ >= kVers1_14) Str("a TOC entry's table access method");
    if (version_ >= kVers1_16) Int("a TOC entry's relkind");
    Str("a TOC entry's owner");
    if (version_ >= kVers1_9) Str("a TOC entry's WITH OIDS flag");
    if (version_ >= kVers1_5) {
      while (Str("a TOC entry's dependencies", &number, 16)) {
      }
    }
    return id;
  }

  // pg_backup_custom.c _ReadExtraToc: where the data block of entry `id` is.
  void ReadDataOffset(std::int64_t id) {
    int flag = r_.Byte("a TOC entry's data offset");
    std::uint64_t offset = 0;
    for (int b = 0; b < off_size_; ++b) {
      offset |= static_cast<std::uint64_t>(r_.Byte("a TOC entry's data offset")) << (8 * b);
    }
    if (flag == kOffsetPosSet) {
      ++data_positioned_;
      max_offset_ = std::max(max_offset_, offset);
    } else if (flag == kOffsetPosNotSet) {
      ++data_unpositioned_;
    } else if (flag != kOffsetNoData) {
      Fail("bad_toc",
           "entry " + std::to_string(id) + " has data offset flag " + std::to_string(flag));
    }
  }

  // The data blocks after the TOC (pg_backup_custom.c): a block type, the owning entry's id,
  // then length-prefixed chunks ending with a 0 length (large objects: oid, chunks, ..., 0).
  void WalkData() {
    reason_ = "bad_data_block";
    std::int64_t blocks = 0;
    while (!r_.AtEnd()) {
      std::uint64_t at = r_.pos();
      int type = r_.Byte("a data block");
      std::int64_t id = Int("a data block's entry id");
      if (id <= 0 || id > max_dump_id_) {
        Fail("bad_data_block", "data block at byte " + std::to_string(at) + " belongs to entry " +
                                   std::to_string(id) + ", which is not in the TOC");
      }
      if (type == kBlkData) {
        Chunks();
      } else if (type == kBlkBlobs) {
        while (Int("a large object's oid") != 0) Chunks();
      } else {
        Fail("bad_data_block",
             "data block at byte " + std::to_string(at) + " has type " + std::to_string(type));
      }
      ++blocks;
    }
    if (blocks > data_positioned_ + data_unpositioned_) {
      Fail("bad_data_block", std::to_string(blocks) + " data blocks for " +
                                 std::to_string(data_positioned_ + data_unpositioned_) +
                                 " TOC entries with data");
    }
    // Entries whose data offset pg_dump wrote each have a block; fewer means a cut-off file.
    if (blocks < data_positioned_ || (data_positioned_ > 0 && max_offset_ >= r_.pos())) {
      Fail("truncated", "file ends after " + std::to_string(blocks) + " of " +
                            std::to_string(data_positioned_) + " data blocks");
    }
    if (data_positioned_ > 0 && max_offset_ < toc_end_) {
      Fail("bad_toc", "a data offset points into the header or TOC");
    }
  }

  void Chunks() {
    for (;;) {
      std::int64_t len = Int("a data chunk length");
      if (len < 0) Fail("bad_data_block", "negative data chunk length");
      if (len == 0) return;
      r_.Skip(static_cast<std::uint64_t>(len), "a data chunk");
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
  void Feed(const unsigned char* p, std::size_t n) {
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
            throw VerifyError{"bad_tar_header",
                              "data after the tar's end-of-archive blocks at "
                              "byte " +
                                  std::to_string(offset_ + i) + " of the decompressed stream"};
          }
        }
        offset_ += n;
        return;
      }
      std::size_t take = std::min(n, block_.size() - fill_);
      std::memcpy(block_.data() + fill_, p, take);
      fill_ += take;
      p += take;
      n -= take;
      offset_ += take;
      if (fill_ == block_.size()) {
        fill_ = 0;
        Header();
      }
    }
  }

  // At the end of the decompressed stream.
  void Finish() const {
    if (state_ == kEnd) return;
    if (state_ == kData || fill_ != 0) {
      throw VerifyError{"truncated", "the tar ends inside a member (decompressed byte " +
                                         std::to_string(offset_) + ")"};
    }
    throw VerifyError{"missing_end_of_archive", zero_blocks_ == 1
                                                    ? "the tar ends with one zero block, not two"
                                                    : "the tar ends without its two zero blocks"};
  }

  std::int64_t members() const { return members_; }

 private:
  enum State { kHeader, kData, kEnd };

  void Header() {
    std::uint64_t at = offset_ - 512;
    if (std::all_of(block_.begin(), block_.end(), [](unsigned char c) { return c == 0; })) {
      if (++zero_blocks_ == 2) state_ = kEnd;
      return;
    }
    if (zero_blocks_ != 0) {
      throw VerifyError{"bad_tar_header", "a lone zero block before the header at byte " +
                                              std::to_string(at) + " of the decompressed stream"};
    }
    std::uint64_t stored = 0;
    if (!TarNumber(&block_[148], 8, &stored)) Bad(at, "checksum field is not a number");
    std::uint64_t sum_unsigned = 0;
    std::int64_t sum_signed = 0;
    for (std::size_t i = 0; i < block_.size(); ++i) {
      unsigned char c = (i >= 148 && i < 156) ? ' ' : block_[i];
      sum_unsigned += c;
      sum_signed += static_cast<signed char>(c);
    }
    if (stored != sum_unsigned && static_cast<std::int64_t>(stored) != sum_signed) {
      Bad(at,
          "checksum " + std::to_string(stored) + " does not match " + std::to_string(sum_unsigned));
    }
    std::uint64_t size = 0;
    if (!TarNumber(&block_[124], 12, &size)) Bad(at, "size field is not a number");
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

  [[noreturn]] void Bad(std::uint64_t at, const std::string& what) const {
    throw VerifyError{"bad_tar_header", "tar header at byte " + std::to_string(at) +
                                            " of the decompressed stream: " + what};
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

class Inflater {
 public:
  Inflater() {
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
      throw VerifyError{"io_error", "zlib could not be initialised"};
    }
  }
  ~Inflater() { inflateEnd(&zs_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream& z() { return zs_; }

 private:
  z_stream zs_{};
};

VerifyResult RunTarGz(Reader& r) {
  if (r.AtEnd()) throw VerifyError{"empty", "the file is empty"};
  if (r.Peek() != 0x1f) throw VerifyError{"bad_magic", "not a gzip file (no 1f 8b magic)"};
  Inflater inflater;
  z_stream& zs = inflater.z();
  TarChecker tar;
  std::vector<unsigned char> in(kChunk);
  std::vector<unsigned char> out(kChunk);
  bool member_done = false;
  for (;;) {
    if (zs.avail_in == 0) {
      std::size_t got = r.Take(in.data(), in.size());
      if (got == 0) break;
      zs.next_in = in.data();
      zs.avail_in = static_cast<uInt>(got);
    }
    if (member_done) {
      // Another gzip member may follow (gzip -c a b > c); anything else is not gzip.
      if (zs.next_in[0] != 0x1f) {
        throw VerifyError{"trailing_garbage", "bytes after the end of the gzip stream at byte " +
                                                  std::to_string(r.pos() - zs.avail_in)};
      }
      inflateReset(&zs);
      member_done = false;
    }
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&zs, Z_NO_FLUSH);
    tar.Feed(out.data(), out.size() - zs.avail_out);
    if (rc == Z_STREAM_END) {
      member_done = true;
      continue;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR) continue;
    std::string msg = zs.msg != nullptr ? zs.msg : "zlib error " + std::to_string(rc);
    std::string where = " (compressed byte " + std::to_string(r.pos() - zs.avail_in) + ")";
    if (msg == "incorrect data check")
      throw VerifyError{"crc_mismatch", "gzip CRC-32 " + msg + where};
    if (msg == "incorrect length check") {
      throw VerifyError{"length_mismatch", "gzip ISIZE " + msg + where};
    }
    if (msg == "incorrect header check" || msg == "unknown compression method") {
      throw VerifyError{"bad_magic", "gzip header: " + msg + where};
    }
    throw VerifyError{"bad_deflate", "gzip stream: " + msg + where};
  }
  if (!member_done) {
    throw VerifyError{"truncated",
                      "the gzip stream ends before its last member is complete, at "
                      "byte " +
                          std::to_string(r.pos())};
  }
  tar.Finish();
  VerifyResult result;
  result.ok = true;
  result.entries = tar.members();
  return result;
}

template <typename F>
VerifyResult Guard(Reader& r, F body) {
  VerifyResult result;
  try {
    result = body();
  } catch (const VerifyError& e) {
    result.ok = false;
    result.reason = e.reason;
    result.detail = e.detail;
    result.entries = -1;
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
  long Read(unsigned char* buf, std::size_t n, std::string* error) override {
    for (;;) {
      ssize_t got = ::read(fd_, buf, n);
      if (got >= 0) return static_cast<long>(got);
      if (errno == EINTR) continue;
      *error = std::strerror(errno);
      return -1;
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

long MemorySource::Read(unsigned char* buf, std::size_t n, std::string* error) {
  (void)error;
  std::size_t take = std::min(n, bytes_.size() - pos_);
  std::memcpy(buf, bytes_.data() + pos_, take);
  pos_ += take;
  return static_cast<long>(take);
}

VerifyResult VerifyPgDump(ByteSource& in, const std::atomic<bool>* cancel) {
  Reader r(in, cancel);
  return Guard(r, [&] {
    if (r.AtEnd()) throw VerifyError{"empty", "the file is empty"};
    return PgDumpParser(r).Run();
  });
}

VerifyResult VerifyTarGz(ByteSource& in, const std::atomic<bool>* cancel) {
  Reader r(in, cancel);
  return Guard(r, [&] { return RunTarGz(r); });
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

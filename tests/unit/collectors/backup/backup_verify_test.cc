#include "collectors/backup/backup_verify.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/test_fixtures.h"

namespace thoth {
namespace {

// Made by tests/fixtures/backup/make_fixtures.sh: pg_dump -Fc against a real PostgreSQL, tar -czf.
VerifyResult Dump(const std::string& bytes) {
  MemorySource src(bytes);
  return VerifyPgDump(src);
}

VerifyResult TarGz(const std::string& bytes) {
  MemorySource src(bytes);
  return VerifyTarGz(src);
}

// Gives `bytes` up to `fail_at`, then an I/O error; sets *cancel (when not null) after its first
// read, as a scrape that gives up while the file is being read.
class ScriptedSource : public ByteSource {
 public:
  ScriptedSource(std::string_view bytes, std::size_t fail_at, std::atomic<bool>* cancel = nullptr)
      : bytes_(bytes), fail_at_(fail_at), cancel_(cancel) {}
  StatusOr<std::size_t> Read(unsigned char* buf, std::size_t n) override {
    if (pos_ >= fail_at_) return Status::Error("Input/output error");
    std::size_t take = std::min({n, bytes_.size() - pos_, fail_at_ - pos_});
    std::memcpy(buf, bytes_.data() + pos_, take);
    pos_ += take;
    if (cancel_ != nullptr) cancel_->store(true);
    return take;
  }

 private:
  std::string_view bytes_;
  std::size_t fail_at_;
  std::atomic<bool>* cancel_;
  std::size_t pos_ = 0;
};

std::string Gzip(const std::string& raw) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(compressBound(raw.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = raw.size();
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = out.size();
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Gunzip(const std::string& gz) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = gz.size();
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = out.size();
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

// ---------------------------------------------------------------- pg_dump custom format

TEST(VerifyPgDump, RealDumpsVerifyWithTheirTocCount) {
  // `pg_restore --list` says "TOC Entries: 19" (13 for --schema-only) for these files.
  for (const char* name :
       {"postgres_20240115_020000.dump", "postgres_uncompressed.dump", "postgres_piped.dump"}) {
    VerifyResult r = Dump(Fixture(std::string("backup/") + name));
    EXPECT_TRUE(r.ok) << name << ": " << r.reason << ": " << r.detail;
    EXPECT_EQ(r.entries, 19) << name;
  }
  VerifyResult schema = Dump(Fixture("backup/postgres_schema_only.dump"));
  EXPECT_TRUE(schema.ok) << schema.reason << ": " << schema.detail;
  EXPECT_EQ(schema.entries, 13);
}

TEST(VerifyPgDump, EveryTruncationFails) {
  std::string good = Fixture("backup/postgres_20240115_020000.dump");
  for (std::size_t len = 0; len < good.size(); len += (len < 200 ? 1 : 37)) {
    VerifyResult r = Dump(good.substr(0, len));
    EXPECT_FALSE(r.ok) << "cut at " << len;
    if (len > 0) {
      EXPECT_TRUE(r.reason == "truncated" || r.reason == "bad_data_block") << len << r.reason;
    }
  }
  VerifyResult r = Dump(good.substr(0, good.size() - 1));
  EXPECT_EQ(r.reason, "truncated") << r.detail;
  // The uncompressed dump too, cut at the end of a data block (a whole block missing).
  std::string plain = Fixture("backup/postgres_uncompressed.dump");
  std::size_t cut = plain.rfind(std::string("\x01\x00", 2));  // somewhere in the data
  EXPECT_FALSE(Dump(plain.substr(0, cut)).ok);
}

TEST(VerifyPgDump, Garbage) {
  EXPECT_EQ(Dump("").reason, "empty");
  EXPECT_EQ(Dump("PGDMQ\x01\x0e\x00\x04\x08\x01").reason, "bad_magic");
  EXPECT_EQ(Dump("-- PostgreSQL database dump\n").reason, "bad_magic");
  EXPECT_EQ(Dump(Fixture("backup/postgres_tar_format.dump")).reason,
            "bad_magic");  // a tar, not -Fc
  std::string good = Fixture("backup/postgres_20240115_020000.dump");
  std::string v = good;
  v[5] = 9;  // version 9.x
  EXPECT_EQ(Dump(v).reason, "unsupported_version");
  std::string fmt = good;
  fmt[10] = 3;  // the tar format's code
  EXPECT_EQ(Dump(fmt).reason, "not_custom_format");
  std::string isz = good;
  isz[8] = 40;
  EXPECT_EQ(Dump(isz).reason, "bad_header");
}

TEST(VerifyPgDump, FlippedBytesInTheTocFail) {
  std::string good = Fixture("backup/postgres_uncompressed.dump");
  // The header and TOC of this dump end before its first data block, well inside 3000 bytes;
  // count how many single-byte corruptions there are caught (strings' contents are not checked,
  // so not all of them can be).
  int caught = 0, tried = 0;
  for (std::size_t i = 0; i < 400; ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    ++tried;
    if (!Dump(bad).ok) ++caught;
  }
  EXPECT_GT(caught, tried / 3) << caught << " of " << tried;
  // The TOC count (19: sign 0, then 4 little-endian bytes), then the first entry's id.
  std::size_t count = good.find(std::string("\0\x13\0\0\0", 5));
  ASSERT_NE(count, std::string::npos);
  std::string zero_id = good;
  zero_id.replace(count + 6, 4,
                  std::string(4, '\0'));  // entry id 0: "perhaps a corrupt TOC", as pg_restore says
  EXPECT_EQ(Dump(zero_id).reason, "bad_toc");
  std::string negative_id = good;
  negative_id[count + 5] = 1;
  EXPECT_EQ(Dump(negative_id).reason, "bad_toc");
  std::string more = good;
  more[count + 1] = 20;  // one entry more than there is: the data is read as an entry
  EXPECT_FALSE(Dump(more).ok);
  std::string fewer = good;
  fewer[count + 1] = 18;  // the last entry is read as a data block
  EXPECT_FALSE(Dump(fewer).ok);
}

TEST(VerifyPgDump, AppendedBytesFail) {
  std::string good = Fixture("backup/postgres_20240115_020000.dump");
  EXPECT_FALSE(Dump(good + "garbage").ok);
  EXPECT_FALSE(Dump(good + std::string(1, '\0')).ok);
}

TEST(VerifyPgDump, CancelStops) {
  std::atomic<bool> cancel{true};
  std::string good = Fixture("backup/postgres_20240115_020000.dump");
  MemorySource src(good);
  EXPECT_EQ(VerifyPgDump(src, &cancel).reason, "cancelled");
}

// A read error after `fail_at` bytes and a cancellation after `cancel_at` bytes of `good`, both
// mid-file: each stops the verifier there with its own reason. Returns the read error's result.
template <typename Verify>
VerifyResult ExpectReadErrorAndCancel(Verify verify, const std::string& good, std::size_t fail_at,
                                      std::size_t cancel_at) {
  ScriptedSource failing(good, fail_at);
  VerifyResult r = verify(failing, nullptr);
  EXPECT_EQ(r.reason, "io_error");
  EXPECT_EQ(r.detail, "read failed: Input/output error");
  EXPECT_EQ(r.bytes_read, fail_at);
  std::atomic<bool> cancel{false};
  ScriptedSource cancelling(good, cancel_at, &cancel);
  VerifyResult c = verify(cancelling, &cancel);
  EXPECT_EQ(c.reason, "cancelled");
  EXPECT_EQ(c.detail, "verification was cancelled");
  EXPECT_EQ(c.bytes_read, cancel_at);
  return r;
}

TEST(VerifyPgDump, ReadErrorAndCancelMidFile) {
  VerifyResult r = ExpectReadErrorAndCancel(
      [](ByteSource& in, const std::atomic<bool>* cancel) { return VerifyPgDump(in, cancel); },
      Fixture("backup/postgres_uncompressed.dump"), 1000, 2000);
  EXPECT_EQ(r.entries, -1);
}

// ---------------------------------------------------------------- tar.gz

TEST(VerifyTarGz, RealArchivesVerify) {
  VerifyResult r = TarGz(Fixture("backup/chroma_20240115_020000.tar.gz"));
  EXPECT_TRUE(r.ok) << r.reason << ": " << r.detail;
  // chroma/data/, chroma.sqlite3, collections/, collections/abc/, data_level0.bin, empty/, link
  EXPECT_EQ(r.entries, 7);
  for (const char* name : {"chroma_longname.tar.gz", "chroma_pax.tar.gz"}) {
    VerifyResult l = TarGz(Fixture(std::string("backup/") + name));
    EXPECT_TRUE(l.ok) << name << ": " << l.reason << ": " << l.detail;
    EXPECT_EQ(l.entries, 3) << name;  // long/, long/ddd.../, long/ddd.../fff...
  }
}

TEST(VerifyTarGz, FlippedByteInTheGzipStreamIsACrcOrDeflateError) {
  std::string good = Fixture("backup/chroma_20240115_020000.tar.gz");
  // Gzip trailer: CRC-32 then ISIZE, the last 8 bytes.
  std::string crc = good;
  crc[crc.size() - 8] ^= 1;
  EXPECT_EQ(TarGz(crc).reason, "crc_mismatch") << TarGz(crc).detail;
  std::string isize = good;
  isize[isize.size() - 1] ^= 1;
  EXPECT_EQ(TarGz(isize).reason, "length_mismatch");
  // Any byte of the deflate body: a CRC error, a deflate error or a broken tar, never ok -
  // unless the flip hit bits deflate does not use (gunzip then yields the very same bytes).
  std::string tar = Gunzip(good);
  int caught = 0;
  for (std::size_t i = 10; i < good.size() - 8; ++i) {
    std::string bad = good;
    bad[i] ^= 0x10;
    VerifyResult r = TarGz(bad);
    if (!r.ok) {
      ++caught;
      continue;
    }
    EXPECT_EQ(Gunzip(bad), tar) << "byte " << i << " changed the content yet verified";
  }
  EXPECT_GT(caught, static_cast<int>(good.size()) - 30);
}

TEST(VerifyTarGz, ReadErrorAndCancelMidFile) {
  ExpectReadErrorAndCancel(
      [](ByteSource& in, const std::atomic<bool>* cancel) { return VerifyTarGz(in, cancel); },
      Fixture("backup/chroma_20240115_020000.tar.gz"), 100, 200);
}

TEST(VerifyTarGz, TruncatedFails) {
  std::string good = Fixture("backup/chroma_20240115_020000.tar.gz");
  for (std::size_t len = 1; len < good.size(); ++len) {
    VerifyResult r = TarGz(good.substr(0, len));
    EXPECT_FALSE(r.ok) << len;
  }
  EXPECT_EQ(TarGz(good.substr(0, good.size() - 4)).reason, "truncated");
}

TEST(VerifyTarGz, TarStructure) {
  std::string tar = Gunzip(Fixture("backup/chroma_20240115_020000.tar.gz"));
  ASSERT_EQ(tar.size() % 512, 0u);
  EXPECT_TRUE(TarGz(Gzip(tar)).ok);
  // Truncated tar inside a valid gzip: no end-of-archive blocks.
  std::size_t last = tar.find_last_not_of('\0');
  std::string cut = tar.substr(0, (last / 512 + 1) * 512);
  EXPECT_EQ(TarGz(Gzip(cut)).reason, "missing_end_of_archive");
  EXPECT_EQ(TarGz(Gzip(cut + std::string(512, '\0'))).reason, "missing_end_of_archive");
  EXPECT_TRUE(TarGz(Gzip(cut + std::string(1024, '\0'))).ok);
  // Cut inside a member's data or a header.
  EXPECT_EQ(TarGz(Gzip(tar.substr(0, 512 + 100))).reason, "truncated");
  EXPECT_EQ(TarGz(Gzip(tar.substr(0, 300))).reason, "truncated");
  // A header byte changed: its checksum no longer matches.
  std::string bad = tar;
  bad[10] ^= 1;
  EXPECT_EQ(TarGz(Gzip(bad)).reason, "bad_tar_header");
  // A size field that is not a number.
  std::string size = tar;
  size[124] = 'z';
  EXPECT_EQ(TarGz(Gzip(size)).reason, "bad_tar_header");
  // Non-zero data after the end-of-archive blocks.
  EXPECT_EQ(TarGz(Gzip(tar + "x")).reason, "bad_tar_header");
  // A lone zero block followed by a header.
  EXPECT_EQ(TarGz(Gzip(std::string(512, '\0') + tar)).reason, "bad_tar_header");
  // Not a tar at all.
  EXPECT_FALSE(TarGz(Gzip("hello, world")).ok);
  EXPECT_FALSE(TarGz(Gzip(std::string(1024, 'a'))).ok);
  // An empty archive (two zero blocks) is a valid tar with no members.
  VerifyResult empty = TarGz(Gzip(std::string(1024, '\0')));
  EXPECT_TRUE(empty.ok);
  EXPECT_EQ(empty.entries, 0);
}

// One ustar header block: name, type, size (octal), with its checksum.
std::string TarHeader(const std::string& name, char type, std::uint64_t size) {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);
  std::snprintf(&h[100], 8, "%07o", 0644);
  std::snprintf(&h[124], 12, "%011llo", static_cast<unsigned long long>(size));
  std::snprintf(&h[136], 12, "%011o", 0);
  h[156] = type;
  h.replace(257, 6, std::string("ustar\0", 6));
  h.replace(263, 2, "00");
  h.replace(148, 8, std::string(8, ' '));
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(&h[148], 8, "%06o", sum);
  return h;
}

TEST(VerifyTarGz, PaxSizeRecordOverridesTheSizeField) {
  std::string record = "13 size=1024\n";
  std::string pax = TarHeader("./PaxHeaders/big", 'x', record.size()) + record +
                    std::string(512 - record.size(), '\0');
  // The size field says 0 (as for a member too large for it); the pax record says 1024.
  std::string tar =
      pax + TarHeader("big", '0', 0) + std::string(1024, 'd') + std::string(1024, '\0');
  VerifyResult r = TarGz(Gzip(tar));
  EXPECT_TRUE(r.ok) << r.reason << ": " << r.detail;
  EXPECT_EQ(r.entries, 1);
  // Without the record the data would be read as a header.
  std::string plain = TarHeader("big", '0', 0) + std::string(1024, 'd') + std::string(1024, '\0');
  EXPECT_EQ(TarGz(Gzip(plain)).reason, "bad_tar_header");
  // A base-256 size field (GNU, 8 GiB and more) is read too.
  std::string h = TarHeader("b256", '0', 0);
  std::string field(12, '\0');
  field[0] = static_cast<char>(0x80);
  field[11] = 4;  // 4 bytes of data, then padding to 512
  h.replace(124, 12, field);
  h.replace(148, 8, std::string(8, ' '));
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(&h[148], 8, "%06o", sum);
  EXPECT_TRUE(TarGz(Gzip(h + "abcd" + std::string(508, '\0') + std::string(1024, '\0'))).ok);
}

TEST(VerifyTarGz, GzipMembersAndTrailingBytes) {
  std::string tar = Gunzip(Fixture("backup/chroma_20240115_020000.tar.gz"));
  // Two gzip members (gzip -c a b): one stream to zlib and to tar.
  std::string half1 = tar.substr(0, 1024), half2 = tar.substr(1024);
  EXPECT_TRUE(TarGz(Gzip(half1) + Gzip(half2)).ok);
  EXPECT_EQ(TarGz(Fixture("backup/chroma_20240115_020000.tar.gz") + "junk").reason,
            "trailing_garbage");
}

TEST(VerifyTarGz, Garbage) {
  EXPECT_EQ(TarGz("").reason, "empty");
  EXPECT_EQ(TarGz("PK\x03\x04zip").reason, "bad_magic");
  EXPECT_EQ(TarGz(Fixture("backup/postgres_20240115_020000.dump")).reason, "bad_magic");
  // Compression method 9 (only 8, deflate, exists).
  EXPECT_EQ(TarGz(std::string("\x1f\x8b\x09\0\0\0\0\0\0\x03xxxxxxxx", 18)).reason, "bad_magic");
  EXPECT_EQ(TarGz("\x1f").reason, "truncated");
}

TEST(BackupFormat, ByName) {
  BackupFormat f;
  EXPECT_TRUE(ParseBackupFormat("pg_dump", &f));
  EXPECT_EQ(f, BackupFormat::kPgDump);
  EXPECT_FALSE(ParseBackupFormat("zip", &f));
  EXPECT_EQ(FormatForPath("/b/postgres_1.dump", BackupFormat::kAuto), BackupFormat::kPgDump);
  EXPECT_EQ(FormatForPath("/b/chroma_1.tar.gz", BackupFormat::kAuto), BackupFormat::kTarGz);
  EXPECT_EQ(FormatForPath("/b/chroma_1.tgz", BackupFormat::kAuto), BackupFormat::kTarGz);
  EXPECT_EQ(FormatForPath("/b/dump.rdb", BackupFormat::kAuto), BackupFormat::kNone);
  EXPECT_EQ(FormatForPath("/b/x.rdb", BackupFormat::kTarGz), BackupFormat::kTarGz);
}

TEST(VerifyBackupFile, FromDisk) {
  std::string dir = std::string(THOTH_FIXTURES_DIR) + "/backup/";
  VerifyResult r = VerifyBackupFile(dir + "postgres_20240115_020000.dump", BackupFormat::kAuto);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.bytes_read, 7383u);
  EXPECT_EQ(VerifyBackupFile(dir + "missing.dump", BackupFormat::kAuto).reason, "io_error");
  EXPECT_EQ(VerifyBackupFile(dir, BackupFormat::kPgDump).reason, "io_error");  // a directory
  VerifyResult none = VerifyBackupFile(dir + "make_fixtures.sh", BackupFormat::kAuto);
  EXPECT_TRUE(none.ok);
  EXPECT_EQ(none.entries, -1);
}

}  // namespace
}  // namespace thoth

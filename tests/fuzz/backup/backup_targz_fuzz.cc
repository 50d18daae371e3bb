// The tar.gz reader (zlib inflate, then the tar structure): a backup file the exporter did not
// write. The first byte chooses what the rest is: 0 - the file itself (fuzzes the gzip layer);
// otherwise a tar stream that the target gzips first, so that the tar checks are reached.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "collectors/backup/backup_verify.h"

namespace {

bool KnownReason(const std::string& r) {
  static const std::set<std::string> kReasons = {"empty",          "io_error",
                                                 "bad_magic",      "truncated",
                                                 "crc_mismatch",   "length_mismatch",
                                                 "bad_deflate",    "trailing_garbage",
                                                 "bad_tar_header", "missing_end_of_archive"};
  return kReasons.count(r) != 0;
}

std::string Gzip(std::string_view raw) {
  z_stream zs{};
  if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&zs, raw.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) __builtin_trap();
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  bool wrap = data[0] != 0;
  std::string input = wrap ? Gzip(rest) : std::string(rest);
  thoth::MemorySource source(input);
  thoth::VerifyResult r = thoth::VerifyTarGz(source);
  if (r.bytes_read > input.size()) __builtin_trap();
  if (r.ok) {
    if (!r.reason.empty() || r.entries < 0 || r.bytes_read != input.size()) __builtin_trap();
  } else if (!KnownReason(r.reason) || r.detail.empty()) {
    __builtin_trap();
  }
  // A gzip layer made here is sound: only the tar inside can be wrong.
  if (wrap &&
      (r.reason == "crc_mismatch" || r.reason == "length_mismatch" || r.reason == "bad_deflate" ||
       r.reason == "bad_magic" || r.reason == "trailing_garbage" || r.reason == "empty")) {
    __builtin_trap();
  }
  return 0;
}

// The pg_dump custom-format reader: a backup file the exporter did not write and must not trust.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "collectors/backup/backup_verify.h"

namespace {

// The reasons are label values: a fixed set, whatever the input.
bool KnownReason(const std::string& r) {
  static const std::set<std::string> kReasons = {"empty",
                                                 "io_error",
                                                 "bad_magic",
                                                 "unsupported_version",
                                                 "not_custom_format",
                                                 "bad_header",
                                                 "bad_toc",
                                                 "bad_data_block",
                                                 "truncated"};
  return kReasons.count(r) != 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  thoth::MemorySource source(bytes);
  thoth::VerifyResult r = thoth::VerifyPgDump(source);
  if (r.bytes_read > size) __builtin_trap();
  if (r.ok) {
    // A verified archive was read to its very end, and has a count.
    if (!r.reason.empty() || r.entries < 0 || r.bytes_read != size) __builtin_trap();
  } else if (!KnownReason(r.reason) || r.detail.empty() || r.detail.size() > 4096) {
    __builtin_trap();
  }
  return 0;
}

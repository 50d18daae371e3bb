// libFuzzer target: the line-time readers of `--once`'s recent window ($time_local, ISO 8601
// anywhere near a line's start or in a JSON line, a bracketed $time_local anywhere).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "collectors/logs/log_time.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Any accepted time lies between 1970 and the year 10000 (with a zone of at most a day).
  constexpr std::int64_t kMin = -86400 * 2;
  constexpr std::int64_t kMax = 253402300800 + 86400 * 2;
  for (std::int64_t offset : {0, -18000, 19800}) {
    for (auto t :
         {thoth::logs::ParseIsoTimestamp(input, offset), thoth::logs::FindLineTime(input, offset),
          thoth::logs::ParseNginxLocalTime(input)}) {
      if (t && (*t < kMin || *t > kMax)) std::abort();
    }
  }
  return 0;
}

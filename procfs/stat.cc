#include "procfs/stat.h"

#include <charconv>
#include <cstdint>

#include "procfs/lines.h"

namespace thoth {

std::optional<double> ParseBootTime(std::string_view text) {
  for (std::string_view line : Lines(text)) {
    if (line.rfind("btime ", 0) != 0) continue;
    std::string_view value = line.substr(6);
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
    return static_cast<double>(v);
  }
  return std::nullopt;
}

}  // namespace thoth

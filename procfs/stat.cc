#include "procfs/stat.h"

#include <charconv>
#include <cstdint>

namespace thoth {

std::optional<double> ParseBootTime(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
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

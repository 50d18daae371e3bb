#include "procfs/meminfo.h"

#include <charconv>
#include <cstdint>

#include "procfs/lines.h"

namespace thoth {
namespace {

std::optional<double> ParseValue(std::string_view rest) {
  std::size_t i = 0;
  while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
  rest.remove_prefix(i);
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (ec != std::errc() || ptr == rest.data()) return std::nullopt;
  std::string_view unit = rest.substr(static_cast<std::size_t>(ptr - rest.data()));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  while (!unit.empty() && (unit.back() == ' ' || unit.back() == '\r')) unit.remove_suffix(1);
  if (unit.empty()) return static_cast<double>(v);
  if (unit == "kB") return static_cast<double>(v) * 1024.0;
  return std::nullopt;
}

}  // namespace

MemInfo ParseMemInfo(std::string_view text) {
  MemInfo info;
  for (std::string_view line : Lines(text)) {
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    if (key == "MemTotal") {
      info.total_bytes = ParseValue(line.substr(colon + 1));
    } else if (key == "MemAvailable") {
      info.available_bytes = ParseValue(line.substr(colon + 1));
    }
  }
  return info;
}

}  // namespace thoth

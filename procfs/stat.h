#pragma once

#include <optional>
#include <string_view>

namespace thoth {

// `btime` (boot time, unix seconds) from /proc/stat; nullopt when the line is absent or its
// value is not a whole number.
std::optional<double> ParseBootTime(std::string_view text);

}  // namespace thoth

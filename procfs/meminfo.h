#pragma once

#include <optional>
#include <string_view>

namespace thoth {

// The two host memory figures the exporter reports, from /proc/meminfo.
struct MemInfo {
  std::optional<double> total_bytes;      // MemTotal
  std::optional<double> available_bytes;  // MemAvailable (kernels >= 3.14)
};

// Parses /proc/meminfo text ("MemTotal:       24684084 kB"). Values are in KiB unless no unit
// follows; a line that is cut, not numeric or would overflow is ignored.
MemInfo ParseMemInfo(std::string_view text);

}  // namespace thoth

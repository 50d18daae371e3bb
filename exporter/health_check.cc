#include "exporter/health_check.h"

#include <cmath>
#include <cstdio>

namespace thoth {

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kOk:
      return "OK";
    case Severity::kWarning:
      return "WARNING";
    case Severity::kCritical:
      return "CRITICAL";
    case Severity::kUnknown:
      break;
  }
  return "UNKNOWN";
}

Severity Grade(double value, const Level& level) {
  if (std::isnan(value)) return Severity::kUnknown;
  if (value > level.critical) return Severity::kCritical;
  if (value > level.warning) return Severity::kWarning;
  return Severity::kOk;
}

std::string FormatNumber(double v) {
  char buf[64];
  if (std::isfinite(v) && std::fabs(v) < 1e15 && v == std::floor(v)) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  }
  return buf;
}

}  // namespace thoth

#pragma once

#include <string>
#include <vector>

#include "exporter/thresholds.h"

namespace thoth {

// Nagios-style status; the numeric value is the --once exit code.
enum class Severity { kOk = 0, kWarning = 1, kCritical = 2, kUnknown = 3 };

const char* SeverityName(Severity s);

// One row of the --once report: target, check, value, threshold, status.
struct HealthCheck {
  std::string collector;
  std::string target;
  std::string check;
  std::string value;      // as a person reads it, e.g. "42 / 50 (84%)"
  std::string threshold;  // e.g. "> 80% warn, > 95% crit", or "" when none applies
  Severity status = Severity::kOk;
};

// Grades a value against a warning/critical pair (strictly above = reached).
Severity Grade(double value, const Level& level);

// Formats a number for a person: integers without a fraction, others with up to 3 digits.
std::string FormatNumber(double v);

}  // namespace thoth

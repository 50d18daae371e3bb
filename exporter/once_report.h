#pragma once

#include <ostream>
#include <vector>

#include "exporter/health_check.h"

namespace thoth {

// The overall status of a report: CRITICAL over WARNING over UNKNOWN over OK; UNKNOWN when
// there are no checks at all (nothing could be collected).
Severity Overall(const std::vector<HealthCheck>& checks);

// A table a person reads in a terminal: TARGET, CHECK, VALUE, THRESHOLD, STATUS, then a summary
// line. With color, statuses are colored (for a TTY).
void WriteTextReport(const std::vector<HealthCheck>& checks, std::ostream& out, bool color);
// {"status": "...", "exit_code": N, "checks": [{collector, target, check, value, threshold,
// status}]} for scripts.
void WriteJsonReport(const std::vector<HealthCheck>& checks, std::ostream& out);

}  // namespace thoth

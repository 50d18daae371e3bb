#include "exporter/once_report.h"

#include <algorithm>
#include <string>

#include "nlohmann/json.hpp"

namespace thoth {

Severity Overall(const std::vector<HealthCheck>& checks) {
  if (checks.empty()) return Severity::kUnknown;
  bool warning = false, unknown = false;
  for (const auto& c : checks) {
    if (c.status == Severity::kCritical) return Severity::kCritical;
    warning = warning || c.status == Severity::kWarning;
    unknown = unknown || c.status == Severity::kUnknown;
  }
  if (warning) return Severity::kWarning;
  if (unknown) return Severity::kUnknown;
  return Severity::kOk;
}

void WriteTextReport(const std::vector<HealthCheck>& checks, std::ostream& out, bool color) {
  const std::vector<std::string> headers = {"TARGET", "CHECK", "VALUE", "THRESHOLD", "STATUS"};
  std::vector<std::vector<std::string>> rows;
  rows.reserve(checks.size());
  for (const auto& c : checks) {
    rows.push_back({c.collector + "/" + c.target, c.check, c.value,
                    c.threshold.empty() ? "-" : c.threshold, SeverityName(c.status)});
  }
  std::vector<size_t> width(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells, Severity status, bool colored) {
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string cell = cells[i];
      if (i + 1 < cells.size()) cell.resize(width[i], ' ');
      if (i + 1 == cells.size() && colored) {
        const char* code = status == Severity::kOk         ? "\033[32m"
                           : status == Severity::kWarning  ? "\033[33m"
                           : status == Severity::kCritical ? "\033[31m"
                                                           : "\033[35m";
        out << code << cell << "\033[0m";
      } else {
        out << cell;
      }
      if (i + 1 < cells.size()) out << "  ";
    }
    out << "\n";
  };
  line(headers, Severity::kOk, false);
  for (size_t i = 0; i < rows.size(); ++i) line(rows[i], checks[i].status, color);
  int counts[4] = {0, 0, 0, 0};
  for (const auto& c : checks) ++counts[static_cast<int>(c.status)];
  Severity overall = Overall(checks);
  out << "\nOverall: " << SeverityName(overall) << " (" << counts[2] << " critical, " << counts[1]
      << " warning, " << counts[3] << " unknown, " << counts[0] << " ok)\n";
}

void WriteJsonReport(const std::vector<HealthCheck>& checks, std::ostream& out) {
  nlohmann::json doc;
  Severity overall = Overall(checks);
  doc["status"] = SeverityName(overall);
  doc["exit_code"] = static_cast<int>(overall);
  doc["checks"] = nlohmann::json::array();
  for (const auto& c : checks) {
    doc["checks"].push_back({{"collector", c.collector},
                             {"target", c.target},
                             {"check", c.check},
                             {"value", c.value},
                             {"threshold", c.threshold},
                             {"status", SeverityName(c.status)}});
  }
  // Values come from servers; never let invalid UTF-8 make the report fail.
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace thoth

#include "collectors/postgres/checks.h"

#include <algorithm>
#include <cstdio>

#include "exporter/metric_sink.h"

namespace thoth::postgres {

namespace {

// Sum and max of every sample of a family; false when the family is absent.
bool Aggregate(const Families& families, const std::string& name, double* sum, double* max) {
  bool found = false;
  *sum = 0;
  *max = 0;
  for (const Family& f : families) {
    if (f.name != name) continue;
    for (std::size_t i = 0; i < f.size(); ++i) {
      const double v = f.Value(i);
      *sum += v;
      *max = found ? std::max(*max, v) : v;
      found = true;
    }
  }
  return found;
}

std::string Percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", ratio * 100);
  return buf;
}

}  // namespace

void PostgresChecks(const std::string& collector, const std::string& target,
                    const Families& families, bool success, const Thresholds& thresholds,
                    std::vector<HealthCheck>& out) {
  double up = 0;
  const bool have_up = FindSample(families, "pg_up", {}, &up);
  if (!have_up || up != 1) {
    out.push_back({collector, target, "PostgreSQL reachable", "no", "up", Severity::kCritical});
    return;
  }
  double ping = 0;
  std::string value = "yes";
  if (FindSample(families, "pg_ping_duration_seconds", {}, &ping)) {
    value += " (ping " + FormatNumber(ping * 1000) + " ms)";
  }
  out.push_back({collector, target, "PostgreSQL reachable", value, "up",
                 success ? Severity::kOk : Severity::kWarning});

  double connections = 0, unused = 0, limit = 0;
  if (Aggregate(families, "pg_stat_activity_count", &connections, &unused) &&
      FindSample(families, "pg_connections_limit", {}, &limit) && limit > 0) {
    const double ratio = connections / limit;
    out.push_back(
        {collector, target, "connections",
         FormatNumber(connections) + " / " + FormatNumber(limit) + " (" + Percent(ratio) + ")",
         "> " + Percent(thresholds.db_connections_ratio.warning) + " warn, > " +
             Percent(thresholds.db_connections_ratio.critical) + " crit",
         Grade(ratio, thresholds.db_connections_ratio)});
  }

  double count = 0, oldest = 0, max_count = 0, unused_sum = 0;
  if (Aggregate(families, "pg_stat_activity_long_running_queries", &count, &max_count) &&
      Aggregate(families, "pg_stat_activity_oldest_query_seconds", &unused_sum, &oldest)) {
    const bool over = oldest > thresholds.long_running_query_seconds;
    std::string v = FormatNumber(count);
    if (oldest > 0) v += " (oldest " + FormatNumber(oldest) + " s)";
    out.push_back({collector, target, "long-running queries", v,
                   "> " + FormatNumber(thresholds.long_running_query_seconds) + " s",
                   over || count > 0 ? Severity::kWarning : Severity::kOk});
  }
}

}  // namespace thoth::postgres

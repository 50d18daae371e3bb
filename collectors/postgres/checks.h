#pragma once

#include <string>
#include <vector>

#include "exporter/health_check.h"
#include "exporter/metric_sink.h"
#include "exporter/thresholds.h"

namespace thoth::postgres {

// The --once rows of one PostgreSQL target, judged from the families of its last collection:
// - "reachable": pg_up (CRITICAL when down; the other rows are left out then, having no data);
// - "connections": sum(pg_stat_activity_count) / pg_connections_limit against
//   db_connections_ratio;
// - "long-running queries": active queries older than long_running_query_seconds (WARNING).
void PostgresChecks(const std::string& collector, const std::string& target,
                    const Families& families, bool success, const Thresholds& thresholds,
                    std::vector<HealthCheck>& out);

}  // namespace thoth::postgres

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "collectors/postgres/query_result.h"
#include "exporter/metric_sink.h"

namespace thoth::postgres {

// Every numeric and boolean server setting, with pg_conf_load_time() as text in every row
// (conf_load_time). Given the conf_load_time of an earlier read, returns no rows unless the
// configuration was reloaded since: settings change only with a reload (or a restart).
std::string SettingsSql(const std::string& unless_loaded_at = "");

// pg_settings_<name> as postgres_exporter names it: '.' and '-' become '_', a setting with a
// time unit is converted to seconds and gets `_seconds`, one with a memory unit to bytes and
// gets `_bytes`; booleans are 1/0; -1 (the "disabled" value) is kept as is.
struct SettingMetric {
  std::string name;
  std::string help;
  double value = 0;
};
// nullopt when the row is not a number (or has a unit postgres_exporter does not know).
std::optional<SettingMetric> NormalizeSetting(std::string_view name, std::string_view setting,
                                              std::string_view unit, std::string_view vartype);

// Writes pg_settings_* from the rows of SettingsSql().
void EmitSettings(const QueryResult& settings, MetricSink& sink);

// The pool the connection-ratio alert divides by: pool_size when configured, else
// max_connections - superuser_reserved_connections - reserved_connections (PostgreSQL 16+).
// nullopt when the settings are unreadable.
std::optional<double> ConnectionsLimit(const QueryResult& settings,
                                       std::optional<std::int64_t> pool_size);

}  // namespace thoth::postgres

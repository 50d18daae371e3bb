#include "collectors/postgres/settings.h"

#include "collectors/postgres/config.h"

namespace thoth::postgres {

std::string SettingsSql(const std::string& unless_loaded_at) {
  std::string sql =
      "SELECT name, setting, COALESCE(unit, '') AS unit, vartype, "
      "pg_catalog.pg_conf_load_time()::text AS conf_load_time FROM pg_catalog.pg_settings "
      "WHERE vartype IN ('bool', 'integer', 'real')";
  // No column of pg_settings in the condition: the planner evaluates it once, before the scan.
  if (!unless_loaded_at.empty()) {
    sql += " AND pg_catalog.pg_conf_load_time()::text <> " + QuoteLiteral(unless_loaded_at);
  }
  return sql + " ORDER BY name";
}

namespace {

// Multipliers of PostgreSQL's setting units (postgres_exporter's table).
struct Unit {
  std::string_view unit;
  std::string_view suffix;
  double factor;
};
constexpr Unit kUnits[] = {
    {"ms", "seconds", 1e-3},
    {"s", "seconds", 1},
    {"min", "seconds", 60},
    {"h", "seconds", 3600},
    {"d", "seconds", 86400},
    {"B", "bytes", 1},
    {"kB", "bytes", 1024.0},
    {"MB", "bytes", 1024.0 * 1024},
    {"GB", "bytes", 1024.0 * 1024 * 1024},
    {"TB", "bytes", 1024.0 * 1024 * 1024 * 1024},
    {"1kB", "bytes", 1024.0},
    {"2kB", "bytes", 2048.0},
    {"4kB", "bytes", 4096.0},
    {"8kB", "bytes", 8192.0},
    {"16kB", "bytes", 16384.0},
    {"32kB", "bytes", 32768.0},
    {"64kB", "bytes", 65536.0},
    {"16MB", "bytes", 16.0 * 1024 * 1024},
    {"32MB", "bytes", 32.0 * 1024 * 1024},
    {"64MB", "bytes", 64.0 * 1024 * 1024},
};

std::string MetricName(std::string_view setting_name) {
  std::string out = "pg_settings_";
  for (char c : setting_name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += ok ? c : '_';
  }
  return out;
}

}  // namespace

std::optional<SettingMetric> NormalizeSetting(std::string_view name, std::string_view setting,
                                              std::string_view unit, std::string_view vartype) {
  if (name.empty()) return std::nullopt;
  SettingMetric m;
  m.name = MetricName(name);
  m.help = "Server Parameter: " + std::string(name);
  if (vartype == "bool") {
    m.value = setting == "on" ? 1 : 0;
    return m;
  }
  if (vartype != "integer" && vartype != "real") return std::nullopt;
  auto value = ParseNumber(setting);
  if (!value) return std::nullopt;
  m.value = *value;
  if (unit.empty()) return m;
  for (const auto& u : kUnits) {
    if (u.unit != unit) continue;
    if (m.value != -1) m.value *= u.factor;
    m.name += '_';
    m.name += u.suffix;
    m.help += " [Units converted to " + std::string(u.suffix) + ".]";
    return m;
  }
  return std::nullopt;
}

void EmitSettings(const QueryResult& settings, MetricSink& sink) {
  const int name = settings.Column("name"), setting = settings.Column("setting"),
            unit = settings.Column("unit"), vartype = settings.Column("vartype");
  if (name < 0 || setting < 0 || unit < 0 || vartype < 0) return;
  for (const auto& row : settings.rows) {
    const auto& n = row[static_cast<size_t>(name)];
    const auto& s = row[static_cast<size_t>(setting)];
    const auto& u = row[static_cast<size_t>(unit)];
    const auto& v = row[static_cast<size_t>(vartype)];
    if (!n || !s || !v) continue;
    auto m = NormalizeSetting(*n, *s, u.value_or(""), *v);
    if (!m) continue;
    // promtool reserves these suffixes for histograms and summaries (tcp_keepalives_count).
    const std::string_view name_view = m->name;
    if (name_view.ends_with("_count") || name_view.ends_with("_sum") ||
        name_view.ends_with("_bucket")) {
      sink.Untyped(m->name, m->help, {}, m->value);
    } else {
      sink.Gauge(m->name, m->help, {}, m->value);
    }
  }
}

std::optional<double> ConnectionsLimit(const QueryResult& settings,
                                       std::optional<std::int64_t> pool_size) {
  if (pool_size) return static_cast<double>(*pool_size);
  std::optional<double> max, superuser, reserved;
  const int name = settings.Column("name"), setting = settings.Column("setting");
  if (name < 0 || setting < 0) return std::nullopt;
  for (const auto& row : settings.rows) {
    const auto& n = row[static_cast<size_t>(name)];
    if (!n) continue;
    if (*n == "max_connections") max = ParseNumber(row[static_cast<size_t>(setting)]);
    if (*n == "superuser_reserved_connections") {
      superuser = ParseNumber(row[static_cast<size_t>(setting)]);
    }
    if (*n == "reserved_connections") reserved = ParseNumber(row[static_cast<size_t>(setting)]);
  }
  if (!max) return std::nullopt;
  const double limit = *max - superuser.value_or(0) - reserved.value_or(0);
  return limit > 0 ? limit : *max;
}

}  // namespace thoth::postgres

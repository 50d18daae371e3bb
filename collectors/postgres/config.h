#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collectors/postgres/dsn.h"
#include "exporter/config_reader.h"

namespace thoth::postgres {

// One operator-defined query of `queries:`, exported as pg_query_<name>.
struct OperatorQuery {
  std::string name;
  std::string sql;
  std::string database;    // "" = the DSN's database
  double ttl_seconds = 0;  // 0 = run at every scrape
  double timeout_seconds = 5;
};

// How bloat is obtained: kAuto measures with pgstattuple where installed and usable, else
// estimates; kEstimate always estimates from the catalogs.
enum class BloatMethod { kAuto, kEstimate };

// One validated entry of the `postgres:` section. Holds secrets (dsn, password): never print
// it; Scrub(text, DsnSecrets(dsn)) hides the DSN's passwords in a message.
struct TargetConfig {
  std::string name;
  std::string dsn;
  ConnParams dsn_params;                // the DSN parsed by libpq
  std::optional<std::string> password;  // from password / password_file
  std::optional<std::int64_t> pool_size;
  bool all_databases = false;          // databases: all
  std::vector<std::string> databases;  // a list; empty and !all = the DSN's database only
  SessionSettings session;
  int statements_top = 20;             // 0 = pg_stat_statements per query off
  bool statements_query_text = false;  // pg_stat_statements_query_id{queryid,query}
  int statements_query_length = 120;   // characters of query text kept
  int tables_limit = 500;
  std::string tables_include;            // PostgreSQL regex on "schema.table"; "" = all
  std::string tables_exclude;            // "" = none
  double tables_ttl_seconds = 0;         // counters (0 = read at every scrape)
  double tables_sizes_ttl_seconds = 60;  // which tables, and their exact sizes
  bool bloat_enabled = true;
  double bloat_ttl_seconds = 300;
  BloatMethod bloat_method = BloatMethod::kAuto;
  int bloat_tables = 20;                   // pgstattuple: the largest N tables only
  double bloat_budget_seconds = 2;         // a refresh past this is cancelled; the cache is served
  double database_sizes_ttl_seconds = 60;  // pg_database_size (0 = read at every scrape)
  double settings_ttl_seconds = 600;       // pg_settings at the latest (else after a reload)
  std::vector<OperatorQuery> queries;
};

// Reads and validates the `postgres:` section of the root (absent or null = no targets).
// Throws ConfigError naming file, line, column and key; the error never quotes a password.
std::vector<TargetConfig> ParseSection(const ConfigNode& root);

// A literal for SQL text: E'...' with quotes and backslashes escaped. Input must not contain NUL.
std::string QuoteLiteral(std::string_view text);

}  // namespace thoth::postgres

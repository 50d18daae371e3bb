#pragma once

#include <string>
#include <vector>

#include "collectors/postgres/query_result.h"
#include "exporter/metric_sink.h"

namespace thoth::postgres {

// Which user tables get per-table series.
struct TableSelection {
  int limit = 500;
  std::string include;  // PostgreSQL regex on "schema.table"; "" = every table
  std::string exclude;  // "" = none
};

// One query for the whole database: pg_stat_user_tables joined with table and index sizes,
// filtered, ordered by total size (largest first, then by name so the cut is stable) and cut to
// the limit on the server, with the number of tables that matched the filters in `total`. No
// per-table round trips, however many tables there are.
std::string TablesSql(const TableSelection& selection);

// pg_stat_user_tables_*{datname,schemaname,relname} and pg_stat_user_tables_omitted{datname}.
// Returns the relids of the tables written (for the index and bloat queries).
std::vector<std::string> EmitTables(const QueryResult& rows, const std::string& datname,
                                    MetricSink& sink);

// Indexes of the given tables, primary keys excluded, with scans and size.
std::string IndexesSql(const std::vector<std::string>& relids);
// pg_stat_user_indexes_scans_total and pg_stat_user_indexes_size_bytes
// {datname,schemaname,relname,indexrelname}.
void EmitIndexes(const QueryResult& rows, const std::string& datname, MetricSink& sink);

// '{1,2,3}'::oid[] from numeric relids (anything else is dropped, so that nothing but digits
// reaches the SQL text).
std::string OidArray(const std::vector<std::string>& relids);

}  // namespace thoth::postgres

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

// Per-table statistics come from two queries. The first chooses the tables and reads their
// exact sizes: from the catalog, filtered, the largest `limit` by page counts, ordered by exact
// size (largest first, then by name so the cut is stable), with the number of tables that
// matched the filters in `total`; with limit 0 only the count (relid NULL). It is the expensive
// one on large schemas, so its result can be kept for tables.sizes_ttl. The second reads the
// counters of the chosen tables at every scrape. No per-table round trips.
std::string ChooseTablesSql(const TableSelection& selection);
// The relids of a ChooseTablesSql result.
std::vector<std::string> ChosenRelids(const QueryResult& chosen);
// pg_stat_user_tables for the given relids.
std::string TableStatsSql(const std::vector<std::string>& relids);
// The statistics rows in the order of the chosen ones, each with the chosen row's table_size,
// index_size and total appended: what EmitTables reads. Chosen tables without statistics (dropped
// since) are left out.
// The statistics rows are moved, not copied.
QueryResult JoinTableRows(const QueryResult& chosen, QueryResult&& stats);

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

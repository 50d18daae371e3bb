#pragma once

#include <string>
#include <vector>

#include "collectors/postgres/query_result.h"
#include "exporter/metric_sink.h"

namespace thoth::postgres {

// Statistical bloat estimates from the catalogs alone (pg_class, pg_attribute, pg_stats): the
// widely used approach of ioguix/pgsql-bloat-estimation. It needs no extension and no superuser,
// but pg_stats shows a table's columns only to roles that may read them, so tables whose
// statistics are hidden (or missing: never analyzed) are marked and left out rather than
// reported wrong. Restricted to the given tables (the per-table selection).
std::string TableBloatSql(const std::vector<std::string>& relids);
// B-tree indexes of the given tables.
std::string IndexBloatSql(const std::vector<std::string>& relids);

// Measured bloat, for roles that may not read the tables (pg_monitor includes
// pg_stat_scan_tables, which may call these): the quoted schema of the pgstattuple extension
// when it is installed in this database and this role may execute pgstattuple_approx and
// pgstatindex (no row otherwise).
std::string PgstattupleSchemaSql();
// Rows shaped like TableBloatSql's from pgstattuple_approx (a visibility-map-guided sample: it
// reads only the pages not all-visible). Give it the largest tables only.
std::string TableBloatApproxSql(const std::string& schema, const std::vector<std::string>& relids);
// Rows shaped like IndexBloatSql's from pgstatindex (reads the whole index) for the b-tree
// indexes of the given tables: bloat is the leaf density missing from the fillfactor.
std::string IndexBloatPgstatindexSql(const std::string& schema,
                                     const std::vector<std::string>& relids);
// pg_bloat_method_info{datname,method} 1, method "pgstattuple" or "estimate".
void EmitBloatMethod(const std::string& method, const std::string& datname, MetricSink& sink);

// pg_table_bloat_bytes / pg_table_bloat_ratio{datname,schemaname,relname}. Returns how many
// tables could not be estimated (hidden or missing statistics).
int EmitTableBloat(const QueryResult& rows, const std::string& datname, MetricSink& sink);
// pg_index_bloat_bytes / pg_index_bloat_ratio{datname,schemaname,relname,indexrelname}.
void EmitIndexBloat(const QueryResult& rows, const std::string& datname, MetricSink& sink);

}  // namespace thoth::postgres

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

// pg_table_bloat_bytes / pg_table_bloat_ratio{datname,schemaname,relname}. Returns how many
// tables could not be estimated (hidden or missing statistics).
int EmitTableBloat(const QueryResult& rows, const std::string& datname, MetricSink& sink);
// pg_index_bloat_bytes / pg_index_bloat_ratio{datname,schemaname,relname,indexrelname}.
void EmitIndexBloat(const QueryResult& rows, const std::string& datname, MetricSink& sink);

}  // namespace thoth::postgres

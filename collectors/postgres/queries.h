#pragma once

#include <string>

#include "collectors/postgres/query_result.h"
#include "exporter/metric_sink.h"
#include "exporter/status.h"

namespace thoth::postgres {

// Writes pg_query_<name> from the rows of an operator-defined query. The value is the column
// named `value`, or the only column; every other column becomes a label of that name (NULL = "").
// Rows whose value is NULL or not a number are skipped, and a repeated label set keeps its first
// row, so the output is always valid exposition. Returns an error (writing nothing) when there
// is no value column or a column name cannot be a label.
Status EmitOperatorQuery(const std::string& name, double ttl_seconds, const QueryResult& rows,
                         MetricSink& sink);

}  // namespace thoth::postgres

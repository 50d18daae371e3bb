#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/postgres/query_result.h"
#include "exporter/metric_sink.h"

namespace thoth::postgres {

// The heaviest statements by total execution time, aggregated over (user, database, queryid)
// (PostgreSQL 14+ splits a queryid by `toplevel`), `candidates` rows at most. `schema` is the
// quoted schema of the extension; PostgreSQL 13+ names the time column total_exec_time, older
// ones total_time. query_length 0: without the query texts (pg_stat_statements(false), which
// does not read them from their file).
std::string StatementsSql(const std::string& schema, int server_version_num, int candidates,
                          int query_length);

// Statements per database whose mean execution time exceeds threshold_seconds; every database
// listed (0 when none).
std::string SlowQueriesSql(const std::string& schema, int server_version_num,
                           double threshold_seconds);
// pg_slow_queries{datname}.
void EmitSlowQueries(const QueryResult& rows, double threshold_seconds, MetricSink& sink);

// Keeps the exported set of statements bounded (at most `top`) and steady: a statement that
// was shown stays while it is among the candidates (the top 2N by time), and a newcomer takes
// the place of the weakest shown one only when it beats it by a clear margin. So two statements
// of about the same weight cannot swap places at every scrape and churn series.
class TopStatements {
 public:
  struct Candidate {
    std::string key;  // user \x1f datname \x1f queryid
    double seconds = 0;
  };

  explicit TopStatements(size_t top, double margin = 1.2) : top_(top), margin_(margin) {}

  // candidates in any order; returns the keys to export now (and remembers them).
  std::vector<std::string> Select(const std::vector<Candidate>& candidates);

 private:
  size_t top_;
  double margin_;
  std::vector<std::string> shown_;
};

// pg_stat_statements_{calls,seconds,rows}_total{datname,user,queryid} for the selected rows of
// StatementsSql(), and pg_stat_statements_query_id{queryid,query} when with_text.
void EmitStatements(const QueryResult& rows, TopStatements& top, bool with_text,
                    size_t query_length, MetricSink& sink);

// Query text for a label: whitespace runs collapsed to one space, cut to at most max_chars
// characters without splitting a UTF-8 sequence (invalid bytes dropped), "..." when cut.
std::string TruncateQueryText(std::string_view text, size_t max_chars);

}  // namespace thoth::postgres

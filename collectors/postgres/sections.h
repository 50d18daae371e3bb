#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "collectors/postgres/query_result.h"
#include "collectors/postgres/session.h"
#include "exporter/collector.h"
#include "exporter/metric_sink.h"
#include "exporter/ttl_cache.h"

namespace thoth::postgres {

// A session to one database with its reconnect backoff and what it learnt once.
struct Session {
  std::unique_ptr<DbSession> conn;
  // Whether the session sends a scrape's statements in one pipeline; cleared for the rest of
  // the session when the server cannot pipeline (one statement at a time then).
  bool pipeline = true;
  int failures = 0;
  Clock::time_point next_attempt{};
  std::string last_error;
  // Read once per session: version and start time (ServerIdentitySql).
  std::optional<QueryResult> identity;
  // The quoted schema of pg_stat_statements as last seen (nullopt: not installed).
  std::optional<std::string> pgss_schema;
};

// Everything one collection accumulates besides the metrics.
struct Run {
  Clock::time_point deadline;
  std::vector<std::string> errors;
  CacheAge age;
};

// One section of a collection: a statement, what to do with its rows, and how to write them.
// A collection is a table of sections; the runner sends the due ones in one round trip and
// then calls ok or failed for each, in table order, after which the caller calls every emit,
// in table order (so the output keeps its order however the statements were sent).
struct Section {
  std::string name;  // in logs and errors: "pg_settings", "table bloat (database app)"
  std::string sql;   // "" = nothing to read this scrape (emit serves a cache, or a constant)
  // A refresh of cached figures (database sizes, bloat): sent after the others with a
  // statement_timeout of at most half the time left (and budget_seconds when > 0); when it is
  // cancelled or waits on a lock, the cached figures are served and no error is recorded.
  bool refresh = false;
  double budget_seconds = 0;
  // When set, receives the seconds from sending the statement to its answer (the ping).
  double* seconds = nullptr;
  std::function<void(QueryResult&)> ok;
  // A server error with the session kept (not a refresh's timeout); returns true when handled
  // (nothing recorded).
  std::function<bool(const std::string& message)> failed;
  std::function<void(MetricSink&)> emit;
};

// A section that writes its rows with emit when the statement succeeded.
Section Plain(std::string name, std::string sql,
              std::function<void(const QueryResult&, MetricSink&)> emit);
// A section with no statement.
Section Constant(std::function<void(MetricSink&)> emit);
// A section whose rows are kept in *cache for ttl seconds (0 = read at every scrape); the
// cached rows are written, with their age noted in run, while fresh or while a refresh fails.
Section CachedSection(std::string name, std::string sql, TtlCache<QueryResult>* cache,
                      double ttl_seconds, Run& run,
                      std::function<void(const QueryResult&, MetricSink&)> emit);

// Runs statements on sessions with the server-side statement_timeout set to what is left of the
// deadline, so that a slow statement is cancelled by the server, keeping the session, before the
// client has to give up on it and drop the session.
class SectionRunner {
 public:
  SectionRunner() = default;
  SectionRunner(std::string target, double statement_timeout_seconds,
                const std::vector<std::string>* secrets, std::set<std::string>* warned)
      : target_(std::move(target)),
        statement_timeout_seconds_(statement_timeout_seconds),
        secrets_(secrets),
        warned_(warned) {}

  // One simple-query message (sql may hold several statements), capped by cap_seconds.
  Status Query(Session& s, const std::string& sql, Clock::time_point deadline, QueryResult* out,
               std::string* sqlstate, double cap_seconds = 0);

  // Runs the due sections of the table: in one pipeline when the session can, else one at a
  // time. A section the role may not read (42501) is logged once and skipped; other server
  // errors are recorded in run.errors, prefixed with the section's name. Returns false when the
  // session was lost (recorded under `what` when no section was answered).
  bool Execute(Session& s, const std::string& what, std::vector<Section>& sections, Run& run);

 private:
  // The statement_timeout for what is left before the deadline, in ms; 0 when no time is left.
  long TimeoutMs(Clock::time_point deadline, double cap_seconds) const;
  Status Pipelined(Session& s, std::vector<Section>& sections, Run& run,
                   std::vector<Reply>* replies);
  void OneByOne(Session& s, std::vector<Section>& sections, Run& run, std::vector<Reply>* replies);
  // Calls ok or failed; false when the session is lost.
  bool Finish(Session& s, Section& section, Reply& reply, Run& run);
  void Lost(Session& s, const std::string& message);
  void WarnOnce(const std::string& key, const std::string& message);

  std::string target_;
  double statement_timeout_seconds_ = 10;
  const std::vector<std::string>* secrets_ = nullptr;
  std::set<std::string>* warned_ = nullptr;
};

// Seconds of a duration.
double Seconds(Clock::duration d);

// Row 0 of a and row 0 of b side by side (for a section split into a once-per-session part and
// a per-scrape part). Empty when either has no row.
QueryResult JoinColumns(const QueryResult& a, const QueryResult& b);

}  // namespace thoth::postgres

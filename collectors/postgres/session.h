#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collectors/postgres/dsn.h"
#include "collectors/postgres/query_result.h"
#include "exporter/collector.h"
#include "exporter/status.h"

namespace thoth::postgres {

// Why a connection attempt failed, as far as the exporter's error codes care.
enum class ConnectFailure {
  kNone,
  kUnreachable,  // refused, no route, unknown host, server starting/stopping, no slot: MEM-001
  kTimeout,      // no answer before the deadline: MEM-001
  kAuth,         // password/role rejected: MEM-007
  kOther,        // anything else (no such database, bad option, TLS): no error code
};

// The reply to one statement of a pipeline.
struct Reply {
  Status status;         // the statement's own outcome
  std::string sqlstate;  // of a server error, else ""
  QueryResult rows;      // when it returned rows
  double seconds = 0;    // from sending the pipeline to this statement's first answer
};

// One statement of a pipeline. `repeats`: the same text is sent at every scrape (a section's
// query, unlike the statement timeout that follows the deadline), so a session may keep it parsed
// and planned on the server and only execute it the next times.
struct Statement {
  std::string sql;
  bool repeats = false;
};

// One session to one database, as the collector uses it: PgConnection on a server, a fake that
// replays recorded results in unit tests. Every call is bounded by the deadline it is given; a
// passed deadline or a lost connection closes the session (connected() tells).
class DbSession {
 public:
  virtual ~DbSession() = default;

  virtual bool connected() const = 0;
  // Opens the session (closing any previous one first). On failure *failure says why.
  virtual Status Connect(const ConnParams& params, Clock::time_point deadline,
                         ConnectFailure* failure) = 0;
  // Runs sql (one or more statements in one simple-query message) and returns the last result
  // that has rows. Server errors keep the session and set *sqlstate.
  virtual Status Query(const std::string& sql, Clock::time_point deadline, QueryResult* out,
                       std::string* sqlstate = nullptr) = 0;
  // Sends every statement at once and then reads every reply: one round trip. Each statement
  // runs on its own (pipeline mode with a sync after each), so one that fails, say a view the
  // role may not read, does not stop the others: its Reply says so. Returns an error (and no
  // replies) when the session is lost or the deadline passes (both close it), or when the session
  // cannot pipeline (it stays open: the caller then sends one statement at a time).
  virtual Status Pipeline(const std::vector<Statement>& statements, Clock::time_point deadline,
                          std::vector<Reply>* replies) = 0;

  // PQserverVersion (e.g. 150020) and the database of the open session.
  virtual int server_version() const = 0;
  virtual const std::string& database() const = 0;
  // Whether the last call failed because its deadline passed.
  virtual bool timed_out() const = 0;
  // Drops the session without waiting.
  virtual void Close() = 0;
};

using SessionFactory = std::function<std::unique_ptr<DbSession>()>;

}  // namespace thoth::postgres

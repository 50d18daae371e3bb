#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "collectors/postgres/dsn.h"
#include "collectors/postgres/query_result.h"
#include "exporter/collector.h"
#include "exporter/status.h"

struct pg_conn;

namespace thoth::postgres {

// Why a connection attempt failed, as far as the exporter's error codes care.
enum class ConnectFailure {
  kNone,
  kUnreachable,  // refused, no route, unknown host, server starting/stopping, no slot: MEM-001
  kTimeout,      // no answer before the deadline: MEM-001
  kAuth,         // password/role rejected: MEM-007
  kOther,        // anything else (no such database, bad option, TLS): no error code
};

// Classifies libpq's connection error text (English server messages and libpq's own).
ConnectFailure ClassifyConnectError(std::string_view message);

// Collapses libpq's multi-line "FATAL:  ...\nDETAIL: ..." into one line.
std::string OneLine(std::string_view message);

// One libpq session, driven with libpq's asynchronous calls (PQconnectStartParams and
// PQconnectPoll, PQsendQuery and PQconsumeInput) and poll(2) on its socket, so that no call
// waits past the deadline it is given, even on a server that accepts connections and then stops
// answering (SIGSTOP). When a deadline passes, the session is closed: the exporter never leaves
// a half-read result behind, and never holds more than this one socket.
//
// Not thread-safe; owned by one collector whose Collect is never concurrent.
class PgConnection {
 public:
  PgConnection() = default;
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  bool connected() const { return conn_ != nullptr; }

  // Opens the session (closing any previous one first). On failure *failure says why, and the
  // returned message is libpq's, in one line (it never contains the password: libpq does not
  // echo it, and callers scrub their secrets from it as well).
  Status Connect(const ConnParams& params, Clock::time_point deadline, ConnectFailure* failure);

  // Runs sql (one or more statements in one simple-query message) and returns the last result
  // that has rows. Server errors keep the session and set *sqlstate; a passed deadline or a lost
  // connection closes it (sqlstate stays empty; connected() tells).
  Status Query(const std::string& sql, Clock::time_point deadline, QueryResult* out,
               std::string* sqlstate = nullptr);
  // Like Query, but returns every statement's rows, in order (statements without rows give an
  // empty result): several statements for one round trip. The server runs them in one implicit
  // transaction, so an error stops the ones after it; the status is then that error's.
  Status QueryEach(const std::string& sql, Clock::time_point deadline,
                   std::vector<QueryResult>* outs, std::string* sqlstate = nullptr);

  // PQserverVersion (e.g. 150020), the database and the user of the open session.
  int server_version() const { return server_version_; }
  const std::string& database() const { return database_; }
  const std::string& user() const { return user_; }

  // Whether the last Connect or Query failed because its deadline passed (as opposed to a
  // refused or lost connection).
  bool timed_out() const { return timed_out_; }

  // Drops the session without waiting (the socket is non-blocking).
  void Close();

 private:
  // Waits until the socket is readable (and writable if `write`), or the deadline. false on
  // timeout or error.
  bool Wait(bool write, Clock::time_point deadline);
  // Sends sql and reads every result into *outs (one per statement). When last_only, keeps only
  // the last result that has rows, in (*outs)[0].
  Status Run(const std::string& sql, Clock::time_point deadline, std::vector<QueryResult>* outs,
             bool last_only, std::string* sqlstate);

  pg_conn* conn_ = nullptr;
  int server_version_ = 0;
  bool timed_out_ = false;
  std::string database_;
  std::string user_;
};

}  // namespace thoth::postgres

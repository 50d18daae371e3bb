#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "collectors/postgres/dsn.h"
#include "collectors/postgres/query_result.h"
#include "collectors/postgres/session.h"
#include "exporter/collector.h"
#include "exporter/status.h"

struct pg_conn;
struct pg_result;

namespace thoth::postgres {

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
// Pipeline sends a scrape's statements in libpq's pipeline mode (extended query protocol, a
// sync after each), so that they cost one round trip and fail one by one.
//
// Not thread-safe; owned by one collector whose Collect is never concurrent.
class PgConnection : public DbSession {
 public:
  PgConnection() = default;
  ~PgConnection() override;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  bool connected() const override { return conn_ != nullptr; }

  // Opens the session (closing any previous one first). On failure *failure says why, and the
  // returned message is libpq's, in one line (it never contains the password: libpq does not
  // echo it, and callers scrub their secrets from it as well).
  Status Connect(const ConnParams& params, Clock::time_point deadline,
                 ConnectFailure* failure) override;

  // Runs sql (one or more statements in one simple-query message) and returns the last result
  // that has rows. Server errors keep the session and set *sqlstate; a passed deadline or a lost
  // connection closes it (sqlstate stays empty; connected() tells).
  Status Query(const std::string& sql, Clock::time_point deadline, QueryResult* out,
               std::string* sqlstate = nullptr) override;
  // Like Query, but returns every statement's rows, in order (statements without rows give an
  // empty result): several statements for one round trip. The server runs them in one implicit
  // transaction, so an error stops the ones after it; the status is then that error's.
  Status QueryEach(const std::string& sql, Clock::time_point deadline,
                   std::vector<QueryResult>* outs, std::string* sqlstate = nullptr);
  Status Pipeline(const std::vector<std::string>& statements, Clock::time_point deadline,
                  std::vector<Reply>* replies) override;

  // PQserverVersion (e.g. 150020), the database and the user of the open session.
  int server_version() const override { return server_version_; }
  const std::string& database() const override { return database_; }
  const std::string& user() const { return user_; }

  // Whether the last Connect or Query failed because its deadline passed (as opposed to a
  // refused or lost connection).
  bool timed_out() const override { return timed_out_; }

  // Drops the session without waiting (the socket is non-blocking).
  void Close() override;

 private:
  // Waits until the socket is readable (and writable if `write`), or the deadline. false on
  // timeout or error.
  bool Wait(bool write, Clock::time_point deadline);
  // Sends sql and reads every result into *outs (one per statement). When last_only, keeps only
  // the last result that has rows, in (*outs)[0].
  Status Run(const std::string& sql, Clock::time_point deadline, std::vector<QueryResult>* outs,
             bool last_only, std::string* sqlstate);
  // Pushes what was sent to the server. An error on a timeout or a lost connection (the session
  // stays open: the caller closes it).
  Status Flush(Clock::time_point deadline);
  // The next result (nullptr between statements and at the end), waiting for it; an error on a
  // timeout or a lost connection, as Flush.
  StatusOr<pg_result*> NextResult(Clock::time_point deadline);
  // One result's rows, or its error (*primary: the server's message alone).
  static Status Take(pg_result* res, QueryResult* out, std::string* sqlstate,
                     std::string* primary = nullptr);
  // Closes the session and returns message as the error.
  Status Lost(std::string message);

  pg_conn* conn_ = nullptr;
  int server_version_ = 0;
  bool timed_out_ = false;
  std::string database_;
  std::string user_;
};

}  // namespace thoth::postgres

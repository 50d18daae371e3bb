#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
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
// sync after each), so that they cost one round trip and fail one by one. A statement that
// repeats is prepared (parsed and planned) once per session and then only executed: planning the
// catalog views' joins took three times as long on the server as running them (1.5 of 2 ms per
// scrape on a small database). At most kMaxPrepared stay prepared; one unused for a few scrapes
// is deallocated to make room for a new one. Should the server forget them (a pooler in transaction
// mode hands each transaction another server session; DISCARD ALL), the session sends the text
// again from then on.
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
  Status Pipeline(const std::vector<Statement>& statements, Clock::time_point deadline,
                  std::vector<Reply>* replies) override;

  // How many statements this session keeps prepared.
  size_t prepared_count() const { return prepared_.size(); }
  static constexpr size_t kMaxPrepared = 32;
  // A prepared statement unused for this many pipelines (a few scrapes) may be deallocated.
  static constexpr std::uint64_t kKeepPipelines = 8;

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
  // What one sync-terminated part of a pipeline holds.
  struct Segment {
    int reply = -1;           // index into the replies; -1: the session's own (DEALLOCATE)
    std::string prepare_sql;  // prepared in this segment: recorded when the server accepts it
    std::string prepare_name;
    bool prepare_pending = false;  // its first result is the prepare's
    bool executes_prepared = false;
  };
  struct Prepared {
    std::string name;
    std::uint64_t used = 0;  // the pipeline that last executed it
  };

  // Sends one pipeline and reads its replies. *forgotten: a prepared statement was unknown to
  // the server.
  Status SendPipeline(const std::vector<Statement>& statements, Clock::time_point deadline,
                      std::vector<Reply>* replies, bool* forgotten);
  // Its two halves: every statement (prepared, executed or sent as text) with a sync after
  // each, and then every result, sync by sync.
  Status SendStatements(const std::vector<Statement>& statements, std::uint64_t pipeline,
                        std::vector<Segment>* segments);
  Status ReadReplies(std::vector<Segment>& segments, std::uint64_t pipeline,
                     Clock::time_point deadline, Clock::time_point start,
                     std::vector<Reply>* replies, bool* forgotten);
  // Deallocates the least recently used prepared statement if it has not been used for
  // kKeepPipelines pipelines. false when none may go.
  bool MakeRoom(std::uint64_t pipeline, std::vector<Segment>* segments);

  pg_conn* conn_ = nullptr;
  int server_version_ = 0;
  bool timed_out_ = false;
  std::string database_;
  std::string user_;
  // Prepared statements of this session by text; emptied when it closes.
  std::unordered_map<std::string, Prepared> prepared_;
  std::uint64_t pipelines_ = 0;  // pipelines sent on this connection object
  std::uint64_t next_name_ = 0;  // thoth_<n>
  bool prepare_ = true;          // false once the server forgot a prepared statement
};

}  // namespace thoth::postgres

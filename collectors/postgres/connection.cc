#include "collectors/postgres/connection.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <vector>

#include "libpq-fe.h"

namespace thoth::postgres {

namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

ConnectFailure ClassifyConnectError(std::string_view m) {
  if (m.empty()) return ConnectFailure::kNone;
  // Authentication: the server's 28P01/28000 messages and libpq's missing-password message.
  if (Contains(m, "password authentication failed") || Contains(m, "authentication failed") ||
      Contains(m, "no password supplied") || Contains(m, "no pg_hba.conf entry") ||
      (Contains(m, "role \"") && Contains(m, "does not exist")) ||
      Contains(m, "is not permitted to log in") || Contains(m, "SCRAM authentication") ||
      Contains(m, "server requested a cleartext password")) {
    return ConnectFailure::kAuth;
  }
  if (Contains(m, "timeout expired") || Contains(m, "timed out") ||
      Contains(m, "Connection timed out")) {
    return ConnectFailure::kTimeout;
  }
  if (Contains(m, "Connection refused") || Contains(m, "No such file or directory") ||
      Contains(m, "could not translate host name") || Contains(m, "No route to host") ||
      Contains(m, "Network is unreachable") || Contains(m, "Connection reset") ||
      Contains(m, "the database system is starting up") ||
      Contains(m, "the database system is shutting down") ||
      Contains(m, "the database system is in recovery mode") ||
      Contains(m, "the database system is not yet accepting connections") ||
      Contains(m, "too many clients already") || Contains(m, "remaining connection slots") ||
      Contains(m, "server closed the connection unexpectedly") ||
      Contains(m, "could not connect to server") ||
      Contains(m, "Cannot assign requested address")) {
    return ConnectFailure::kUnreachable;
  }
  return ConnectFailure::kOther;
}

std::string OneLine(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

PgConnection::~PgConnection() { Close(); }

void PgConnection::Close() {
  if (conn_ != nullptr) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  server_version_ = 0;
  database_.clear();
  user_.clear();
  prepared_.clear();
  prepare_ = true;
}

bool PgConnection::Wait(bool write, Clock::time_point deadline) {
  const int fd = PQsocket(conn_);
  if (fd < 0) return false;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, static_cast<short>(POLLIN | (write ? POLLOUT : 0)), 0};
    const int r = poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

Status PgConnection::Connect(const ConnParams& params, Clock::time_point deadline,
                             ConnectFailure* failure) {
  Close();
  timed_out_ = false;
  *failure = ConnectFailure::kNone;
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectStartParams(keys.data(), values.data(), 0);
  if (conn_ == nullptr) {
    *failure = ConnectFailure::kOther;
    return Status::Error("cannot allocate a libpq connection");
  }
  auto fail = [&](std::string message, ConnectFailure why) {
    *failure = why;
    Close();
    return Status::Error(std::move(message));
  };
  if (PQstatus(conn_) == CONNECTION_BAD) {
    std::string m = OneLine(PQerrorMessage(conn_));
    return fail(m, ClassifyConnectError(m));
  }
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      std::string m = OneLine(PQerrorMessage(conn_));
      return fail(m, ClassifyConnectError(m));
    }
    // The socket can change while libpq tries the next address of a host, so ask every time.
    if (!Wait(state == PGRES_POLLING_WRITING, deadline)) {
      timed_out_ = true;
      return fail("connection attempt timed out", ConnectFailure::kTimeout);
    }
    state = PQconnectPoll(conn_);
  }
  // From here on, nothing libpq does may block: PQfinish of a session whose server froze must
  // not wait to send its goodbye.
  if (PQsetnonblocking(conn_, 1) != 0) {
    return fail("cannot make the connection non-blocking", ConnectFailure::kOther);
  }
  server_version_ = PQserverVersion(conn_);
  database_ = PQdb(conn_) != nullptr ? PQdb(conn_) : "";
  user_ = PQuser(conn_) != nullptr ? PQuser(conn_) : "";
  return Status::Ok();
}

Status PgConnection::Query(const std::string& sql, Clock::time_point deadline, QueryResult* out,
                           std::string* sqlstate) {
  std::vector<QueryResult> outs;
  Status st = Run(sql, deadline, &outs, true, sqlstate);
  if (st.ok()) *out = std::move(outs.front());
  return st;
}

Status PgConnection::QueryEach(const std::string& sql, Clock::time_point deadline,
                               std::vector<QueryResult>* outs, std::string* sqlstate) {
  outs->clear();
  return Run(sql, deadline, outs, false, sqlstate);
}

Status PgConnection::Lost(std::string message) {
  Close();
  return Status::Error(std::move(message));
}

Status PgConnection::Run(const std::string& sql, Clock::time_point deadline,
                         std::vector<QueryResult>* outs, bool last_only, std::string* sqlstate) {
  if (sqlstate != nullptr) sqlstate->clear();
  if (last_only) outs->assign(1, QueryResult{});
  timed_out_ = false;
  if (conn_ == nullptr) return Status::Error("not connected");
  if (PQsendQuery(conn_, sql.c_str()) != 1) {
    return Lost("connection lost: " + OneLine(PQerrorMessage(conn_)));
  }
  if (Status flushed = Flush(deadline); !flushed.ok()) return Lost(flushed.message());
  Status first = Status::Ok();
  std::string first_state, first_primary;
  while (true) {
    StatusOr<PGresult*> next = NextResult(deadline);
    if (!next.ok()) return Lost(next.status().message());
    PGresult* res = next.value();
    if (res == nullptr) break;
    const bool tuples = PQresultStatus(res) == PGRES_TUPLES_OK;
    QueryResult rows;
    std::string state, primary;
    Status st = Take(res, &rows, &state, &primary);
    PQclear(res);
    if (!st.ok()) {
      if (first.ok()) {
        first = st;
        first_state = state;
        first_primary = primary;
      }
    } else if (tuples && last_only) {
      outs->front() = std::move(rows);
    } else if (!last_only) {
      outs->push_back(std::move(rows));
    }
  }
  if (PQstatus(conn_) == CONNECTION_BAD) {
    return Lost("connection lost: " +
                (first.ok() ? OneLine(PQerrorMessage(conn_)) : first_primary));
  }
  if (!first.ok() && sqlstate != nullptr) *sqlstate = first_state;
  return first;
}

Status PgConnection::Flush(Clock::time_point deadline) {
  // Push the query out; PQflush returns 1 while data remains.
  while (true) {
    const int r = PQflush(conn_);
    if (r == 0) return Status::Ok();
    if (r < 0) return Status::Error("connection lost: " + OneLine(PQerrorMessage(conn_)));
    if (!Wait(true, deadline)) {
      timed_out_ = true;
      return Status::Error("query timed out (no answer before the deadline)");
    }
    if (PQconsumeInput(conn_) != 1) {
      return Status::Error("connection lost: " + OneLine(PQerrorMessage(conn_)));
    }
  }
}

StatusOr<pg_result*> PgConnection::NextResult(Clock::time_point deadline) {
  while (PQisBusy(conn_) == 1) {
    if (!Wait(false, deadline)) {
      timed_out_ = true;
      return Status::Error("query timed out (no answer before the deadline)");
    }
    if (PQconsumeInput(conn_) != 1) {
      return Status::Error("connection lost: " + OneLine(PQerrorMessage(conn_)));
    }
  }
  return PQgetResult(conn_);
}

Status PgConnection::Pipeline(const std::vector<Statement>& statements, Clock::time_point deadline,
                              std::vector<Reply>* replies) {
  bool forgotten = false;
  Status st = SendPipeline(statements, deadline, replies, &forgotten);
  if (!st.ok() || !forgotten) return st;
  // The server no longer knows a statement this session prepared: it is not the session that
  // prepared it (a pooler such as PgBouncer in transaction mode) or it was discarded. Send the
  // text from now on, and once more now, so that this scrape loses nothing.
  prepare_ = false;
  prepared_.clear();
  return SendPipeline(statements, deadline, replies, &forgotten);
}

namespace {

constexpr char kUndefinedPreparedStatement[] = "26000";

}  // namespace

Status PgConnection::SendPipeline(const std::vector<Statement>& statements,
                                  Clock::time_point deadline, std::vector<Reply>* replies,
                                  bool* forgotten) {
  replies->clear();
  *forgotten = false;
  timed_out_ = false;
  if (conn_ == nullptr) return Status::Error("not connected");
  if (PQenterPipelineMode(conn_) != 1) {
    return Status::Error("cannot enter pipeline mode: " + OneLine(PQerrorMessage(conn_)));
  }
  const std::uint64_t pipeline = ++pipelines_;
  const auto start = Clock::now();
  std::vector<Segment> segments;
  if (Status sent = SendStatements(statements, pipeline, &segments); !sent.ok()) return sent;
  if (Status flushed = Flush(deadline); !flushed.ok()) return Lost(flushed.message());
  replies->resize(statements.size());
  if (Status read = ReadReplies(segments, pipeline, deadline, start, replies, forgotten);
      !read.ok()) {
    return read;
  }
  if (PQexitPipelineMode(conn_) != 1) {
    return Lost("cannot leave pipeline mode: " + OneLine(PQerrorMessage(conn_)));
  }
  return Status::Ok();
}

Status PgConnection::SendStatements(const std::vector<Statement>& statements,
                                    std::uint64_t pipeline, std::vector<Segment>* segments) {
  segments->reserve(statements.size() + 1);
  // The prepared statements this pipeline executes, marked used first so that MakeRoom never
  // deallocates one of them.
  std::vector<const Prepared*> known(statements.size(), nullptr);
  for (size_t i = 0; i < statements.size(); ++i) {
    if (!statements[i].repeats) continue;
    auto it = prepared_.find(statements[i].sql);
    if (it == prepared_.end()) continue;
    it->second.used = pipeline;
    known[i] = &it->second;
  }
  size_t preparing = 0;  // prepares in this pipeline, not yet in prepared_
  for (size_t i = 0; i < statements.size(); ++i) {
    const Statement& stmt = statements[i];
    Segment seg;
    seg.reply = static_cast<int>(i);
    if (known[i] == nullptr && prepare_ && stmt.repeats &&
        (prepared_.size() + preparing < kMaxPrepared || MakeRoom(pipeline, segments))) {
      ++preparing;
      seg.prepare_sql = stmt.sql;
      seg.prepare_name = "thoth_" + std::to_string(++next_name_);
      seg.prepare_pending = true;
    }
    int sent = 1;
    if (seg.prepare_pending) {
      sent = PQsendPrepare(conn_, seg.prepare_name.c_str(), stmt.sql.c_str(), 0, nullptr);
      if (sent == 1) {
        sent =
            PQsendQueryPrepared(conn_, seg.prepare_name.c_str(), 0, nullptr, nullptr, nullptr, 0);
      }
    } else if (known[i] != nullptr) {
      seg.executes_prepared = true;
      sent = PQsendQueryPrepared(conn_, known[i]->name.c_str(), 0, nullptr, nullptr, nullptr, 0);
    } else {
      sent = PQsendQueryParams(conn_, stmt.sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
    }
    // A sync after each statement: each is its own transaction, so an error ends only its own.
    if (sent != 1 || PQpipelineSync(conn_) != 1) {
      return Lost("connection lost: " + OneLine(PQerrorMessage(conn_)));
    }
    segments->push_back(std::move(seg));
  }
  return Status::Ok();
}

bool PgConnection::MakeRoom(std::uint64_t pipeline, std::vector<Segment>* segments) {
  if (prepared_.empty()) return false;
  // The least recently used goes if it was not used in the last kKeepPipelines: a statement
  // whose text changed (a new choice of tables) makes room, while more repeating statements
  // than kMaxPrepared send the rest as text rather than evict each other at every scrape.
  auto lru = std::min_element(prepared_.begin(), prepared_.end(),
                              [](auto& a, auto& b) { return a.second.used < b.second.used; });
  if (lru->second.used + kKeepPipelines >= pipeline) return false;
  // DEALLOCATE in its own segment; its result is the session's, not a reply.
  const std::string sql = "DEALLOCATE " + lru->second.name;
  prepared_.erase(lru);
  if (PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1 ||
      PQpipelineSync(conn_) != 1) {
    return false;  // the next send fails the same way and says so
  }
  segments->push_back(Segment{});
  return true;
}

Status PgConnection::ReadReplies(std::vector<Segment>& segments, std::uint64_t pipeline,
                                 Clock::time_point deadline, Clock::time_point start,
                                 std::vector<Reply>* replies, bool* forgotten) {
  size_t syncs = 0;
  int empty = 0;  // results of NULL in a row: two mean the connection has nothing more
  while (syncs < segments.size()) {
    StatusOr<PGresult*> next = NextResult(deadline);
    if (!next.ok()) return Lost(next.status().message());
    PGresult* res = next.value();
    if (res == nullptr) {
      if (++empty > 1 || PQstatus(conn_) == CONNECTION_BAD) {
        return Lost("connection lost: " + OneLine(PQerrorMessage(conn_)));
      }
      continue;
    }
    empty = 0;
    Segment& seg = segments[syncs];
    if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
      ++syncs;
    } else if (seg.reply >= 0) {
      if (seg.prepare_pending) {
        // The prepare's own result; its statement is known from now on if the server took it.
        seg.prepare_pending = false;
        if (PQresultStatus(res) == PGRES_COMMAND_OK) {
          prepared_[seg.prepare_sql] = Prepared{seg.prepare_name, pipeline};
        }
      }
      Reply& r = (*replies)[static_cast<size_t>(seg.reply)];
      if (r.seconds == 0) r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      Status st = Take(res, &r.rows, &r.sqlstate);
      if (!st.ok() && r.status.ok()) r.status = st;
      if (seg.executes_prepared && r.sqlstate == kUndefinedPreparedStatement) *forgotten = true;
    }
    PQclear(res);
  }
  return Status::Ok();
}

Status PgConnection::Take(pg_result* res, QueryResult* out, std::string* sqlstate,
                          std::string* primary_message) {
  switch (PQresultStatus(res)) {
    case PGRES_TUPLES_OK: {
      out->columns.clear();
      out->rows.clear();
      const int ncols = PQnfields(res);
      const int nrows = PQntuples(res);
      out->columns.reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) out->columns.emplace_back(PQfname(res, c));
      out->rows.reserve(static_cast<size_t>(nrows));
      for (int r = 0; r < nrows; ++r) {
        QueryResult::Row row;
        row.reserve(static_cast<size_t>(ncols));
        for (int c = 0; c < ncols; ++c) {
          if (PQgetisnull(res, r, c)) {
            row.emplace_back(std::nullopt);
          } else {
            row.emplace_back(
                std::string(PQgetvalue(res, r, c), static_cast<size_t>(PQgetlength(res, r, c))));
          }
        }
        out->rows.push_back(std::move(row));
      }
      return Status::Ok();
    }
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY:
      return Status::Ok();
    case PGRES_PIPELINE_ABORTED:
      return Status::Error("not run: an earlier statement of its transaction failed");
    default: {
      const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
      const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
      std::string error_state = state != nullptr ? state : "";
      std::string error = OneLine(primary != nullptr ? primary : PQresultErrorMessage(res));
      if (sqlstate != nullptr) *sqlstate = error_state;
      if (primary_message != nullptr) *primary_message = error;
      return Status::Error(error_state.empty() ? error : error + " (SQLSTATE " + error_state + ")");
    }
  }
}

}  // namespace thoth::postgres

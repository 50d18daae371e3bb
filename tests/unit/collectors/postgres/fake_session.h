#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "collectors/postgres/session.h"
#include "tests/unit/collectors/postgres/fixture.h"

namespace thoth::postgres {

// A server as the collector sees it, for unit tests: each statement is answered with the first
// recorded result (tests/fixtures/postgres/*.tsv) whose key it contains, or with an error.
// Shared by every session the collector opens, so that a test can script and inspect them all.
struct FakeServer {
  std::vector<std::pair<std::string, QueryResult>> answers;  // key in the SQL -> rows
  std::map<std::string, std::string> errors;                 // key in the SQL -> SQLSTATE
  std::set<std::string> lose;  // key in the SQL -> the connection drops
  int drop = 0;                // the next N statements find the connection dropped
  bool pipeline = true;        // false: Pipeline fails as on a server that cannot pipeline
  bool refuse = false;         // Connect fails
  int round_trips = 0;
  std::vector<std::string> connects;    // dbname of every Connect ("" = the DSN's)
  std::vector<std::string> statements;  // every statement run, in order (set_config left out)

  int Count(const std::string& key) const {
    int n = 0;
    for (const auto& s : statements) n += s.find(key) != std::string::npos ? 1 : 0;
    return n;
  }

  // The collector's sections, answered with the recorded fixtures.
  static std::shared_ptr<FakeServer> Recorded() {
    auto f = std::make_shared<FakeServer>();
    f->answers = {
        {"SELECT 1", ParseTabular("?column?\n1\n")},
        {"pg_postmaster_start_time", Fixture("server.tsv")},
        {"pg_is_in_recovery", Fixture("server.tsv")},
        {"pg_settings", Fixture("settings.tsv")},
        {"max_tx_duration", Fixture("activity.tsv")},
        {"long_running", Fixture("long.tsv")},
        {"pg_locks", Fixture("locks.tsv")},
        {"stats_reset_epoch", Fixture("dbstats.tsv")},
        {"pg_database_size", Fixture("dbsize.tsv")},
        {"pg_stat_bgwriter", Fixture("bgwriter.tsv")},
        {"count(s.dbid) AS slow", Fixture("slow.tsv")},
        {".pg_stat_statements(", Fixture("statements.tsv")},
        {"count(*) OVER ()", Fixture("tables.tsv")},
        {"pg_stat_user_tables s WHERE", Fixture("tables.tsv")},
        {"idx_scan", Fixture("indexes.tsv")},
        {"tpl_hdr_size", Fixture("table_bloat.tsv")},
        {"idxname", Fixture("index_bloat.tsv")},
        {"extname = 'pgstattuple'", ParseTabular("schema\n")},
        {"datallowconn AND NOT datistemplate", ParseTabular("datname\nmemory\nother\n")},
    };
    return f;
  }
};

class FakeSession : public DbSession {
 public:
  explicit FakeSession(std::shared_ptr<FakeServer> server) : server_(std::move(server)) {}

  bool connected() const override { return connected_; }
  Status Connect(const ConnParams& params, Clock::time_point, ConnectFailure* failure) override {
    database_ = "memory";
    std::string named;
    for (const auto& [k, v] : params) {
      if (k == "dbname") database_ = named = v;
    }
    server_->connects.push_back(named);
    if (server_->refuse) {
      *failure = ConnectFailure::kUnreachable;
      return Status::Error("Connection refused");
    }
    connected_ = true;
    return Status::Ok();
  }
  Status Query(const std::string& sql, Clock::time_point, QueryResult* out,
               std::string* sqlstate) override {
    ++server_->round_trips;
    std::string text = sql;
    if (text.rfind("SELECT pg_catalog.set_config", 0) == 0) text = text.substr(text.find("; ") + 2);
    Reply r = Answer(text);
    if (sqlstate != nullptr) *sqlstate = r.sqlstate;
    *out = std::move(r.rows);
    return r.status;
  }
  Status Pipeline(const std::vector<Statement>& statements, Clock::time_point,
                  std::vector<Reply>* replies) override {
    ++server_->round_trips;
    replies->clear();
    if (!server_->pipeline) return Status::Error("cannot enter pipeline mode");
    for (const auto& s : statements) {
      if (s.sql.rfind("SELECT pg_catalog.set_config", 0) == 0) {
        replies->emplace_back();
        continue;
      }
      replies->push_back(Answer(s.sql));
      if (!connected_) {
        replies->clear();
        return Status::Error("connection lost: server closed the connection unexpectedly");
      }
    }
    return Status::Ok();
  }
  int server_version() const override { return 150020; }
  const std::string& database() const override { return database_; }
  bool timed_out() const override { return false; }
  void Close() override { connected_ = false; }

 private:
  Reply Answer(const std::string& sql) {
    server_->statements.push_back(sql);
    Reply r;
    if (server_->drop > 0) {
      --server_->drop;
      connected_ = false;
      r.status = Status::Error("connection lost: server closed the connection unexpectedly");
      return r;
    }
    for (const auto& key : server_->lose) {
      if (sql.find(key) != std::string::npos) {
        connected_ = false;
        r.status = Status::Error("connection lost: server closed the connection unexpectedly");
        return r;
      }
    }
    for (const auto& [key, state] : server_->errors) {
      if (sql.find(key) != std::string::npos) {
        r.sqlstate = state;
        r.status = Status::Error("scripted error (SQLSTATE " + state + ")");
        return r;
      }
    }
    for (const auto& [key, rows] : server_->answers) {
      if (sql.find(key) != std::string::npos) {
        r.rows = rows;
        return r;
      }
    }
    r.status = Status::Error("no recorded answer for: " + sql.substr(0, 80));
    return r;
  }

  std::shared_ptr<FakeServer> server_;
  bool connected_ = false;
  std::string database_;
};

}  // namespace thoth::postgres

#include "collectors/postgres/postgres_collector.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "collectors/postgres/activity.h"
#include "collectors/postgres/bloat.h"
#include "collectors/postgres/checks.h"
#include "collectors/postgres/config.h"
#include "collectors/postgres/connection.h"
#include "collectors/postgres/queries.h"
#include "collectors/postgres/server.h"
#include "collectors/postgres/settings.h"
#include "collectors/postgres/statements.h"
#include "collectors/postgres/tables.h"
#include "exporter/health_check.h"
#include "exporter/memory_errors.h"
#include "spdlog/spdlog.h"

namespace thoth::postgres {

namespace {

constexpr char kUp[] = "pg_up";
constexpr char kUpHelp[] =
    "Whether the last scrape could connect to and query PostgreSQL (1 = yes)";
// SQLSTATEs the collector treats as "this role may not read that": reported once, not failed.
constexpr char kInsufficientPrivilege[] = "42501";

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Reconnect backoff: 0.5 s after the first failure, doubling up to 5 s, so that a scrape of a
// target that is down answers at once and a server coming back is picked up within seconds.
Clock::duration Backoff(int failures) {
  const double seconds = std::min(5.0, 0.5 * std::pow(2.0, std::max(0, failures - 1)));
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

class PostgresCollector : public Collector {
 public:
  PostgresCollector(TargetConfig config, std::string fingerprint, const CollectorEnv& env)
      : Collector(CollectorId::Labelled("postgres", config.name, std::move(fingerprint))),
        cfg_(std::move(config)),
        memory_errors_(env.memory_errors),
        long_running_seconds_(env.thresholds.long_running_query_seconds),
        slow_query_seconds_(env.thresholds.slow_query_mean_seconds),
        top_(static_cast<size_t>(cfg_.statements_top)) {
    secrets_ = DsnSecrets(cfg_.dsn);
    if (cfg_.password) secrets_.push_back(*cfg_.password);
  }

  void TimedOut(MetricSink& sink) const override { sink.Gauge(kUp, kUpHelp, {}, 0); }

  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override {
    return CollectAll(ctx, sink);
  }

  void AfterThrow(MetricSink& sink, std::string& error) override {
    // Nothing here should throw; if it does, the sessions may be mid-protocol: start over.
    main_.conn.Close();
    databases_.clear();
    sink.Gauge(kUp, kUpHelp, {}, 0);
    error = Scrub(error, secrets_);
  }

  void Checks(const Families& families, bool success, const Thresholds& thresholds,
              std::vector<HealthCheck>& out) const override {
    PostgresChecks(Kind(), Target(), families, success, thresholds, out);
  }

 private:
  // A session to one database with its reconnect backoff.
  struct Session {
    PgConnection conn;
    // Whether this session runs the cluster sections in one round trip; cleared for the rest of
    // the session when a batch meets a server error (a section the role may not read, say).
    bool batch = true;
    int failures = 0;
    Clock::time_point next_attempt{};
    std::string last_error;
  };
  struct Cached {
    QueryResult rows;
    Clock::time_point at{};
    bool valid = false;
  };
  struct Database {
    Session session;  // unused for the DSN's own database (main_ serves it)
    Cached chosen, tables, indexes, table_bloat, index_bloat;
  };
  enum class Outcome { kOk, kSkipped, kLost };

  // Everything one collection accumulates besides the metrics.
  struct Run {
    Clock::time_point deadline;
    std::vector<std::string> errors;
    double cache_age = 0;
  };

  void WarnOnce(const std::string& key, const std::string& message) {
    if (warned_.insert(key).second) {
      spdlog::warn("postgres target {}: {}", cfg_.name, Scrub(message, secrets_));
    }
  }

  // Opens the session when it is closed and its backoff has passed.
  Status Ensure(Session& s, const std::optional<std::string>& dbname, Clock::time_point deadline) {
    if (s.conn.connected()) return Status::Ok();
    const auto now = Clock::now();
    const std::string where = dbname ? " to database " + *dbname : "";
    if (now < s.next_attempt) {
      return Status::Error("not connected" + where + " (next attempt in " +
                           FormatNumber(Seconds(s.next_attempt - now)) + " s): " + s.last_error);
    }
    const auto connect_deadline = std::min(
        deadline, now + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(cfg_.session.connect_timeout_seconds)));
    ConnectFailure why = ConnectFailure::kNone;
    Status st = s.conn.Connect(SessionParams(cfg_.dsn_params, cfg_.session, cfg_.password, dbname),
                               connect_deadline, &why);
    if (st.ok()) {
      s.failures = 0;
      s.last_error.clear();
      s.batch = true;
      return st;
    }
    if (memory_errors_ != nullptr) {
      if (why == ConnectFailure::kUnreachable || why == ConnectFailure::kTimeout) {
        memory_errors_->Add("MEM-001", "postgres");
      } else if (why == ConnectFailure::kAuth) {
        memory_errors_->Add("MEM-007", "postgres");
      }
    }
    s.failures++;
    s.next_attempt = Clock::now() + Backoff(s.failures);
    s.last_error = Scrub(st.message(), secrets_);
    spdlog::debug("postgres target {}: cannot connect{}: {}", cfg_.name, where, s.last_error);
    return Status::Error("cannot connect" + where + ": " + s.last_error);
  }

  // Runs one statement with the server-side statement_timeout set to what is left of the
  // deadline (capped by cap_seconds), so that a slow query is cancelled by the server, keeping
  // the session, before the client has to give up on it and drop the session. With `each`, sql
  // may hold several statements and *each receives every one's rows (after set_config's).
  Status Query(Session& s, const std::string& sql, Clock::time_point deadline, QueryResult* out,
               std::string* sqlstate, double cap_seconds = 0,
               std::vector<QueryResult>* each = nullptr) {
    const double left = Seconds(deadline - Clock::now());
    if (left < 0.02) {
      if (sqlstate != nullptr) sqlstate->clear();
      return Status::Error("no time left before the scrape deadline");
    }
    double server =
        std::min(cfg_.session.statement_timeout_seconds, left - std::min(0.2, left / 4));
    if (cap_seconds > 0) server = std::min(server, cap_seconds);
    const long ms = std::max(1L, std::lround(server * 1000));
    // set_config() in a SELECT, not SET: pg_stat_statements folds its constants into one entry.
    std::string text = "SELECT pg_catalog.set_config('statement_timeout', '" + std::to_string(ms) +
                       "', false); " + sql;
    Status st = each != nullptr ? s.conn.QueryEach(text, deadline, each, sqlstate)
                                : s.conn.Query(text, deadline, out, sqlstate);
    if (!st.ok() && !s.conn.connected()) {
      s.failures++;
      s.next_attempt = Clock::now() + Backoff(s.failures);
      s.last_error = Scrub(st.message(), secrets_);
    }
    return st;
  }

  // One section of the collection: runs sql and reports how it went. A role lacking the right is
  // logged once and skipped; other server errors are recorded; a lost session stops the caller.
  Outcome Section(Session& s, const std::string& what, const std::string& sql, Run& run,
                  QueryResult* rows, double cap_seconds = 0) {
    std::string sqlstate;
    Status st = Query(s, sql, run.deadline, rows, &sqlstate, cap_seconds);
    if (st.ok()) return Outcome::kOk;
    const std::string message = Scrub(st.message(), secrets_);
    if (sqlstate == kInsufficientPrivilege) {
      WarnOnce("denied:" + what, what + " not collected: " + message +
                                     " (grant the role pg_monitor; the rest is reported)");
      return Outcome::kSkipped;
    }
    run.errors.push_back(what + ": " + message);
    return s.conn.connected() ? Outcome::kSkipped : Outcome::kLost;
  }

  Status CollectAll(const ScrapeContext& ctx, MetricSink& sink) {
    Run run;
    run.deadline = ctx.IoDeadline();

    const bool reused = main_.conn.connected();
    Status st = Ensure(main_, std::nullopt, run.deadline);
    QueryResult rows;
    Clock::time_point ping_start{};
    if (st.ok()) {
      ping_start = Clock::now();
      st = Query(main_, "SELECT 1", run.deadline, &rows, nullptr);
      // A session from an earlier scrape may have died with a server restart since; one fresh
      // attempt tells whether the server itself is down.
      if (!st.ok() && reused && !main_.conn.connected() && !main_.conn.timed_out()) {
        main_.next_attempt = Clock::now();
        st = Ensure(main_, std::nullopt, run.deadline);
        if (st.ok()) {
          ping_start = Clock::now();
          st = Query(main_, "SELECT 1", run.deadline, &rows, nullptr);
        }
      }
    }
    if (!st.ok()) {
      sink.Gauge(kUp, kUpHelp, {}, 0);
      return Status::Error(Scrub(st.message(), secrets_));
    }
    sink.Gauge("pg_ping_duration_seconds", "Round trip of SELECT 1 on the exporter's session", {},
               Seconds(Clock::now() - ping_start));

    CollectCluster(run, sink);
    if (main_.conn.connected()) CollectDatabases(run, sink);
    if (main_.conn.connected()) CollectOperatorQueries(run, sink);

    sink.Gauge(kUp, kUpHelp, {}, main_.conn.connected() ? 1 : 0);
    sink.SetCacheAge(run.cache_age);
    if (run.errors.empty()) return Status::Ok();
    std::string message = run.errors.front();
    if (run.errors.size() > 1) {
      message += " (and " + std::to_string(run.errors.size() - 1) + " more)";
    }
    return Status::Error(message);
  }

  // Cluster-wide views, read once on the DSN's database: in one round trip when the session
  // allows (Session::batch), else one section at a time, so that a section the role may not
  // read is reported and skipped while the others are collected.
  void CollectCluster(Run& run, MetricSink& sink) {
    const int version = main_.conn.server_version();
    const std::vector<std::pair<std::string, std::string>> sections = {
        {"server", ServerSql()},
        {"pg_settings", SettingsSql()},
        {"pg_stat_activity", ActivitySql()},
        {"long-running queries", LongRunningSql(long_running_seconds_)},
        {"pg_locks", LocksSql()},
        {"pg_stat_database", DatabaseStatsSql()},
        {"database sizes", DatabaseSizeSql()},
        {"pg_stat_bgwriter", BgwriterSql(version)},
    };
    std::vector<QueryResult> results(sections.size());
    std::vector<Outcome> outcomes(sections.size(), Outcome::kSkipped);
    bool batched = false;
    if (main_.batch) {
      std::string sql;
      for (const auto& [what, text] : sections) sql += (sql.empty() ? "" : "; ") + text;
      std::vector<QueryResult> each;
      Status st = Query(main_, sql, run.deadline, nullptr, nullptr, 0, &each);
      if (st.ok() && each.size() == sections.size() + 1) {
        for (size_t i = 0; i < sections.size(); ++i) results[i] = std::move(each[i + 1]);
        outcomes.assign(sections.size(), Outcome::kOk);
        batched = true;
      } else if (!main_.conn.connected()) {
        run.errors.push_back("cluster statistics: " + Scrub(st.message(), secrets_));
        return;
      } else {
        spdlog::debug("postgres target {}: reading the cluster sections one by one: {}", cfg_.name,
                      st.ok() ? "unexpected number of results" : Scrub(st.message(), secrets_));
        main_.batch = false;
      }
    }
    if (!batched) {
      for (size_t i = 0; i < sections.size(); ++i) {
        outcomes[i] = Section(main_, sections[i].first, sections[i].second, run, &results[i]);
        if (outcomes[i] == Outcome::kLost) break;
      }
    }
    std::optional<std::string> pgss_schema;
    auto ok = [&](size_t i) { return outcomes[i] == Outcome::kOk; };
    if (ok(0)) {
      EmitServer(results[0], version, sink);
      if (!results[0].rows.empty()) pgss_schema = results[0].Get(0, "pgss_schema");
    }
    if (ok(1)) {
      EmitSettings(results[1], sink);
      if (auto limit = ConnectionsLimit(results[1], cfg_.pool_size)) {
        sink.Gauge("pg_connections_limit",
                   "Connections the pool allows: pool_size, else max_connections - "
                   "superuser_reserved_connections",
                   {}, *limit);
      }
    }
    if (ok(2)) EmitActivity(results[2], sink);
    if (ok(3)) EmitLongRunning(results[3], long_running_seconds_, sink);
    if (ok(4)) EmitLocks(results[4], sink);
    if (ok(5)) EmitDatabaseStats(results[5], sink);
    if (ok(6)) EmitDatabaseSize(results[6], sink);
    if (ok(7)) EmitBgwriter(results[7], sink);
    if (std::find(outcomes.begin(), outcomes.end(), Outcome::kLost) != outcomes.end()) return;

    CollectStatements(run, pgss_schema, sink);
  }

  void CollectStatements(Run& run, const std::optional<std::string>& schema, MetricSink& sink) {
    const char* kAvailable = "pg_stat_statements_available";
    const char* kAvailableHelp =
        "Whether pg_stat_statements can be read (0: extension not installed in the DSN's "
        "database, not preloaded, or not readable by this role)";
    if (!schema) {
      sink.Gauge(kAvailable, kAvailableHelp, {}, 0);
      return;
    }
    const int version = main_.conn.server_version();
    QueryResult rows;
    std::string sqlstate;
    // The slow-query count first: it reads the whole view, and tells whether it is readable.
    Status st = Query(main_, SlowQueriesSql(*schema, version, slow_query_seconds_), run.deadline,
                      &rows, &sqlstate);
    if (!st.ok()) {
      if (!main_.conn.connected()) {
        run.errors.push_back("pg_stat_statements: " + Scrub(st.message(), secrets_));
        return;
      }
      // Not preloaded (55000), not readable (42501), dropped meanwhile (42P01): say so once,
      // report it unavailable at every scrape, and leave the collection successful.
      WarnOnce("pgss", "pg_stat_statements not readable, reported as unavailable: " + st.message());
      sink.Gauge(kAvailable, kAvailableHelp, {}, 0);
      return;
    }
    sink.Gauge(kAvailable, kAvailableHelp, {}, 1);
    EmitSlowQueries(rows, slow_query_seconds_, sink);
    if (cfg_.statements_top <= 0) return;
    Outcome o =
        Section(main_, "pg_stat_statements",
                StatementsSql(*schema, version, cfg_.statements_top * 2,
                              cfg_.statements_query_text ? cfg_.statements_query_length : 0),
                run, &rows);
    if (o == Outcome::kOk) {
      EmitStatements(rows, top_, cfg_.statements_query_text,
                     static_cast<size_t>(cfg_.statements_query_length), sink);
    }
  }

  // The databases the per-database statistics fan out over.
  std::optional<std::vector<std::string>> DatabaseNames(Run& run) {
    if (!cfg_.all_databases) {
      if (!cfg_.databases.empty()) return cfg_.databases;
      return std::vector<std::string>{main_.conn.database()};
    }
    QueryResult rows;
    Outcome o = Section(main_, "database list",
                        "SELECT datname FROM pg_catalog.pg_database WHERE datallowconn AND NOT "
                        "datistemplate AND has_database_privilege(datname, 'CONNECT') "
                        "ORDER BY datname",
                        run, &rows);
    if (o != Outcome::kOk) return std::nullopt;
    std::vector<std::string> names;
    for (size_t i = 0; i < rows.rows.size(); ++i) {
      if (const auto& n = rows.Get(i, "datname")) names.push_back(*n);
    }
    return names;
  }

  // The session that serves database `db`: the DSN's own, or one of its own.
  Session* SessionFor(const std::string& db, Run& run) {
    if (db == main_.conn.database()) return &main_;
    Session& s = databases_[db].session;
    Status st = Ensure(s, db, run.deadline);
    if (!st.ok()) {
      run.errors.push_back(st.message());
      return nullptr;
    }
    return &s;
  }

  // Records the age of cached data served instead of a fresh read.
  void NoteAge(Run& run, const Cached& c) {
    if (c.valid) run.cache_age = std::max(run.cache_age, Seconds(Clock::now() - c.at));
  }

  static bool Fresh(const Cached& c, double ttl) {
    return c.valid && ttl > 0 && Seconds(Clock::now() - c.at) < ttl;
  }

  void CollectDatabases(Run& run, MetricSink& sink) {
    auto names = DatabaseNames(run);
    if (!names) return;
    // Close the sessions of databases that are no longer listed.
    std::set<std::string> wanted(names->begin(), names->end());
    for (const auto& q : cfg_.queries) {
      if (!q.database.empty()) wanted.insert(q.database);
    }
    for (auto it = databases_.begin(); it != databases_.end();) {
      it = wanted.count(it->first) != 0 ? std::next(it) : databases_.erase(it);
    }
    for (const auto& db : *names) {
      if (Seconds(run.deadline - Clock::now()) < 0.02) {
        run.errors.push_back("database " + db + ": skipped, no time left before the deadline");
        continue;
      }
      Session* s = SessionFor(db, run);
      if (s == nullptr) continue;
      CollectDatabase(*s, db, databases_[db], run, sink);
      if (!main_.conn.connected()) return;
    }
  }

  void CollectDatabase(Session& s, const std::string& db, Database& state, Run& run,
                       MetricSink& sink) {
    const std::string what = db == main_.conn.database() ? "" : " (database " + db + ")";
    // Which tables, with their exact sizes: the expensive part on large schemas, kept for
    // tables.sizes_ttl. The counters of those tables are read for tables.ttl (0: every scrape).
    if (Fresh(state.chosen, cfg_.tables_sizes_ttl_seconds)) {
      NoteAge(run, state.chosen);
    } else {
      TableSelection selection{cfg_.tables_limit, cfg_.tables_include, cfg_.tables_exclude};
      QueryResult rows;
      Outcome o =
          Section(s, "pg_stat_user_tables sizes" + what, ChooseTablesSql(selection), run, &rows);
      if (o != Outcome::kOk) {
        state.chosen.valid = state.tables.valid = state.indexes.valid = false;
        return;
      }
      state.chosen = {std::move(rows), Clock::now(), true};
      state.tables.valid = false;
    }
    if (cfg_.tables_limit <= 0) {
      EmitTables(state.chosen.rows, db, sink);  // only pg_stat_user_tables_omitted
      return;
    }
    if (Fresh(state.tables, cfg_.tables_ttl_seconds)) {
      NoteAge(run, state.tables);
    } else {
      QueryResult rows;
      const std::vector<std::string> chosen = ChosenRelids(state.chosen.rows);
      Outcome o = chosen.empty()
                      ? Outcome::kOk
                      : Section(s, "pg_stat_user_tables" + what, TableStatsSql(chosen), run, &rows);
      if (o != Outcome::kOk) {
        state.tables.valid = state.indexes.valid = false;
        return;
      }
      state.tables = {JoinTableRows(state.chosen.rows, rows), Clock::now(), true};
      state.indexes.valid = false;
    }
    std::vector<std::string> relids = EmitTables(state.tables.rows, db, sink);
    if (relids.empty()) return;

    if (!state.indexes.valid) {
      QueryResult rows;
      Outcome o = Section(s, "pg_stat_user_indexes" + what, IndexesSql(relids), run, &rows);
      if (o == Outcome::kLost) return;
      if (o == Outcome::kOk) state.indexes = {std::move(rows), state.tables.at, true};
    }
    if (state.indexes.valid) EmitIndexes(state.indexes.rows, db, sink);

    if (!cfg_.bloat_enabled) return;
    if (Fresh(state.table_bloat, cfg_.bloat_ttl_seconds)) {
      NoteAge(run, state.table_bloat);
    } else {
      // A failed refresh keeps the previous estimate (with its age) until the next try.
      QueryResult tables, indexes;
      Outcome o = Section(s, "table bloat" + what, TableBloatSql(relids), run, &tables);
      if (o == Outcome::kLost) return;
      Outcome oi = Section(s, "index bloat" + what, IndexBloatSql(relids), run, &indexes);
      if (o == Outcome::kOk && oi == Outcome::kOk) {
        state.table_bloat = {std::move(tables), Clock::now(), true};
        state.index_bloat = {std::move(indexes), Clock::now(), true};
      }
    }
    if (state.table_bloat.valid) {
      const int unknown = EmitTableBloat(state.table_bloat.rows, db, sink);
      if (unknown > 0) {
        WarnOnce("bloat-na",
                 "bloat not estimated for " + std::to_string(unknown) + " table(s) in database " +
                     db +
                     " (and maybe others): no statistics visible to this role (never analyzed, "
                     "or pg_stats hides columns the role may not read; GRANT SELECT or "
                     "pg_read_all_data shows them)");
      }
      EmitIndexBloat(state.index_bloat.rows, db, sink);
    }
  }

  void CollectOperatorQueries(Run& run, MetricSink& sink) {
    for (const auto& q : cfg_.queries) {
      Cached& cache = query_cache_[q.name];
      if (Fresh(cache, q.ttl_seconds)) {
        NoteAge(run, cache);
      } else {
        const std::string db = q.database.empty() ? main_.conn.database() : q.database;
        Session* s = SessionFor(db, run);
        if (s == nullptr) {
          cache.valid = false;
          continue;
        }
        QueryResult rows;
        std::string sqlstate;
        Status st = Query(*s, q.sql, run.deadline, &rows, &sqlstate, q.timeout_seconds);
        if (!st.ok()) {
          cache.valid = false;
          const std::string message = "query " + q.name + ": " + Scrub(st.message(), secrets_);
          run.errors.push_back(message);
          if (failing_queries_.insert(q.name).second) {
            spdlog::warn("postgres target {}: {}", cfg_.name, message);
          }
          if (!main_.conn.connected()) return;
          continue;
        }
        if (failing_queries_.erase(q.name) != 0) {
          spdlog::info("postgres target {}: query {} works again", cfg_.name, q.name);
        }
        cache = {std::move(rows), Clock::now(), true};
      }
      Status st = EmitOperatorQuery(q.name, q.ttl_seconds, cache.rows, sink);
      if (!st.ok()) {
        run.errors.push_back(st.message());
        WarnOnce("query-shape:" + q.name, st.message());
      }
    }
  }

  TargetConfig cfg_;
  MemoryErrors* memory_errors_;
  double long_running_seconds_;
  double slow_query_seconds_;
  std::vector<std::string> secrets_;
  Session main_;
  std::map<std::string, Database> databases_;
  std::map<std::string, Cached> query_cache_;
  TopStatements top_;
  std::set<std::string> warned_;
  std::set<std::string> failing_queries_;
};

}  // namespace

std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env) {
  std::vector<std::shared_ptr<Collector>> out;
  ConfigNode section = root.Child("postgres");
  std::vector<TargetConfig> targets = ParseSection(root);
  std::vector<ConfigNode> items = section.IsNull() ? std::vector<ConfigNode>{} : section.Items();
  for (size_t i = 0; i < targets.size(); ++i) {
    // The thresholds the collection uses are part of what makes an instance what it is.
    std::string fingerprint = items[i].Fingerprint() + "|" +
                              FormatNumber(env.thresholds.long_running_query_seconds) + "|" +
                              FormatNumber(env.thresholds.slow_query_mean_seconds);
    out.push_back(
        std::make_shared<PostgresCollector>(std::move(targets[i]), std::move(fingerprint), env));
  }
  return out;
}

}  // namespace thoth::postgres

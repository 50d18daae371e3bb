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
#include "collectors/postgres/sections.h"
#include "collectors/postgres/server.h"
#include "collectors/postgres/settings.h"
#include "collectors/postgres/statements.h"
#include "collectors/postgres/tables.h"
#include "exporter/health_check.h"
#include "exporter/memory_errors.h"
#include "exporter/ttl_cache.h"
#include "spdlog/spdlog.h"

namespace thoth::postgres {

namespace {

constexpr char kUp[] = "pg_up";
constexpr char kUpHelp[] =
    "Whether the last scrape could connect to and query PostgreSQL (1 = yes)";
constexpr char kAvailable[] = "pg_stat_statements_available";
constexpr char kAvailableHelp[] =
    "Whether pg_stat_statements can be read (0: extension not installed in the DSN's "
    "database, not preloaded, or not readable by this role)";

using Cache = TtlCache<QueryResult>;

// Reconnect backoff: 0.5 s after the first failure, doubling up to 5 s, so that a scrape of a
// target that is down answers at once and a server coming back is picked up within seconds.
Clock::duration Backoff(int failures) {
  const double seconds = std::min(5.0, 0.5 * std::pow(2.0, std::max(0, failures - 1)));
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Per-table statistics of one database, kept between scrapes.
struct Database {
  Session session;  // unused for the DSN's own database (the main session serves it)
  Cache chosen, tables, indexes, table_bloat, index_bloat;
  std::optional<std::string> pgstattuple;  // schema of the extension, when the role may use it
  std::string bloat_method = "estimate";   // of the cached bloat figures
  // This scrape: whether the tables could not be read (nothing is written for the database),
  // and which caches were read afresh (the others report their age).
  bool failed = false;
  bool fresh_chosen = false, fresh_tables = false, fresh_bloat = false;
};

class PostgresCollector : public Collector {
 public:
  PostgresCollector(TargetConfig config, std::string fingerprint, const CollectorEnv& env,
                    SessionFactory factory)
      : Collector(CollectorId::Labelled("postgres", config.name, std::move(fingerprint))),
        cfg_(std::move(config)),
        memory_errors_(env.memory_errors),
        long_running_seconds_(env.thresholds.long_running_query_seconds),
        slow_query_seconds_(env.thresholds.slow_query_mean_seconds),
        factory_(std::move(factory)),
        top_(static_cast<size_t>(cfg_.statements_top)) {
    secrets_ = DsnSecrets(cfg_.dsn);
    if (cfg_.password) secrets_.push_back(*cfg_.password);
    runner_ = SectionRunner{cfg_.name, cfg_.session.statement_timeout_seconds, &secrets_, &warned_};
  }

  void TimedOut(MetricSink& sink) const override { sink.Gauge(kUp, kUpHelp, {}, 0); }

  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override {
    return CollectAll(ctx, sink);
  }

  void AfterThrow(MetricSink& sink, std::string& error) override {
    // Nothing here should throw; if it does, the sessions may be mid-protocol: start over.
    if (main_.conn) main_.conn->Close();
    databases_.clear();
    sink.Gauge(kUp, kUpHelp, {}, 0);
    error = Scrub(error, secrets_);
  }

  void Checks(const Families& families, bool success, const Thresholds& thresholds,
              std::vector<HealthCheck>& out) const override {
    PostgresChecks(Kind(), Target(), families, success, thresholds, out);
  }

 private:
  bool Connected(const Session& s) const { return s.conn && s.conn->connected(); }

  // Opens the session when it is closed and its backoff has passed.
  Status Ensure(Session& s, const std::optional<std::string>& dbname, Clock::time_point deadline) {
    if (!s.conn) s.conn = factory_();
    if (s.conn->connected()) return Status::Ok();
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
    Status st = s.conn->Connect(SessionParams(cfg_.dsn_params, cfg_.session, cfg_.password, dbname),
                                connect_deadline, &why);
    if (st.ok()) {
      s.failures = 0;
      s.last_error.clear();
      s.pipeline = true;
      s.identity.reset();
      return st;
    }
    CountConnectFailure(why);
    s.failures++;
    s.next_attempt = Clock::now() + Backoff(s.failures);
    s.last_error = Scrub(st.message(), secrets_);
    spdlog::debug("postgres target {}: cannot connect{}: {}", cfg_.name, where, s.last_error);
    return Status::Error("cannot connect" + where + ": " + s.last_error);
  }

  void CountConnectFailure(ConnectFailure why) {
    if (memory_errors_ == nullptr) return;
    if (why == ConnectFailure::kUnreachable || why == ConnectFailure::kTimeout) {
      memory_errors_->Add(MemCode::kDatabaseTimeout, "postgres");
    } else if (why == ConnectFailure::kAuth) {
      memory_errors_->Add(MemCode::kAuthFailed, "postgres");
    }
  }

  // Opens the main session when it is closed (and its backoff has passed) and reads what is
  // read once per session.
  Status Open(Run& run) {
    Status st = Ensure(main_, std::nullopt, run.deadline);
    if (st.ok()) ReadIdentity(run);
    return st;
  }

  // What is read once per session: the version and the start time (and the schema of
  // pg_stat_statements, which the server section then follows at every scrape).
  void ReadIdentity(Run& run) {
    if (main_.identity || !Connected(main_)) return;
    QueryResult rows;
    std::string sqlstate;
    Status st = runner_.Query(main_, ServerIdentitySql(), run.deadline, &rows, &sqlstate);
    if (!st.ok()) return;  // the server section reports the failure
    main_.identity = std::move(rows);
    if (!main_.identity->rows.empty()) main_.pgss_schema = main_.identity->Get(0, "pgss_schema");
  }

  // What the main session's pipeline reads in one scrape. Sections point into it: not moved.
  struct ClusterPlan {
    std::vector<Section> sections;
    std::vector<std::string> names;  // the databases the statistics fan out over
    bool listed = false;             // names is known
    bool choose = false;             // the choice of the DSN database's tables is due
    double ping = 0;                 // seconds to the answer of SELECT 1
  };

  // Opens the main session and runs the scrape's pipeline on it. A session from an earlier
  // scrape that died with a server restart since gets one fresh attempt, which tells whether the
  // server itself is down. An error when the server cannot be reached.
  Status ReadMain(Run& run, std::unique_ptr<ClusterPlan>* plan) {
    const bool reused = Connected(main_);
    Status st = Open(run);
    if (st.ok()) st = ReadCluster(run, plan);
    if (!st.ok() && reused && main_.conn && !main_.conn->connected() && !main_.conn->timed_out()) {
      main_.next_attempt = Clock::now();
      st = Open(run);
      if (st.ok()) st = ReadCluster(run, plan);
    }
    return st;
  }

  Status ReadCluster(Run& run, std::unique_ptr<ClusterPlan>* out) {
    *out = std::make_unique<ClusterPlan>();
    ClusterPlan& plan = **out;
    PlanCluster(run, plan);
    const size_t errors = run.errors.size();
    if (runner_.Execute(main_, "cluster statistics", plan.sections, run)) return Status::Ok();
    Status st = Status::Error(run.errors.size() > errors ? run.errors.back() : "connection lost");
    run.errors.resize(errors);
    return st;
  }

  Status CollectAll(const ScrapeContext& ctx, MetricSink& sink) {
    Run run;
    run.deadline = ctx.IoDeadline();
    std::unique_ptr<ClusterPlan> plan;
    Status st = ReadMain(run, &plan);
    if (!st.ok()) {
      sink.Gauge(kUp, kUpHelp, {}, 0);
      return Status::Error(Scrub(st.message(), secrets_));
    }
    sink.Gauge("pg_ping_duration_seconds", "Round trip of SELECT 1 on the exporter's session", {},
               plan->ping);
    for (auto& s : plan->sections) {
      if (s.emit) s.emit(sink);
    }
    if (ReadOwnTables(*plan, run) && plan->listed) CollectDatabases(plan->names, run, sink);
    if (Connected(main_)) CollectOperatorQueries(run, sink);

    sink.Gauge(kUp, kUpHelp, {}, Connected(main_) ? 1 : 0);
    sink.SetCacheAge(run.age.seconds());
    if (run.errors.empty()) return Status::Ok();
    std::string message = run.errors.front();
    if (run.errors.size() > 1) {
      message += " (and " + std::to_string(run.errors.size() - 1) + " more)";
    }
    return Status::Error(message);
  }

  // The ping, the cluster-wide views, pg_stat_statements, the list of databases and the DSN
  // database's own tables: one round trip on the main session (a second one when the choice of
  // tables is due: ReadOwnTables).
  void PlanCluster(Run& run, ClusterPlan& plan) {
    Section ping;
    ping.name = "ping";
    ping.sql = "SELECT 1";
    ping.seconds = &plan.ping;
    plan.sections.push_back(std::move(ping));
    AddServerSections(run, plan.sections);
    AddStatementSections(plan.sections);
    plan.names = ListedDatabases();
    plan.listed = !cfg_.all_databases;
    if (cfg_.all_databases) {
      plan.sections.push_back(DatabaseListSection(&plan.names, &plan.listed));
    }
    const std::string main_db = main_.conn->database();
    Database& own = databases_[main_db];
    StartDatabase(own);
    // The DSN database's tables when it is among those the statistics fan out over.
    const bool own_tables = cfg_.all_databases || std::find(plan.names.begin(), plan.names.end(),
                                                            main_db) != plan.names.end();
    plan.choose = own_tables && !own.chosen.Fresh(cfg_.tables_sizes_ttl_seconds);
    if (!own_tables) {
      own.failed = true;
    } else if (plan.choose) {
      AddChoiceSections(own, "", plan.sections);
    } else {
      AddTableSections(own, "", plan.sections);
    }
  }

  // What depends on a new choice of the DSN database's tables. false when the session was lost.
  bool ReadOwnTables(const ClusterPlan& plan, Run& run) {
    if (!Connected(main_)) return false;
    Database& own = databases_[main_.conn->database()];
    if (!plan.choose || own.failed) return true;
    std::vector<Section> second;
    AddTableSections(own, "", second);
    return runner_.Execute(main_, "pg_stat_user_tables", second, run);
  }

  // The databases named by the configuration (for `all`, filled in by the database list).
  std::vector<std::string> ListedDatabases() const {
    if (cfg_.all_databases) return {};
    if (!cfg_.databases.empty()) return cfg_.databases;
    return {main_.conn->database()};
  }

  Section DatabaseListSection(std::vector<std::string>* names, bool* listed) {
    Section s;
    s.name = "database list";
    s.sql =
        "SELECT datname FROM pg_catalog.pg_database WHERE datallowconn AND NOT "
        "datistemplate AND has_database_privilege(datname, 'CONNECT') ORDER BY datname";
    s.ok = [names, listed](QueryResult& rows) {
      for (size_t i = 0; i < rows.rows.size(); ++i) {
        if (const auto& n = rows.Get(i, "datname")) names->push_back(*n);
      }
      *listed = true;
    };
    return s;
  }

  // server, pg_settings, activity, long-running queries, locks, pg_stat_database, database
  // sizes, bgwriter: in this order, as they are written.
  void AddServerSections(Run& run, std::vector<Section>& out) {
    const int version = main_.conn->server_version();
    out.push_back(
        Plain("server", ServerStateSql(), [this, version](const QueryResult& r, MetricSink& sink) {
          if (!r.rows.empty()) main_.pgss_schema = r.Get(0, "pgss_schema");
          if (main_.identity) EmitServer(JoinColumns(*main_.identity, r), version, sink);
        }));
    out.push_back(SettingsSection(run));
    out.push_back(Plain("pg_stat_activity", ActivitySql(), EmitActivity));
    out.push_back(Plain("long-running queries", LongRunningSql(long_running_seconds_),
                        [this](const QueryResult& r, MetricSink& sink) {
                          EmitLongRunning(r, long_running_seconds_, sink);
                        }));
    out.push_back(Plain("pg_locks", LocksSql(), EmitLocks));
    out.push_back(Plain("pg_stat_database", DatabaseStatsSql(), EmitDatabaseStats));
    out.push_back(CachedSection("database sizes", DatabaseSizeSql(), &database_sizes_,
                                cfg_.database_sizes_ttl_seconds, run, EmitDatabaseSize));
    out.push_back(Plain("pg_stat_bgwriter", BgwriterSql(version), EmitBgwriter));
  }

  // pg_settings, read again only when pg_conf_load_time() moved (a reload) or settings.ttl
  // passed: the statement then returns no rows, and the cached ones are written.
  Section SettingsSection(Run& run) {
    std::string since;
    if (settings_.Fresh(cfg_.settings_ttl_seconds) && !settings_.value().rows.empty()) {
      since = settings_.value().Get(0, "conf_load_time").value_or("");
    }
    Section s;
    s.name = "pg_settings";
    s.sql = SettingsSql(since);
    auto read = std::make_shared<bool>(false), fresh = std::make_shared<bool>(false);
    s.ok = [this, read, fresh](QueryResult& rows) {
      *read = true;
      if (rows.rows.empty()) return;  // not reloaded since: the cached rows are current
      settings_.Set(std::move(rows));
      *fresh = true;
    };
    s.emit = [this, read, fresh, &run](MetricSink& sink) {
      if (!*read || !settings_.valid()) return;
      if (!*fresh) run.age.Served(settings_);
      EmitSettings(settings_.value(), sink);
      if (auto limit = ConnectionsLimit(settings_.value(), cfg_.pool_size)) {
        sink.Gauge("pg_connections_limit",
                   "Connections the pool allows: pool_size, else max_connections - "
                   "superuser_reserved_connections",
                   {}, *limit);
      }
    };
    return s;
  }

  // The slow-query count tells whether the view is readable; the top statements follow it.
  void AddStatementSections(std::vector<Section>& out) {
    if (!main_.pgss_schema) {
      out.push_back(
          Constant([](MetricSink& sink) { sink.Gauge(kAvailable, kAvailableHelp, {}, 0); }));
      return;
    }
    const std::string schema = *main_.pgss_schema;
    const int version = main_.conn->server_version();
    auto readable = std::make_shared<std::optional<bool>>();
    Section slow = Plain("pg_stat_statements", SlowQueriesSql(schema, version, slow_query_seconds_),
                         [this, readable](const QueryResult& r, MetricSink& sink) {
                           sink.Gauge(kAvailable, kAvailableHelp, {}, 1);
                           EmitSlowQueries(r, slow_query_seconds_, sink);
                         });
    slow.failed = [this, readable](const std::string& message) {
      // Not preloaded (55000), not readable (42501), dropped meanwhile (42P01): say so once,
      // report it unavailable at every scrape, and leave the collection successful.
      WarnOnce("pgss", "pg_stat_statements not readable, reported as unavailable: " + message);
      *readable = false;
      return true;
    };
    auto plain_emit = slow.emit;
    slow.emit = [plain_emit, readable](MetricSink& sink) {
      if (readable->has_value() && !**readable) sink.Gauge(kAvailable, kAvailableHelp, {}, 0);
      plain_emit(sink);
    };
    out.push_back(std::move(slow));
    if (cfg_.statements_top <= 0) return;
    Section top =
        Plain("pg_stat_statements",
              StatementsSql(schema, version, cfg_.statements_top * 2,
                            cfg_.statements_query_text ? cfg_.statements_query_length : 0),
              [this](const QueryResult& r, MetricSink& sink) {
                EmitStatements(r, top_, cfg_.statements_query_text,
                               static_cast<size_t>(cfg_.statements_query_length), sink);
              });
    // When the view is not readable the count has said so: the same failure here is no news.
    top.failed = [readable](const std::string&) { return readable->has_value(); };
    out.push_back(std::move(top));
  }

  void WarnOnce(const std::string& key, const std::string& message) {
    if (warned_.insert(key).second) {
      spdlog::warn("postgres target {}: {}", cfg_.name, Scrub(message, secrets_));
    }
  }

  // Forgets what the last scrape noted about a database.
  static void StartDatabase(Database& state) {
    state.failed = false;
    state.fresh_chosen = state.fresh_tables = state.fresh_bloat = false;
  }

  // Which tables, with their exact sizes: the expensive part on large schemas, kept for
  // tables.sizes_ttl; with it, whether pgstattuple can measure bloat.
  void AddChoiceSections(Database& state, const std::string& what, std::vector<Section>& out) {
    TableSelection selection{cfg_.tables_limit, cfg_.tables_include, cfg_.tables_exclude};
    Section s;
    s.name = "pg_stat_user_tables sizes" + what;
    s.sql = ChooseTablesSql(selection);
    // Exact sizes lock each chosen relation: a refresh that waits past its budget keeps the
    // previous choice (and its sizes) rather than make the scrape late.
    s.refresh = true;
    s.ok = [&state](QueryResult& rows) {
      state.chosen.Set(std::move(rows));
      state.fresh_chosen = true;
      state.tables.Invalidate();
    };
    s.failed = [&state](const std::string&) {
      state.chosen.Invalidate();
      state.tables.Invalidate();
      state.indexes.Invalidate();
      state.failed = true;
      return false;
    };
    out.push_back(std::move(s));
    if (cfg_.bloat_enabled && cfg_.bloat_method != BloatMethod::kEstimate) {
      Section x;
      x.name = "pgstattuple";
      x.sql = PgstattupleSchemaSql();
      x.ok = [&state](QueryResult& rows) {
        state.pgstattuple.reset();
        if (!rows.rows.empty()) state.pgstattuple = rows.Get(0, "schema");
      };
      out.push_back(std::move(x));
    }
  }

  // The counters of the chosen tables (every tables.ttl), their indexes, and bloat (every
  // bloat.ttl), for a database whose choice of tables is known.
  void AddTableSections(Database& state, const std::string& what, std::vector<Section>& out) {
    if (state.failed || cfg_.tables_limit <= 0 || !state.chosen.valid()) return;
    const bool read_tables = !state.tables.Fresh(cfg_.tables_ttl_seconds);
    std::vector<std::string> relids =
        ChosenRelids(read_tables ? state.chosen.value() : state.tables.value());
    if (read_tables) {
      if (relids.empty()) {
        state.tables.Set(JoinTableRows(state.chosen.value(), QueryResult{}));
        state.indexes.Invalidate();
        state.fresh_tables = true;
        return;
      }
      out.push_back(TableStatsSection(state, what, relids));
    }
    if (relids.empty()) return;
    if (read_tables || !state.indexes.valid()) {
      Section s;
      s.name = "pg_stat_user_indexes" + what;
      s.sql = IndexesSql(relids);
      s.ok = [&state](QueryResult& rows) { state.indexes.Set(std::move(rows)); };
      out.push_back(std::move(s));
    }
    if (cfg_.bloat_enabled && !state.table_bloat.Fresh(cfg_.bloat_ttl_seconds)) {
      AddBloatSections(state, what, relids, out);
    }
  }

  Section TableStatsSection(Database& state, const std::string& what,
                            const std::vector<std::string>& relids) {
    Section s;
    s.name = "pg_stat_user_tables" + what;
    s.sql = TableStatsSql(relids);
    s.ok = [&state](QueryResult& rows) {
      state.tables.Set(JoinTableRows(state.chosen.value(), std::move(rows)));
      state.fresh_tables = true;
      state.indexes.Invalidate();
    };
    s.failed = [&state](const std::string&) {
      state.tables.Invalidate();
      state.indexes.Invalidate();
      state.failed = true;
      return false;
    };
    return s;
  }

  // Table and index bloat: measured with pgstattuple for the largest tables when the extension
  // is there (and bloat.method allows), else estimated from the catalogs. A failed refresh keeps
  // the previous figures (with their age) until the next try; so does one that runs out of its
  // budget (bloat.budget): the cached figures are served while the refresh is pending.
  void AddBloatSections(Database& state, const std::string& what,
                        const std::vector<std::string>& relids, std::vector<Section>& out) {
    const bool measure = state.pgstattuple && cfg_.bloat_method != BloatMethod::kEstimate;
    const std::string method = measure ? "pgstattuple" : "estimate";
    std::vector<std::string> largest = relids;
    if (measure && largest.size() > static_cast<size_t>(cfg_.bloat_tables)) {
      largest.resize(static_cast<size_t>(cfg_.bloat_tables));
    }
    auto tables = std::make_shared<std::optional<QueryResult>>();
    Section t;
    t.name = "table bloat" + what;
    t.sql = measure ? TableBloatApproxSql(*state.pgstattuple, largest) : TableBloatSql(relids);
    t.budget_seconds = cfg_.bloat_budget_seconds;
    t.ok = [tables](QueryResult& rows) { *tables = std::move(rows); };
    out.push_back(std::move(t));
    Section i;
    i.name = "index bloat" + what;
    i.sql = measure ? IndexBloatPgstatindexSql(*state.pgstattuple, largest) : IndexBloatSql(relids);
    i.budget_seconds = cfg_.bloat_budget_seconds;
    i.ok = [&state, tables, method](QueryResult& rows) {
      if (!*tables) return;
      state.table_bloat.Set(std::move(**tables));
      state.index_bloat.Set(std::move(rows));
      state.bloat_method = method;
      state.fresh_bloat = true;
    };
    out.push_back(std::move(i));
  }

  // Writes one database's per-table series from what this scrape read or the caches hold.
  void EmitDatabase(Database& state, const std::string& db, Run& run, MetricSink& sink) {
    if (state.failed || !state.chosen.valid()) return;
    if (!state.fresh_chosen) run.age.Served(state.chosen);
    if (cfg_.tables_limit <= 0) {
      EmitTables(state.chosen.value(), db, sink);  // only pg_stat_user_tables_omitted
      return;
    }
    if (!state.tables.valid()) return;
    if (!state.fresh_tables) run.age.Served(state.tables);
    std::vector<std::string> relids = EmitTables(state.tables.value(), db, sink);
    if (relids.empty()) return;
    if (state.indexes.valid()) EmitIndexes(state.indexes.value(), db, sink);
    if (!cfg_.bloat_enabled || !state.table_bloat.valid()) return;
    if (!state.fresh_bloat) run.age.Served(state.table_bloat);
    const int unknown = EmitTableBloat(state.table_bloat.value(), db, sink);
    if (unknown > 0) {
      WarnOnce("bloat-na",
               "bloat not estimated for " + std::to_string(unknown) + " table(s) in database " +
                   db +
                   " (and maybe others): no statistics visible to this role (never analyzed, "
                   "or pg_stats hides columns the role may not read; GRANT SELECT or "
                   "pg_read_all_data shows them, or install pgstattuple)");
    }
    EmitIndexBloat(state.index_bloat.value(), db, sink);
    EmitBloatMethod(state.bloat_method, db, sink);
  }

  // The session that serves database `db`: the DSN's own, or one of its own.
  Session* SessionFor(const std::string& db, Run& run) {
    if (db == main_.conn->database()) return &main_;
    Session& s = databases_[db].session;
    Status st = Ensure(s, db, run.deadline);
    if (!st.ok()) {
      run.errors.push_back(st.message());
      return nullptr;
    }
    return &s;
  }

  void CollectDatabases(const std::vector<std::string>& names, Run& run, MetricSink& sink) {
    // Close the sessions of databases that are no longer listed.
    std::set<std::string> wanted(names.begin(), names.end());
    wanted.insert(main_.conn->database());
    for (const auto& q : cfg_.queries) {
      if (!q.database.empty()) wanted.insert(q.database);
    }
    for (auto it = databases_.begin(); it != databases_.end();) {
      it = wanted.count(it->first) != 0 ? std::next(it) : databases_.erase(it);
    }
    for (const auto& db : names) {
      if (db != main_.conn->database()) {
        if (Seconds(run.deadline - Clock::now()) < 0.02) {
          run.errors.push_back("database " + db + ": skipped, no time left before the deadline");
          continue;
        }
        Session* s = SessionFor(db, run);
        if (s == nullptr) continue;
        if (!ReadDatabase(*s, db, databases_[db], run)) continue;
      }
      Database& state = databases_[db];
      EmitDatabase(state, db, run, sink);
      // Per-table rows read at every scrape (tables.ttl 0) are not needed until the next one;
      // for 500 tables they are a megabyte or two.
      if (cfg_.tables_ttl_seconds <= 0) {
        state.tables.Invalidate();
        state.indexes.Invalidate();
      }
      if (!Connected(main_)) return;
    }
  }

  // Reads a database other than the DSN's: the choice of tables when due, then the rest.
  bool ReadDatabase(Session& s, const std::string& db, Database& state, Run& run) {
    const std::string what = " (database " + db + ")";
    StartDatabase(state);
    if (!state.chosen.Fresh(cfg_.tables_sizes_ttl_seconds)) {
      std::vector<Section> first;
      AddChoiceSections(state, what, first);
      if (!runner_.Execute(s, "database " + db, first, run)) return false;
    }
    std::vector<Section> second;
    AddTableSections(state, what, second);
    return runner_.Execute(s, "database " + db, second, run);
  }

  void CollectOperatorQueries(Run& run, MetricSink& sink) {
    for (const auto& q : cfg_.queries) {
      Cache& cache = query_cache_[q.name];
      if (cache.Fresh(q.ttl_seconds)) {
        run.age.Served(cache);
      } else if (!ReadOperatorQuery(q, cache, run)) {
        if (!Connected(main_)) return;
        continue;
      }
      Status st = EmitOperatorQuery(q.name, q.ttl_seconds, cache.value(), sink);
      if (!st.ok()) {
        run.errors.push_back(st.message());
        WarnOnce("query-shape:" + q.name, st.message());
      }
    }
  }

  bool ReadOperatorQuery(const OperatorQuery& q, Cache& cache, Run& run) {
    const std::string db = q.database.empty() ? main_.conn->database() : q.database;
    Session* s = SessionFor(db, run);
    if (s == nullptr) {
      cache.Invalidate();
      return false;
    }
    QueryResult rows;
    std::string sqlstate;
    Status st = runner_.Query(*s, q.sql, run.deadline, &rows, &sqlstate, q.timeout_seconds);
    if (!st.ok()) {
      cache.Invalidate();
      const std::string message = "query " + q.name + ": " + Scrub(st.message(), secrets_);
      run.errors.push_back(message);
      if (failing_queries_.insert(q.name).second) {
        spdlog::warn("postgres target {}: {}", cfg_.name, message);
      }
      return false;
    }
    if (failing_queries_.erase(q.name) != 0) {
      spdlog::info("postgres target {}: query {} works again", cfg_.name, q.name);
    }
    cache.Set(std::move(rows));
    return true;
  }

  TargetConfig cfg_;
  MemoryErrors* memory_errors_;
  double long_running_seconds_;
  double slow_query_seconds_;
  SessionFactory factory_;
  std::vector<std::string> secrets_;
  SectionRunner runner_;
  Session main_;
  std::map<std::string, Database> databases_;  // by name; the DSN's own too (its tables)
  std::map<std::string, Cache> query_cache_;
  Cache database_sizes_, settings_;
  TopStatements top_;
  std::set<std::string> warned_;
  std::set<std::string> failing_queries_;
};

}  // namespace

std::vector<std::shared_ptr<Collector>> MakeCollectorsWith(std::vector<TargetConfig> targets,
                                                           const CollectorEnv& env,
                                                           SessionFactory factory) {
  if (!factory) factory = [] { return std::make_unique<PgConnection>(); };
  std::vector<std::shared_ptr<Collector>> out;
  for (auto& target : targets) {
    // The thresholds the collection uses are part of what makes an instance what it is.
    std::string fingerprint = target.fingerprint + "|" +
                              FormatNumber(env.thresholds.long_running_query_seconds) + "|" +
                              FormatNumber(env.thresholds.slow_query_mean_seconds);
    out.push_back(std::make_shared<PostgresCollector>(std::move(target), std::move(fingerprint),
                                                      env, factory));
  }
  return out;
}

std::vector<std::shared_ptr<Collector>> MakeCollectors(std::vector<TargetConfig> targets,
                                                       const CollectorEnv& env) {
  return MakeCollectorsWith(std::move(targets), env, nullptr);
}

}  // namespace thoth::postgres

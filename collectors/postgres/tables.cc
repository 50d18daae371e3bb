#include "collectors/postgres/tables.h"

#include <string_view>
#include <unordered_map>

#include "collectors/postgres/config.h"

namespace thoth::postgres {

namespace {

// pg_class c and pg_namespace n, and the conditions under which pg_stat_user_tables lists a
// table, with the include and exclude patterns.
std::string UserTables(const TableSelection& selection, const std::string& joins) {
  std::string sql =
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
      joins +
      "WHERE c.relkind IN ('r', 't', 'm', 'p') "
      "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
      "AND n.nspname !~ '^pg_toast'";
  if (!selection.include.empty()) {
    sql += " AND (n.nspname || '.' || c.relname) ~ " + QuoteLiteral(selection.include);
  }
  if (!selection.exclude.empty()) {
    sql += " AND (n.nspname || '.' || c.relname) !~ " + QuoteLiteral(selection.exclude);
  }
  return sql;
}

}  // namespace

std::string ChooseTablesSql(const TableSelection& selection) {
  if (selection.limit <= 0) {
    // Only the count: pg_stat_user_tables_omitted then counts every table.
    return "SELECT NULL::oid AS relid, count(*) AS total " + UserTables(selection, "");
  }
  // The largest tables are chosen by the catalog's page counts (pg_class.relpages of the table,
  // its TOAST table and its indexes, kept current by VACUUM, ANALYZE and autovacuum): reading
  // them takes no lock. Exact sizes (pg_table_size, pg_indexes_size) open each relation and hold
  // a lock on it and on each of its indexes until the statement ends, so they are read for the
  // chosen tables only: with 10,000 tables, 500 tables' locks instead of 20,000 (which would
  // not even fit the default lock table) and a third of the time.
  return "SELECT u.* FROM (SELECT t.relid, t.nspname, t.relname, t.total, "
         "COALESCE(pg_table_size(t.relid), 0) AS table_size, "
         "COALESCE(pg_indexes_size(t.relid), 0) AS index_size FROM ("
         "SELECT c.oid AS relid, n.nspname, c.relname, count(*) OVER () AS total " +
         UserTables(selection,
                    "LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid "
                    "LEFT JOIN (SELECT x.indrelid, sum(ic.relpages::bigint) AS pages "
                    "FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic "
                    "ON ic.oid = x.indexrelid GROUP BY x.indrelid) ix ON ix.indrelid = c.oid ") +
         " ORDER BY c.relpages::bigint + COALESCE(tc.relpages, 0) + COALESCE(ix.pages, 0) DESC, "
         "n.nspname, c.relname LIMIT " +
         std::to_string(selection.limit) +
         ") t) u ORDER BY u.table_size + u.index_size DESC, u.nspname, u.relname";
}

std::vector<std::string> ChosenRelids(const QueryResult& chosen) {
  std::vector<std::string> relids;
  const int col = chosen.Column("relid");
  if (col < 0) return relids;
  for (const auto& row : chosen.rows) {
    if (row[static_cast<size_t>(col)]) relids.push_back(*row[static_cast<size_t>(col)]);
  }
  return relids;
}

std::string TableStatsSql(const std::vector<std::string>& relids) {
  // The filter on relid reaches pg_class's index inside the view: the statistics functions run
  // for the chosen tables only (3 ms for 500 of 10,000 tables, against 40 ms for the whole view).
  return "SELECT s.relid, s.schemaname, s.relname, s.seq_scan, s.seq_tup_read, "
         "COALESCE(s.idx_scan, 0) AS idx_scan, COALESCE(s.idx_tup_fetch, 0) AS idx_tup_fetch, "
         "s.n_tup_ins, s.n_tup_upd, s.n_tup_del, s.n_tup_hot_upd, s.n_live_tup, s.n_dead_tup, "
         "s.n_mod_since_analyze, "
         "COALESCE(extract(epoch FROM s.last_vacuum), 0)::float8 AS last_vacuum, "
         "COALESCE(extract(epoch FROM s.last_autovacuum), 0)::float8 AS last_autovacuum, "
         "COALESCE(extract(epoch FROM s.last_analyze), 0)::float8 AS last_analyze, "
         "COALESCE(extract(epoch FROM s.last_autoanalyze), 0)::float8 AS last_autoanalyze, "
         "s.vacuum_count, s.autovacuum_count, s.analyze_count, s.autoanalyze_count "
         "FROM pg_catalog.pg_stat_user_tables s WHERE s.relid = ANY(" +
         OidArray(relids) + ")";
}

QueryResult JoinTableRows(const QueryResult& chosen, QueryResult&& stats) {
  QueryResult out;
  out.columns = stats.columns;
  const char* const kAdded[] = {"table_size", "index_size", "total"};
  std::vector<int> added;
  for (const char* name : kAdded) {
    out.columns.emplace_back(name);
    added.push_back(chosen.Column(name));
  }
  const int chosen_relid = chosen.Column("relid"), stats_relid = stats.Column("relid");
  if (chosen_relid < 0 || stats_relid < 0) return out;
  // Pairs first, then the statistics rows moved (not copied: 500 tables' rows are a megabyte),
  // each at most once.
  std::vector<std::pair<size_t, size_t>> pairs;  // (chosen row, stats row)
  {
    std::unordered_map<std::string_view, size_t> by_relid;
    for (size_t i = 0; i < stats.rows.size(); ++i) {
      const auto& id = stats.rows[i][static_cast<size_t>(stats_relid)];
      if (id) by_relid.emplace(*id, i);
    }
    pairs.reserve(chosen.rows.size());
    for (size_t c = 0; c < chosen.rows.size(); ++c) {
      const auto& id = chosen.rows[c][static_cast<size_t>(chosen_relid)];
      if (!id) continue;
      auto it = by_relid.find(*id);
      if (it == by_relid.end()) continue;  // dropped since it was chosen
      pairs.emplace_back(c, it->second);
      by_relid.erase(it);
    }
  }
  out.rows.reserve(pairs.size());
  for (const auto& [c, i] : pairs) {
    QueryResult::Row joined = std::move(stats.rows[i]);
    for (int col : added) {
      joined.push_back(col >= 0 ? chosen.rows[c][static_cast<size_t>(col)] : QueryResult::Cell{});
    }
    out.rows.push_back(std::move(joined));
  }
  return out;
}

namespace {

enum class Kind { kGauge, kCounter };

struct TableColumn {
  const char* column;
  const char* metric;  // after pg_stat_user_tables_
  Kind kind;
  const char* help;
};

// Cumulative counts keep postgres_exporter's names without _total; promtool accepts counters only
// with _total, so they are untyped (rate() works the same).
constexpr TableColumn kTableColumns[] = {
    {"table_size", "table_size_bytes", Kind::kGauge,
     "Total disk space used by this table (read every tables.sizes_ttl, default 1m)"},
    {"index_size", "index_size_bytes", Kind::kGauge,
     "Total disk space used by the indexes of this table (read every tables.sizes_ttl, default "
     "1m)"},
    {"seq_scan", "seq_scan", Kind::kCounter, "Number of sequential scans initiated on this table"},
    {"seq_tup_read", "seq_tup_read", Kind::kCounter,
     "Number of live rows fetched by sequential scans"},
    {"idx_scan", "idx_scan", Kind::kCounter, "Number of index scans initiated on this table"},
    {"idx_tup_fetch", "idx_tup_fetch", Kind::kCounter,
     "Number of live rows fetched by index scans"},
    {"n_tup_ins", "n_tup_ins", Kind::kCounter, "Number of rows inserted"},
    {"n_tup_upd", "n_tup_upd", Kind::kCounter, "Number of rows updated"},
    {"n_tup_del", "n_tup_del", Kind::kCounter, "Number of rows deleted"},
    {"n_tup_hot_upd", "n_tup_hot_upd", Kind::kCounter,
     "Number of rows HOT updated (no separate index update required)"},
    {"n_live_tup", "n_live_tup", Kind::kGauge, "Estimated number of live rows"},
    {"n_dead_tup", "n_dead_tup", Kind::kGauge, "Estimated number of dead rows"},
    {"n_mod_since_analyze", "n_mod_since_analyze", Kind::kGauge,
     "Estimated number of rows changed since last analyze"},
    {"last_vacuum", "last_vacuum", Kind::kGauge,
     "Last time this table was manually vacuumed (unix seconds, 0 = never)"},
    {"last_autovacuum", "last_autovacuum", Kind::kGauge,
     "Last time this table was vacuumed by the autovacuum daemon (unix seconds, 0 = never)"},
    {"last_analyze", "last_analyze", Kind::kGauge,
     "Last time this table was manually analyzed (unix seconds, 0 = never)"},
    {"last_autoanalyze", "last_autoanalyze", Kind::kGauge,
     "Last time this table was analyzed by the autovacuum daemon (unix seconds, 0 = never)"},
    {"vacuum_count", "vacuum_count", Kind::kCounter,
     "Number of times this table has been manually vacuumed"},
    {"autovacuum_count", "autovacuum_count", Kind::kCounter,
     "Number of times this table has been vacuumed by the autovacuum daemon"},
    {"analyze_count", "analyze_count", Kind::kCounter,
     "Number of times this table has been manually analyzed"},
    {"autoanalyze_count", "autoanalyze_count", Kind::kCounter,
     "Number of times this table has been analyzed by the autovacuum daemon"},
};

}  // namespace

std::vector<std::string> EmitTables(const QueryResult& rows, const std::string& datname,
                                    MetricSink& sink) {
  std::vector<std::string> relids;
  double total = 0;
  size_t written = 0;
  std::vector<int> columns;
  std::vector<std::string> names;  // built once: each is longer than the short-string buffer
  for (const auto& c : kTableColumns) {
    columns.push_back(rows.Column(c.column));
    names.push_back(std::string("pg_stat_user_tables_") + c.metric);
  }
  const int schema_col = rows.Column("schemaname"), rel_col = rows.Column("relname"),
            relid_col = rows.Column("relid"), total_col = rows.Column("total");
  for (const auto& row : rows.rows) {
    if (total_col >= 0) {
      if (auto t = ParseNumber(row[static_cast<size_t>(total_col)])) total = std::max(total, *t);
    }
    if (schema_col < 0 || rel_col < 0) continue;
    const auto& schema = row[static_cast<size_t>(schema_col)];
    const auto& rel = row[static_cast<size_t>(rel_col)];
    if (!schema || !rel) continue;
    ++written;
    if (relid_col >= 0 && row[static_cast<size_t>(relid_col)]) {
      relids.push_back(*row[static_cast<size_t>(relid_col)]);
    }
    const Labels labels = {{"datname", datname}, {"schemaname", *schema}, {"relname", *rel}};
    for (size_t k = 0; k < columns.size(); ++k) {
      if (columns[k] < 0) continue;
      auto v = ParseNumber(row[static_cast<size_t>(columns[k])]);
      if (!v) continue;
      const auto& c = kTableColumns[k];
      if (c.kind == Kind::kGauge) {
        sink.Gauge(names[k], c.help, labels, *v);
      } else {
        sink.Untyped(names[k], c.help, labels, *v);
      }
    }
  }
  const double omitted =
      total > static_cast<double>(written) ? total - static_cast<double>(written) : 0;
  sink.Gauge("pg_stat_user_tables_omitted",
             "user tables without per-table series because they are beyond tables.limit",
             {{"datname", datname}}, omitted);
  return relids;
}

std::string OidArray(const std::vector<std::string>& relids) {
  std::string out = "'{";
  bool first = true;
  for (const auto& id : relids) {
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) continue;
    if (!first) out += ',';
    out += id;
    first = false;
  }
  out += "}'::oid[]";
  return out;
}

std::string IndexesSql(const std::vector<std::string>& relids) {
  return "SELECT i.schemaname, i.relname, i.indexrelname, i.idx_scan, "
         "COALESCE(pg_relation_size(i.indexrelid), 0) AS size "
         "FROM pg_catalog.pg_stat_user_indexes i "
         "JOIN pg_catalog.pg_index x ON x.indexrelid = i.indexrelid "
         "WHERE NOT x.indisprimary AND i.relid = ANY(" +
         OidArray(relids) + ") ORDER BY i.schemaname, i.relname, i.indexrelname";
}

void EmitIndexes(const QueryResult& rows, const std::string& datname, MetricSink& sink) {
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    const auto& schema = rows.Get(i, "schemaname");
    const auto& rel = rows.Get(i, "relname");
    const auto& index = rows.Get(i, "indexrelname");
    if (!schema || !rel || !index) continue;
    const Labels labels = {
        {"datname", datname}, {"schemaname", *schema}, {"relname", *rel}, {"indexrelname", *index}};
    if (auto v = ParseNumber(rows.Get(i, "idx_scan"))) {
      sink.Counter("pg_stat_user_indexes_scans_total",
                   "Number of index scans initiated on this index (0 = unused; primary keys are "
                   "not listed)",
                   labels, *v);
    }
    if (auto v = ParseNumber(rows.Get(i, "size"))) {
      sink.Gauge("pg_stat_user_indexes_size_bytes", "Disk space used by this index", labels, *v);
    }
  }
}

}  // namespace thoth::postgres

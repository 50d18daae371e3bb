#include "collectors/postgres/statements.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "exporter/health_check.h"

namespace thoth::postgres {

namespace {

std::string TimeColumn(int v) { return v >= 130000 ? "total_exec_time" : "total_time"; }

std::string Key(const std::string& user, const std::string& datname, const std::string& queryid) {
  return user + '\x1f' + datname + '\x1f' + queryid;
}

}  // namespace

std::string StatementsSql(const std::string& schema, int v, int candidates, int query_length) {
  const std::string time = TimeColumn(v);
  // pg_stat_statements(false) leaves the query texts in their file: reading them for thousands
  // of entries is most of the function's cost.
  const std::string text = query_length > 0
                               ? "min(left(s.query, " + std::to_string(query_length * 4) + "))"
                               : "NULL::text";
  return "SELECT pg_get_userbyid(s.userid) AS user, d.datname, s.queryid::text AS queryid, "
         "sum(s.calls)::float8 AS calls, (sum(s." +
         time + ") / 1000.0)::float8 AS seconds, sum(s.rows)::float8 AS rows, " + text +
         " AS query FROM " + schema + ".pg_stat_statements(" +
         (query_length > 0 ? "true" : "false") +
         ") s JOIN pg_catalog.pg_database d ON d.oid = s.dbid "
         "WHERE s.queryid IS NOT NULL GROUP BY s.userid, d.datname, s.queryid "
         "ORDER BY seconds DESC, queryid LIMIT " +
         std::to_string(candidates);
}

std::string SlowQueriesSql(const std::string& schema, int v, double threshold_seconds) {
  const std::string time = TimeColumn(v);
  char ms[64];
  std::snprintf(ms, sizeof ms, "%.3f", threshold_seconds * 1000);
  return "SELECT d.datname, count(s.dbid) AS slow FROM pg_catalog.pg_database d LEFT JOIN " +
         schema + ".pg_stat_statements(false) s ON s.dbid = d.oid AND s.calls > 0 AND s." + time +
         " / s.calls > " + ms + " WHERE NOT d.datistemplate GROUP BY d.datname ORDER BY d.datname";
}

void EmitSlowQueries(const QueryResult& rows, double threshold_seconds, MetricSink& sink) {
  const std::string help =
      "statements whose mean execution time exceeds slow_query_mean_seconds (" +
      FormatNumber(threshold_seconds) + " s)";
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    const auto& datname = rows.Get(i, "datname");
    auto v = ParseNumber(rows.Get(i, "slow"));
    if (!datname || !v) continue;
    sink.Gauge("pg_slow_queries", help, {{"datname", *datname}}, *v);
  }
}

std::vector<std::string> TopStatements::Select(const std::vector<Candidate>& candidates) {
  std::map<std::string, double> seconds;
  for (const auto& c : candidates) seconds.emplace(c.key, c.seconds);
  // Keep the shown ones that are still candidates.
  std::vector<std::string> kept;
  for (const auto& key : shown_) {
    if (seconds.count(key) != 0 && kept.size() < top_) kept.push_back(key);
  }
  std::set<std::string> in(kept.begin(), kept.end());
  std::vector<Candidate> newcomers;
  for (const auto& c : candidates) {
    if (in.count(c.key) == 0) newcomers.push_back(c);
  }
  auto heavier = [](const Candidate& a, const Candidate& b) {
    return a.seconds != b.seconds ? a.seconds > b.seconds : a.key < b.key;
  };
  std::sort(newcomers.begin(), newcomers.end(), heavier);
  size_t next = 0;
  while (kept.size() < top_ && next < newcomers.size()) {
    kept.push_back(newcomers[next].key);
    in.insert(newcomers[next].key);
    ++next;
  }
  // A newcomer displaces the weakest shown statement only when clearly heavier.
  while (next < newcomers.size() && !kept.empty()) {
    auto weakest = std::min_element(kept.begin(), kept.end(), [&](const auto& a, const auto& b) {
      return seconds[a] != seconds[b] ? seconds[a] < seconds[b] : a > b;
    });
    if (newcomers[next].seconds <= seconds[*weakest] * margin_) break;
    *weakest = newcomers[next].key;
    ++next;
  }
  shown_ = kept;
  return kept;
}

void EmitStatements(const QueryResult& rows, TopStatements& top, bool with_text,
                    size_t query_length, MetricSink& sink) {
  std::vector<TopStatements::Candidate> candidates;
  std::map<std::string, size_t> row_of;
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    const auto& user = rows.Get(i, "user");
    const auto& datname = rows.Get(i, "datname");
    const auto& queryid = rows.Get(i, "queryid");
    auto seconds = ParseNumber(rows.Get(i, "seconds"));
    if (!user || !datname || !queryid || !seconds) continue;
    std::string key = Key(*user, *datname, *queryid);
    if (!row_of.emplace(key, i).second) continue;
    candidates.push_back({key, *seconds});
  }
  std::vector<std::string> selected = top.Select(candidates);
  // Emit in a stable order, whatever order the selection kept.
  std::sort(selected.begin(), selected.end(),
            [&](const std::string& a, const std::string& b) { return row_of[a] < row_of[b]; });
  std::set<std::string> texts_done;
  for (const auto& key : selected) {
    const size_t i = row_of[key];
    const Labels labels = {{"datname", *rows.Get(i, "datname")},
                           {"user", *rows.Get(i, "user")},
                           {"queryid", *rows.Get(i, "queryid")}};
    if (auto v = ParseNumber(rows.Get(i, "calls"))) {
      sink.Counter("pg_stat_statements_calls_total", "Number of times executed", labels, *v);
    }
    if (auto v = ParseNumber(rows.Get(i, "seconds"))) {
      sink.Counter("pg_stat_statements_seconds_total",
                   "Total time spent in the statement, in seconds", labels, *v);
    }
    if (auto v = ParseNumber(rows.Get(i, "rows"))) {
      sink.Counter("pg_stat_statements_rows_total",
                   "Total number of rows retrieved or affected by the statement", labels, *v);
    }
  }
  if (!with_text) return;
  for (const auto& key : selected) {
    const size_t i = row_of[key];
    const std::string& queryid = *rows.Get(i, "queryid");
    // One text per queryid, even when several users run it.
    if (!texts_done.insert(queryid).second) continue;
    sink.Gauge("pg_stat_statements_query_id", "Text of a statement shown above, truncated",
               {{"queryid", queryid},
                {"query", TruncateQueryText(rows.Get(i, "query").value_or(""), query_length)}},
               1);
  }
}

std::string TruncateQueryText(std::string_view text, size_t max_chars) {
  // Split into characters first (valid UTF-8 sequences, whitespace runs as one space), then cut.
  std::vector<std::string_view> chars;
  bool space = false;
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v') {
      space = !chars.empty();
      ++i;
      continue;
    }
    const size_t len = c < 0x80           ? 1
                       : (c >> 5) == 0x6  ? 2
                       : (c >> 4) == 0xE  ? 3
                       : (c >> 3) == 0x1E ? 4
                                          : 0;
    bool valid = len > 0 && i + len <= text.size();
    for (size_t k = 1; valid && k < len; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (!valid || c < 0x20 || c == 0x7F) {
      ++i;  // invalid UTF-8 or a control character: dropped
      continue;
    }
    if (space) chars.push_back(" ");
    space = false;
    chars.push_back(text.substr(i, len));
    i += len;
  }
  size_t keep = chars.size();
  const bool cut = chars.size() > max_chars;
  if (cut) {
    keep = max_chars >= 3 ? max_chars - 3 : max_chars;
    while (keep > 0 && chars[keep - 1] == " ") --keep;
  }
  std::string out;
  for (size_t k = 0; k < keep; ++k) out.append(chars[k]);
  if (cut && max_chars >= 3) out += "...";
  return out;
}

}  // namespace thoth::postgres

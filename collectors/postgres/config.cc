#include "collectors/postgres/config.h"

#include <re2/re2.h>

#include <set>
#include <string_view>

namespace thoth::postgres {

namespace {

bool IsIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 100) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

// The patterns run in PostgreSQL's `~` operator: POSIX advanced regular expressions (AREs), not
// RE2's Go syntax, so RE2 is only a syntax check here and must not reject what the server accepts.
// The structural typos both grammars reject (an unbalanced paren or bracket, a trailing
// backslash, a repetition with no operand or a doubled one, a bad {m,n}) fail at load time;
// ARE-only constructs RE2 does not know (back-references, \m \M \y, lookaround, (?#...),
// [[:<:]]) are left to the server, which reports them at query time. An ARE "***=" prefix
// makes the rest a literal; "***:" only announces an ARE.
bool IsStructuralError(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorMissingBracket:
    case RE2::ErrorMissingParen:
    case RE2::ErrorUnexpectedParen:
    case RE2::ErrorTrailingBackslash:
    case RE2::ErrorRepeatArgument:
    case RE2::ErrorRepeatSize:
    case RE2::ErrorRepeatOp:
      return true;
    default:
      return false;
  }
}

void CheckPattern(const ConfigNode& tables, const char* key, const std::string& pattern) {
  if (pattern.empty()) return;
  if (pattern.find('\0') != std::string::npos) tables.FailKey(key, "must not contain NUL");
  std::string_view body = pattern;
  if (body.starts_with("***=")) return;
  if (body.starts_with("***:")) body.remove_prefix(4);
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 re(body, options);
  if (!re.ok() && IsStructuralError(re.error_code())) {
    tables.FailKey(key, "not a valid regular expression: " + re.error());
  }
}

int PositiveInt(const ConfigNode& node, const char* key, int def, int min, int max) {
  const std::int64_t v = node.Integer(key, def);
  if (v < min || v > max) {
    node.FailKey(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return static_cast<int>(v);
}

double PositiveDuration(const ConfigNode& node, const char* key, double def, bool zero_ok) {
  const double v = node.Duration(key, def);
  if (v < 0 || (!zero_ok && v <= 0)) node.FailKey(key, "must be a positive duration");
  return v;
}

void ParseDatabases(const ConfigNode& node, TargetConfig& t) {
  ConfigNode dbs = node.Child("databases");
  if (dbs.IsNull()) return;
  if (dbs.IsScalar() && dbs.AsString() == "all") {
    t.all_databases = true;
  } else if (dbs.IsSequence()) {
    std::set<std::string> seen;
    for (const auto& item : dbs.Items()) {
      std::string db = item.AsString();
      if (db.empty()) item.Fail("database name must not be empty");
      if (!seen.insert(db).second) item.Fail("database listed twice");
      t.databases.push_back(db);
    }
  } else {
    dbs.Fail("expected `all` or a list of database names");
  }
}

// statements:, tables:, database_sizes:, settings:.
void ParseSections(const ConfigNode& node, TargetConfig& t) {
  ConfigNode st = node.Child("statements");
  if (!st.IsNull()) {
    st.ExpectKeys({"top", "query_text", "query_length"});
    t.statements_top = PositiveInt(st, "top", 20, 0, 1000);
    t.statements_query_text = st.Bool("query_text", false);
    t.statements_query_length = PositiveInt(st, "query_length", 120, 10, 4000);
  }
  ConfigNode tables = node.Child("tables");
  if (!tables.IsNull()) {
    tables.ExpectKeys({"limit", "include", "exclude", "ttl", "sizes_ttl"});
    t.tables_limit = PositiveInt(tables, "limit", 500, 0, 100000);
    t.tables_include = tables.String("include", "");
    t.tables_exclude = tables.String("exclude", "");
    CheckPattern(tables, "include", t.tables_include);
    CheckPattern(tables, "exclude", t.tables_exclude);
    t.tables_ttl_seconds = PositiveDuration(tables, "ttl", 0, true);
    t.tables_sizes_ttl_seconds = PositiveDuration(tables, "sizes_ttl", 60, true);
  }
  ConfigNode sizes = node.Child("database_sizes");
  if (!sizes.IsNull()) {
    sizes.ExpectKeys({"ttl"});
    t.database_sizes_ttl_seconds = PositiveDuration(sizes, "ttl", 60, true);
  }
  ConfigNode settings = node.Child("settings");
  if (!settings.IsNull()) {
    settings.ExpectKeys({"ttl"});
    t.settings_ttl_seconds = PositiveDuration(settings, "ttl", 600, true);
  }
}

void ParseBloat(const ConfigNode& node, TargetConfig& t) {
  ConfigNode bloat = node.Child("bloat");
  if (bloat.IsNull()) return;
  bloat.ExpectKeys({"enabled", "ttl", "method", "tables", "budget"});
  t.bloat_enabled = bloat.Bool("enabled", true);
  t.bloat_ttl_seconds = PositiveDuration(bloat, "ttl", 300, true);
  const std::string method = bloat.String("method", "auto");
  if (method == "estimate") {
    t.bloat_method = BloatMethod::kEstimate;
  } else if (method != "auto") {
    bloat.FailKey("method", "expected `auto` or `estimate`");
  }
  t.bloat_tables = PositiveInt(bloat, "tables", 20, 1, 10000);
  t.bloat_budget_seconds = PositiveDuration(bloat, "budget", 2, false);
}

void ParseQueries(const ConfigNode& node, TargetConfig& t) {
  std::set<std::string> names;
  for (const auto& q : node.Child("queries").Items()) {
    q.ExpectKeys({"name", "sql", "ttl", "timeout", "database"});
    OperatorQuery oq;
    oq.name = q.RequiredString("name");
    if (!IsIdentifier(oq.name)) {
      q.FailKey("name", "must be letters, digits and underscores, not starting with a digit");
    }
    if (!names.insert(oq.name).second) q.FailKey("name", "used by another query of this target");
    oq.sql = q.RequiredString("sql");
    if (oq.sql.find_first_not_of(" \t\r\n;") == std::string::npos) {
      q.FailKey("sql", "must not be empty");
    }
    oq.database = q.String("database", "");
    oq.ttl_seconds = PositiveDuration(q, "ttl", 0, true);
    oq.timeout_seconds = PositiveDuration(q, "timeout", 5, false);
    t.queries.push_back(std::move(oq));
  }
}

TargetConfig ParseTarget(const ConfigNode& node) {
  node.ExpectKeys({"name", "dsn", "password", "password_file", "pool_size", "databases",
                   "connect_timeout", "statement_timeout", "lock_timeout", "statements", "tables",
                   "bloat", "queries", "database_sizes", "settings"});
  TargetConfig t;
  t.name = node.RequiredString("name");
  t.dsn = node.RequiredString("dsn");
  auto params = ParseDsn(t.dsn);
  if (!params.ok()) {
    node.FailKey("dsn", "not a valid libpq connection string: " + params.status().message());
  }
  t.dsn_params = std::move(params).value();
  t.password = node.Secret("password");
  if (node.Has("pool_size")) {
    t.pool_size = node.Integer("pool_size", 0);
    if (*t.pool_size < 1) node.FailKey("pool_size", "must be at least 1");
  }
  ParseDatabases(node, t);
  t.session.connect_timeout_seconds = PositiveDuration(node, "connect_timeout", 5, false);
  t.session.statement_timeout_seconds = PositiveDuration(node, "statement_timeout", 10, false);
  t.session.lock_timeout_seconds = PositiveDuration(node, "lock_timeout", 2, false);
  ParseSections(node, t);
  ParseBloat(node, t);
  ParseQueries(node, t);
  t.fingerprint = node.Fingerprint();
  return t;
}

}  // namespace

Status ParseConfig(const ConfigNode& section, std::vector<TargetConfig>* out) {
  // Checked before ParseTargetList, whose "expected a list" says less.
  if (!section.IsNull() && !section.IsSequence()) {
    return CatchConfigError([&] { section.Fail("expected a list of targets"); });
  }
  return ParseTargetList(section, ParseTarget, out);
}

std::string QuoteLiteral(std::string_view text) {
  std::string out = "E'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  out += '\'';
  return out;
}

}  // namespace thoth::postgres

#include "collectors/postgres/queries.h"

#include <set>
#include <vector>

#include "exporter/health_check.h"

namespace thoth::postgres {

namespace {

bool IsLabelName(const std::string& s) {
  if (s.empty() || s.rfind("__", 0) == 0) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

}  // namespace

Status EmitOperatorQuery(const std::string& name, double ttl_seconds, const QueryResult& rows,
                         MetricSink& sink) {
  int value_col = rows.Column("value");
  if (value_col < 0 && rows.columns.size() == 1) value_col = 0;
  if (value_col < 0) {
    return Status::Error("query " + name +
                         ": name the value column `value` (the other columns become labels)");
  }
  std::vector<size_t> label_cols;
  std::set<std::string> label_names;
  for (size_t c = 0; c < rows.columns.size(); ++c) {
    if (static_cast<int>(c) == value_col) continue;
    const std::string& col = rows.columns[c];
    if (!IsLabelName(col) || col == "target") {
      return Status::Error("query " + name + ": column \"" + col +
                           "\" cannot be a label (letters, digits, _; not `target`)");
    }
    if (!label_names.insert(col).second) {
      return Status::Error("query " + name + ": column \"" + col + "\" appears twice");
    }
    label_cols.push_back(c);
  }
  std::string help = "operator-defined query " + name;
  if (ttl_seconds > 0) help += " (cached for " + FormatNumber(ttl_seconds) + " s)";
  std::set<std::vector<std::string>> seen;
  for (const auto& row : rows.rows) {
    auto v = ParseNumber(row[static_cast<size_t>(value_col)]);
    if (!v) continue;
    Labels labels;
    std::vector<std::string> key;
    for (size_t c : label_cols) {
      std::string value = row[c].value_or("");
      key.push_back(value);
      labels.emplace_back(rows.columns[c], std::move(value));
    }
    if (!seen.insert(key).second) continue;
    sink.Gauge("pg_query_" + name, help, labels, *v);
  }
  return Status::Ok();
}

}  // namespace thoth::postgres

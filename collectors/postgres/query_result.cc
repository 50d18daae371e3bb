#include "collectors/postgres/query_result.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace thoth::postgres {

int QueryResult::Column(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return static_cast<int>(i);
  }
  return -1;
}

const QueryResult::Cell& QueryResult::Get(size_t row, std::string_view name) const {
  static const Cell kNull;
  const int col = Column(name);
  if (col < 0 || row >= rows.size() || static_cast<size_t>(col) >= rows[row].size()) return kNull;
  return rows[row][static_cast<size_t>(col)];
}

std::optional<double> ParseNumber(std::string_view text) {
  if (text == "t" || text == "true" || text == "on") return 1.0;
  if (text == "f" || text == "false" || text == "off") return 0.0;
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "Infinity") return std::numeric_limits<double>::infinity();
  if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  if (text.empty()) return std::nullopt;
  // from_chars would also take "inf"/"nan" spellings PostgreSQL never prints; those are
  // rejected so that a text column cannot pass for a number.
  const char first = text.front();
  if (!(first == '-' || first == '.' || (first >= '0' && first <= '9'))) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseNumber(const QueryResult::Cell& cell) {
  if (!cell) return std::nullopt;
  return ParseNumber(std::string_view(*cell));
}

namespace {

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

}  // namespace

QueryResult ParseTabular(std::string_view text) {
  QueryResult result;
  bool header = true;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.front() == '(' && line.back() == ')' && line.find("row") != std::string_view::npos) {
      continue;  // psql's "(N rows)" footer
    }
    auto fields = SplitTabs(line);
    if (header) {
      for (auto f : fields) result.columns.emplace_back(f);
      header = false;
      continue;
    }
    QueryResult::Row row;
    for (size_t i = 0; i < result.columns.size(); ++i) {
      if (i >= fields.size() || fields[i] == "\\N") {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(fields[i]));
      }
    }
    result.rows.push_back(std::move(row));
  }
  return result;
}

}  // namespace thoth::postgres

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace thoth::postgres {

// One result set as text, the way libpq hands it over: column names and rows of cells, where a
// SQL NULL is nullopt. Plain data, so that every piece of code that turns rows into metrics can be
// tested on fixtures without a server.
struct QueryResult {
  using Cell = std::optional<std::string>;
  using Row = std::vector<Cell>;

  std::vector<std::string> columns;
  std::vector<Row> rows;

  // Index of the column called `name`, or -1.
  int Column(std::string_view name) const;
  // The cell of row `row` in column `name`; nullopt when the column is absent or the cell NULL.
  const Cell& Get(size_t row, std::string_view name) const;
};

// Parses a PostgreSQL text value as a number: integers, floats, numeric, "NaN", "Infinity",
// "-Infinity", and booleans ("t"/"f", "on"/"off", "true"/"false"). nullopt for NULL or anything
// else.
std::optional<double> ParseNumber(const QueryResult::Cell& cell);
std::optional<double> ParseNumber(std::string_view text);
inline std::optional<double> ParseNumber(const char* text) {
  return ParseNumber(std::string_view(text));
}

// Reads a result in the format of `psql -A -F '<TAB>' -P null='\N'` (header line, then rows;
// "\N" is NULL; a trailing "(N rows)" footer is ignored). Used by tests and fixtures.
QueryResult ParseTabular(std::string_view text);

}  // namespace thoth::postgres

#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "collectors/postgres/query_result.h"

namespace thoth::postgres {

// A result recorded from PostgreSQL 15 with `psql -A -F '<TAB>' -P null='\N'` running the
// collector's own SQL (tests/fixtures/postgres/*.tsv).
inline QueryResult Fixture(const std::string& name) {
  std::ifstream in(std::string(THOTH_FIXTURES_DIR) + "/postgres/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return ParseTabular(text.str());
}

inline double Sample(const Families& families, const std::string& name, const Labels& labels = {}) {
  double v = 0;
  if (!FindSample(families, name, labels, &v)) return -12345;
  return v;
}

}  // namespace thoth::postgres

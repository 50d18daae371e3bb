#pragma once

// What tests share: reading a recorded fixture, comparing a text with a golden file, and looking
// up one sample of what a collector wrote. Header-only; THOTH_FIXTURES_DIR is tests/fixtures (set
// by tests/CMakeLists.txt).

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/metric_sink.h"
#include "exporter/status.h"
#include "gtest/gtest.h"

namespace thoth {

// A Status as the text tests compare: "" when ok, else its message.
inline std::string ErrorText(const Status& status) { return status.ok() ? "" : status.message(); }

// The bytes of tests/fixtures/<path>, e.g. Fixture("redis/info_7.0.txt"). A fixture that cannot
// be read fails the test that asked for it (and gives "").
inline std::string Fixture(const std::string& path) {
  std::ifstream in(std::string(THOTH_FIXTURES_DIR) + "/" + path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read fixture " << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Expects `text` to equal the golden file tests/fixtures/<path> byte for byte, e.g.
// ExpectGolden("logs/golden/metrics.prom", text): a change to what users' dashboards and alerts
// read shows as a diff of that file. With THOTH_UPDATE_GOLDEN set in the environment, the file
// is rewritten with `text` first (then review its diff).
inline void ExpectGolden(const std::string& path, const std::string& text) {
  const std::string file = std::string(THOTH_FIXTURES_DIR) + "/" + path;
  if (std::getenv("THOTH_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  }
  EXPECT_EQ(Fixture(path), text) << "rewrite with THOTH_UPDATE_GOLDEN=1 if intended: " << file;
}

// The value of the first sample of family `name` that carries every label of `labels` (others
// may be there too); NaN when there is none.
inline double Value(const Families& families, std::string_view name, const Labels& labels = {}) {
  double v = NAN;
  return FindSample(families, name, labels, &v) ? v : NAN;
}
inline double Value(const MetricSink& sink, std::string_view name, const Labels& labels = {}) {
  return Value(sink.families(), name, labels);
}

// Whether such a sample is there.
inline bool Has(const Families& families, std::string_view name, const Labels& labels = {}) {
  return !std::isnan(Value(families, name, labels));
}
inline bool Has(const MetricSink& sink, std::string_view name, const Labels& labels = {}) {
  return Has(sink.families(), name, labels);
}

}  // namespace thoth

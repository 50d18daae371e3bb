#pragma once

// What tests share: reading a recorded fixture, and looking up one sample of what a collector
// wrote. Header-only; THOTH_FIXTURES_DIR is tests/fixtures (set by tests/CMakeLists.txt).

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/metric_sink.h"
#include "gtest/gtest.h"

namespace thoth {

// The bytes of tests/fixtures/<path>, e.g. Fixture("redis/info_7.0.txt"). A fixture that cannot
// be read fails the test that asked for it (and gives "").
inline std::string Fixture(const std::string& path) {
  std::ifstream in(std::string(THOTH_FIXTURES_DIR) + "/" + path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read fixture " << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
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

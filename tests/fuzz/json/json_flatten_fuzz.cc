// The json collector's translation of a JSON document into samples: the body of a server that
// may be anything listening on that port. Run once without mappings and once with mappings that
// use every feature (wildcards over objects and arrays, key and sibling labels, numeric
// strings), checking the promises of json_flatten.h on every input.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/json/json_flatten.h"

namespace {

using thoth::json::Flattened;
using thoth::json::FlattenOptions;
using thoth::json::Mapping;

Mapping Make(const char* pointer, const char* name) {
  Mapping m;
  m.pointer = pointer;
  auto tokens = thoth::json::ParsePointer(pointer);
  if (!tokens.ok()) __builtin_trap();
  m.tokens = *tokens;
  m.name = name;
  return m;
}

const FlattenOptions& WithMappings() {
  static const FlattenOptions options = [] {
    FlattenOptions o;
    o.prefix = "f";
    o.max_series = 50;
    Mapping each = Make("/*/*", "f_each");
    each.key_labels = {"outer", "inner"};
    each.labels_from = {{"name", "name"}, {"id", "id"}};
    Mapping root = Make("", "f_root");
    Mapping first = Make("/0/a~1b", "f_first");
    first.kind = thoth::json::MetricKind::kCounter;
    o.mappings = {each, root, first};
    return o;
  }();
  return options;
}

void Check(const thoth::StatusOr<Flattened>& result, std::size_t max_series) {
  if (!result.ok()) {
    // (An error carries no samples: there is no Flattened to check.)
    const std::string& error = result.status().message();
    if (error.empty() || error.size() > 512) __builtin_trap();
    for (unsigned char c : error) {
      if (c < 0x20) __builtin_trap();  // one line in a log or a --once row
    }
    return;
  }
  const Flattened& f = *result;
  if (f.samples.size() > max_series) __builtin_trap();
  for (const auto& s : f.samples) {
    if (!thoth::json::IsMetricName(s.name) || s.name.size() > thoth::json::kMaxNameLength) {
      __builtin_trap();
    }
    if (!std::isfinite(s.value) || std::fabs(s.value) > 1e308) __builtin_trap();
    for (const auto& [name, value] : s.labels) {
      if (!thoth::json::IsLabelName(name)) __builtin_trap();
      if (value.size() > thoth::json::kMaxLabelValueLength) __builtin_trap();
    }
    if (s.help.find('\n') != std::string::npos) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  FlattenOptions automatic;
  automatic.prefix = "f";
  automatic.max_series = 50;
  Check(thoth::json::Flatten(body, automatic), automatic.max_series);
  Check(thoth::json::Flatten(body, WithMappings()), WithMappings().max_series);
  return 0;
}

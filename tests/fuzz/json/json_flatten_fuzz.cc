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
  std::string error;
  if (!thoth::json::ParsePointer(pointer, &m.tokens, &error)) __builtin_trap();
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

void Check(const Flattened& f, bool ok, const std::string& error, std::size_t max_series) {
  if (!ok) {
    if (!f.samples.empty() || f.omitted != 0 || error.empty() || error.size() > 512) {
      __builtin_trap();
    }
    for (unsigned char c : error) {
      if (c < 0x20) __builtin_trap();  // one line in a log or a --once row
    }
    return;
  }
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
  Flattened f;
  std::string error;
  bool ok = thoth::json::Flatten(body, automatic, &f, &error);
  Check(f, ok, error, automatic.max_series);
  error.clear();
  ok = thoth::json::Flatten(body, WithMappings(), &f, &error);
  Check(f, ok, error, WithMappings().max_series);
  return 0;
}

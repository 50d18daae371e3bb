// The Redis INFO parser: the reply of a server the exporter does not control.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/redis/info_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto info = thoth::redis::ParseInfo(text);
  // The parser promises bounded series however many lines a lying server sends.
  constexpr size_t kMax = thoth::redis::kMaxLabeledEntries;
  if (info.commands.size() > kMax || info.errors.size() > kMax || info.keyspace.size() > kMax ||
      info.replicas.size() > kMax) {
    __builtin_trap();
  }
  // Every number it hands out is finite (the sink would print NaN/Inf as a value otherwise).
  for (const auto& [key, raw] : info.fields) {
    auto n = info.Number(key);
    if (n && !std::isfinite(*n)) __builtin_trap();
  }
  for (const auto& c : info.commands) {
    if (!std::isfinite(c.calls) || !std::isfinite(c.usec)) __builtin_trap();
  }
  auto whole = thoth::redis::ParseNumber(text);
  if (whole && !std::isfinite(*whole)) __builtin_trap();
  (void)thoth::redis::SplitPairs(text);
  return 0;
}

#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "exporter/metric_sink.h"

namespace thoth {

// One row of the memory service's error-code table (SPEC §6).
struct ErrorCode {
  const char* code;
  const char* description;
  const char* solution;
};

// MEM-001 ... MEM-008, in order.
const std::array<ErrorCode, 8>& ErrorCodes();

// Returns the code itself when it is one of the eight known codes, else "other", so that a
// hostile log line cannot create new series without bound.
std::string_view NormalizeErrorCode(std::string_view code);

// thoth_memory_errors_total{code,source}: the MEM-00x conditions seen in logs and observed by the
// exporter itself (failed PostgreSQL connects, dimension mismatches, HTTP 401/403/429).
// Lives for the whole process, across reloads, so counters never go backwards.
// Thread-safe.
class MemoryErrors {
 public:
  void Add(std::string_view code, std::string_view source, std::uint64_t n = 1);
  std::uint64_t Get(std::string_view code, std::string_view source) const;
  // Writes thoth_memory_errors_total and thoth_error_code_info.
  void Emit(MetricSink& sink) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::uint64_t, std::less<>> counts_;
};

}  // namespace thoth

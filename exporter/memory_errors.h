#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "exporter/metric_sink.h"

namespace thoth {

// The memory service's error codes (SPEC §6, the operations manual's table), and kOther for a
// MEM-ddd code outside the table, so that a hostile log line cannot create series without bound.
enum class MemCode : std::uint8_t {
  kDatabaseTimeout,    // MEM-001
  kInvalidEntity,      // MEM-002
  kClientNotFound,     // MEM-003
  kDuplicateEntity,    // MEM-004
  kDimensionMismatch,  // MEM-005
  kRateLimited,        // MEM-006
  kAuthFailed,         // MEM-007
  kSchemaInvalid,      // MEM-008
  kOther,
};
// The codes of the table, then kOther: the size of arrays indexed by MemCodeIndex().
inline constexpr std::size_t kMemCodeCount = 9;
constexpr std::size_t MemCodeIndex(MemCode code) { return static_cast<std::size_t>(code); }
constexpr MemCode MemCodeAt(std::size_t index) { return static_cast<MemCode>(index); }

// One row of the table.
struct ErrorCode {
  MemCode id;
  const char* code;  // "MEM-001": the `code` label of thoth_memory_errors_total
  const char* description;
  const char* solution;
};

// MEM-001 ... MEM-008, in the order of MemCode (without kOther).
const std::array<ErrorCode, kMemCodeCount - 1>& ErrorCodes();

// "MEM-001" ... "MEM-008", "other" for kOther.
std::string_view MemCodeName(MemCode code);
// The code written exactly as one of the table's, else kOther.
MemCode ParseMemCode(std::string_view code);

// Returns the code itself when it is one of the eight known codes, else "other".
std::string_view NormalizeErrorCode(std::string_view code);

// thoth_memory_errors_total{code,source}: the MEM-00x conditions seen in logs and observed by the
// exporter itself (failed PostgreSQL connects, dimension mismatches, HTTP 401/403/429).
// Lives for the whole process, across reloads, so counters never go backwards.
// Thread-safe.
class MemoryErrors {
 public:
  void Add(MemCode code, std::string_view source, std::uint64_t n = 1);
  std::uint64_t Get(std::string_view code, std::string_view source) const;
  // Writes thoth_memory_errors_total and thoth_error_code_info.
  void Emit(MetricSink& sink) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::uint64_t, std::less<>> counts_;
};

}  // namespace thoth

#include "exporter/memory_errors.h"

namespace thoth {

const std::array<ErrorCode, kMemCodeCount - 1>& ErrorCodes() {
  static constexpr std::array<ErrorCode, kMemCodeCount - 1> kCodes = {{
      {MemCode::kDatabaseTimeout, "MEM-001", "Database connection timeout",
       "Check database status and network"},
      {MemCode::kInvalidEntity, "MEM-002", "Invalid entity data", "Validate input against schema"},
      {MemCode::kClientNotFound, "MEM-003", "Client not found", "Verify client_id exists"},
      {MemCode::kDuplicateEntity, "MEM-004", "Duplicate entity", "Use update instead of create"},
      {MemCode::kDimensionMismatch, "MEM-005", "Vector dimension mismatch",
       "Check embedding model consistency"},
      {MemCode::kRateLimited, "MEM-006", "Rate limit exceeded", "Implement backoff strategy"},
      {MemCode::kAuthFailed, "MEM-007", "Authentication failed", "Verify JWT token and scope"},
      {MemCode::kSchemaInvalid, "MEM-008", "Schema validation failed",
       "Check object_schemas table"},
  }};
  static_assert(
      [] {
        for (std::size_t i = 0; i < kCodes.size(); ++i) {
          if (MemCodeIndex(kCodes[i].id) != i) return false;
        }
        return true;
      }(),
      "ErrorCodes() is in the order of MemCode");
  return kCodes;
}

std::string_view MemCodeName(MemCode code) {
  if (code == MemCode::kOther || MemCodeIndex(code) >= ErrorCodes().size()) return "other";
  return ErrorCodes()[MemCodeIndex(code)].code;
}

MemCode ParseMemCode(std::string_view code) {
  for (const auto& c : ErrorCodes()) {
    if (code == c.code) return c.id;
  }
  return MemCode::kOther;
}

std::string_view NormalizeErrorCode(std::string_view code) {
  return MemCodeName(ParseMemCode(code));
}

void MemoryErrors::Add(MemCode code, std::string_view source, std::uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = std::make_pair(std::string(MemCodeName(code)), std::string(source));
  counts_[std::move(key)] += n;
}

std::uint64_t MemoryErrors::Get(std::string_view code, std::string_view source) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(std::make_pair(std::string(code), std::string(source)));
  return it == counts_.end() ? 0 : it->second;
}

void MemoryErrors::Emit(MetricSink& sink) const {
  static constexpr const char* kHelp =
      "MEM-00x error conditions of the memory service, from its logs and as observed by the "
      "exporter (source = log name, or postgres/chroma/http).";
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, n] : counts_) {
      sink.Counter("thoth_memory_errors_total", kHelp,
                   {{"code", key.first}, {"source", key.second}}, static_cast<double>(n));
    }
  }
  for (const auto& c : ErrorCodes()) {
    sink.Gauge("thoth_error_code_info",
               "The memory service's error codes with the manual's description and solution.",
               {{"code", c.code}, {"description", c.description}, {"solution", c.solution}}, 1);
  }
}

}  // namespace thoth

#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "collectors/logs/error_code_parser.h"
#include "collectors/logs/line_assembler.h"
#include "collectors/logs/nginx_parser.h"
#include "exporter/metric_sink.h"

namespace thoth {
class MemoryErrors;
}

namespace thoth::logs {

enum class LogFormat { kErrorCodes, kNginx };

// Upper bounds of thoth_http_request_duration_seconds; 0.5 and 2 are the API latency
// thresholds (SPEC §7), so the alert's histogram_quantile is exact there.
inline constexpr std::array<double, 11> kDurationBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                           0.5,   1,    2,     5,    10};

// The counters of one log, fed line by line by its tailer and read by scrapes.
//
// One thread writes (the tailer's), any thread reads: every counter is a relaxed atomic, so a
// scrape never waits for the reader and never blocks it. MEM-00x codes are batched per chunk
// and handed to MemoryErrors (which takes a lock) in Flush().
class LogCounters : public LineHandler {
 public:
  // memory_errors may be null (tests of the counters alone). parser is required for kNginx;
  // regex is optional for kErrorCodes.
  LogCounters(std::string log_name, LogFormat format, std::optional<NginxLineParser> parser,
              std::optional<CodeRegex> regex, MemoryErrors* memory_errors);

  void OnLine(std::string_view line) override;
  void OnOverlongLine() override;
  void OnRotation() override { rotations_.fetch_add(1, std::memory_order_relaxed); }
  void OnTruncation() override { truncations_.fetch_add(1, std::memory_order_relaxed); }
  void Flush() override;
  void OnFilesFollowed(std::size_t files) override {
    files_.store(static_cast<std::int64_t>(files), std::memory_order_relaxed);
  }

  // Creates this log's thoth_memory_errors_total series at 0 (the codes it can report), so
  // that dashboards and rate() see 0 rather than no data before the first error.
  void RegisterCodes();

  // thoth_log_* and, for nginx logs, thoth_http_requests_total and the duration histogram.
  void Emit(MetricSink& sink) const;

  std::uint64_t lines() const { return lines_.load(std::memory_order_relaxed); }
  std::uint64_t parse_errors() const { return parse_errors_.load(std::memory_order_relaxed); }
  std::uint64_t rotations() const { return rotations_.load(std::memory_order_relaxed); }
  std::uint64_t truncations() const { return truncations_.load(std::memory_order_relaxed); }
  // Files followed at the last look; -1 before the first.
  std::int64_t files() const { return files_.load(std::memory_order_relaxed); }
  std::uint64_t requests() const { return requests_total_.load(std::memory_order_relaxed); }
  std::uint64_t server_errors() const { return server_errors_.load(std::memory_order_relaxed); }
  std::uint64_t requests(int method, int status) const;
  // The access-line parser (kNginx), else null.
  const NginxLineParser* parser() const { return parser_ ? &*parser_ : nullptr; }
  // Lines that carried the code (flushed ones).
  std::uint64_t code_count(MemCode code) const;

 private:
  void CountCodes(CodeSet codes);
  void OnAccessLine(std::string_view line);

  const std::string name_;
  const LogFormat format_;
  const std::optional<NginxLineParser> parser_;
  const std::optional<CodeRegex> regex_;
  MemoryErrors* const memory_errors_;

  std::atomic<std::uint64_t> lines_{0};
  std::atomic<std::uint64_t> parse_errors_{0};
  std::atomic<std::uint64_t> rotations_{0};
  std::atomic<std::uint64_t> truncations_{0};
  std::atomic<std::int64_t> files_{-1};

  // nginx: requests by method and status (000..999), a fixed table so that no line allocates.
  std::array<std::atomic<std::uint64_t>, kMethodCount * 1000> by_method_status_{};
  std::atomic<std::uint64_t> requests_total_{0};
  std::atomic<std::uint64_t> server_errors_{0};
  std::array<std::atomic<std::uint64_t>, kDurationBounds.size() + 1> duration_buckets_{};
  std::atomic<std::uint64_t> duration_sum_us_{0};

  // By MemCodeIndex().
  std::array<std::uint64_t, kMemCodeCount> pending_codes_{};  // tailer thread only
  std::array<std::atomic<std::uint64_t>, kMemCodeCount> codes_{};
};

}  // namespace thoth::logs

#include "collectors/logs/log_counters.h"

#include <string>
#include <vector>

#include "exporter/memory_errors.h"

namespace thoth::logs {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// kDurationBounds in whole microseconds, for integer comparisons per line. Derived from it, so
// that the histogram's buckets and its `le` labels cannot drift apart.
constexpr std::array<std::int64_t, kDurationBounds.size()> MicrosOf(
    const std::array<double, kDurationBounds.size()>& seconds) {
  std::array<std::int64_t, kDurationBounds.size()> micros{};
  for (std::size_t i = 0; i < micros.size(); ++i) {
    micros[i] = static_cast<std::int64_t>(seconds[i] * 1e6 + 0.5);
  }
  return micros;
}
constexpr auto kBoundsMicros = MicrosOf(kDurationBounds);
static_assert(kBoundsMicros.front() == 5000 && kBoundsMicros[6] == 500000 &&
              kBoundsMicros.back() == 10000000);

constexpr int kMem006 = 5;  // slot of MEM-006, rate limit exceeded
constexpr int kMem007 = 6;  // slot of MEM-007, authentication failed

std::string StatusText(int status) {
  std::string s(3, '0');
  s[0] = static_cast<char>('0' + status / 100);
  s[1] = static_cast<char>('0' + status / 10 % 10);
  s[2] = static_cast<char>('0' + status % 10);
  return s;
}

}  // namespace

LogCounters::LogCounters(std::string log_name, LogFormat format,
                         std::optional<NginxLineParser> parser, std::optional<CodeRegex> regex,
                         MemoryErrors* memory_errors)
    : name_(std::move(log_name)),
      format_(format),
      parser_(std::move(parser)),
      regex_(std::move(regex)),
      memory_errors_(memory_errors) {}

void LogCounters::OnLine(std::string_view line) {
  lines_.fetch_add(1, kRelaxed);
  if (format_ == LogFormat::kNginx) {
    OnAccessLine(line);
  } else if (regex_) {
    auto slot = regex_->Match(line);
    if (slot) CountCodes(static_cast<CodeSet>(1u << *slot));
  } else {
    CountCodes(FindErrorCodes(line));
  }
}

void LogCounters::OnAccessLine(std::string_view line) {
  AccessRecord rec;
  if (!parser_ || !parser_->Parse(line, &rec)) {
    parse_errors_.fetch_add(1, kRelaxed);
    return;
  }
  by_method_status_[static_cast<std::size_t>(rec.method) * 1000 +
                    static_cast<std::size_t>(rec.status)]
      .fetch_add(1, kRelaxed);
  requests_total_.fetch_add(1, kRelaxed);
  if (rec.status >= 500 && rec.status <= 599) server_errors_.fetch_add(1, kRelaxed);
  if (rec.status == 401 || rec.status == 403) ++pending_codes_[kMem007];
  if (rec.status == 429) ++pending_codes_[kMem006];
  if (rec.duration_us >= 0) {
    std::size_t b = 0;
    while (b < kBoundsMicros.size() && rec.duration_us > kBoundsMicros[b]) ++b;
    duration_buckets_[b].fetch_add(1, kRelaxed);
    duration_sum_us_.fetch_add(static_cast<std::uint64_t>(rec.duration_us), kRelaxed);
  }
}

void LogCounters::CountCodes(CodeSet codes) {
  while (codes != 0) {
    int slot = __builtin_ctz(codes);
    ++pending_codes_[static_cast<std::size_t>(slot)];
    codes = static_cast<CodeSet>(codes & (codes - 1));
  }
}

void LogCounters::OnOverlongLine() {
  lines_.fetch_add(1, kRelaxed);
  parse_errors_.fetch_add(1, kRelaxed);
}

void LogCounters::Flush() {
  for (std::size_t slot = 0; slot < pending_codes_.size(); ++slot) {
    std::uint64_t n = pending_codes_[slot];
    if (n == 0) continue;
    pending_codes_[slot] = 0;
    codes_[slot].fetch_add(n, kRelaxed);
    if (memory_errors_ != nullptr) {
      memory_errors_->Add(CodeSlotName(static_cast<int>(slot)), name_, n);
    }
  }
}

void LogCounters::RegisterCodes() {
  if (memory_errors_ == nullptr) return;
  if (format_ == LogFormat::kNginx) {
    memory_errors_->Add(CodeSlotName(kMem006), name_, 0);
    memory_errors_->Add(CodeSlotName(kMem007), name_, 0);
    return;
  }
  for (int slot = 0; slot < kOtherSlot; ++slot) memory_errors_->Add(CodeSlotName(slot), name_, 0);
}

std::uint64_t LogCounters::requests(int method, int status) const {
  if (method < 0 || method >= kMethodCount || status < 0 || status > 999) return 0;
  return by_method_status_[static_cast<std::size_t>(method) * 1000 +
                           static_cast<std::size_t>(status)]
      .load(kRelaxed);
}

std::uint64_t LogCounters::code_count(int slot) const {
  if (slot < 0 || slot >= kCodeSlots) return 0;
  return codes_[static_cast<std::size_t>(slot)].load(kRelaxed);
}

void LogCounters::Emit(MetricSink& sink) const {
  const Labels log = {{"log", name_}};
  sink.Counter("thoth_log_lines_total", "Lines read from the log's files.", log,
               static_cast<double>(lines()));
  sink.Counter("thoth_log_rotations_total",
               "Files of the log that left their path (renamed or deleted) while followed.", log,
               static_cast<double>(rotations()));
  sink.Counter("thoth_log_truncations_total",
               "Files of the log that shrank below the read position (copytruncate) and were "
               "read again from the start.",
               log, static_cast<double>(truncations()));
  if (std::int64_t files_now = files(); files_now >= 0) {
    sink.Gauge("thoth_log_files",
               "Files the log follows now: regular, uncompressed files matching its path (0: the "
               "path matches nothing).",
               log, static_cast<double>(files_now));
  }
  sink.Counter("thoth_log_parse_errors_total",
               "Lines that could not be parsed in the log's format, or were longer than "
               "max_line_bytes and skipped.",
               log, static_cast<double>(parse_errors()));
  if (format_ != LogFormat::kNginx) return;

  for (int m = 0; m < kMethodCount; ++m) {
    for (int status = 0; status < 1000; ++status) {
      std::uint64_t n = requests(m, status);
      if (n == 0) continue;
      sink.Counter(
          "thoth_http_requests_total", "HTTP requests in the access log.",
          {{"log", name_}, {"method", std::string(MethodName(m))}, {"status", StatusText(status)}},
          static_cast<double>(n));
    }
  }
  std::vector<double> bounds(kDurationBounds.begin(), kDurationBounds.end());
  std::vector<std::uint64_t> cumulative(bounds.size());
  // The count is the sum of the buckets as read, so that +Inf equals it even while the tailer
  // is adding lines (the sum may then lead by a few observations, which is harmless).
  std::uint64_t running = 0;
  for (std::size_t b = 0; b < bounds.size(); ++b) {
    running += duration_buckets_[b].load(kRelaxed);
    cumulative[b] = running;
  }
  std::uint64_t count = running + duration_buckets_[bounds.size()].load(kRelaxed);
  double sum = static_cast<double>(duration_sum_us_.load(kRelaxed)) / 1e6;
  sink.Histogram("thoth_http_request_duration_seconds",
                 "Request duration from the access log ($request_time).", log, bounds, cumulative,
                 count, sum);
}

}  // namespace thoth::logs

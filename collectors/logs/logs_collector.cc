#include "collectors/logs/logs_collector.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <mutex>
#include <set>

#include "exporter/health_check.h"
#include "spdlog/spdlog.h"

namespace thoth::logs {

namespace {

const std::string kKind = "logs";

// A log is "mostly unparsed" when more than half of at least this many lines fail to parse
// (alerts/logs.rules.yml, ThothLogUnparsed): a few odd lines in a quiet log are not a problem.
constexpr std::uint64_t kUnparsedMinLines = 20;

// The --once grading of MEM codes, as alerts/memory-errors.rules.yml grades them: any
// occurrence is critical (per_minute_warning 0), or a warning above a rate a minute. In an
// error_codes log, MEM-001 (database unreachable) and MEM-005 (embeddings of the wrong
// dimension) mean the memory service is not storing what it is given: always shown; the others
// when seen.
struct CodeRule {
  MemCode code;
  double per_minute_warning;
  bool always_shown;
};
constexpr std::array<CodeRule, kMemCodeCount - 1> kCodeRules = {{
    {MemCode::kDatabaseTimeout, 0, true},
    {MemCode::kInvalidEntity, 6, false},
    {MemCode::kClientNotFound, 6, false},
    {MemCode::kDuplicateEntity, 6, false},
    {MemCode::kDimensionMismatch, 0, true},
    {MemCode::kRateLimited, 60, false},
    {MemCode::kAuthFailed, 6, false},
    {MemCode::kSchemaInvalid, 6, false},
}};

const CodeRule& RuleOf(MemCode code) {
  for (const CodeRule& r : kCodeRules) {
    if (r.code == code) return r;
  }
  return kCodeRules.front();  // unreachable: every code of the table has its rule
}

// The MEM row of `code` (n lines with it); nullopt when it is not shown. `minutes` is the span
// the counters cover (0: unknown, then only the "any occurrence" codes are graded).
std::optional<HealthCheck> CodeRow(const std::string& log, MemCode code, std::uint64_t n,
                                   bool always, double minutes, const std::string& span) {
  const CodeRule& rule = RuleOf(code);
  if (n == 0 && !always) return std::nullopt;
  std::string check = std::string(MemCodeName(code)) + " lines";
  if (rule.per_minute_warning <= 0) {  // any occurrence is critical
    return HealthCheck{kKind,      log,
                       check,      std::to_string(n) + " " + span,
                       "> 0 crit", n > 0 ? Severity::kCritical : Severity::kOk};
  }
  if (minutes <= 0) return std::nullopt;
  double rate = static_cast<double>(n) / minutes;
  return HealthCheck{kKind,
                     log,
                     check,
                     FormatNumber(rate) + "/min (" + std::to_string(n) + " " + span + ")",
                     "> " + FormatNumber(rule.per_minute_warning) + "/min warn",
                     rate > rule.per_minute_warning ? Severity::kWarning : Severity::kOk};
}

HealthCheck UnparsedRow(const std::string& log, std::uint64_t lines, std::uint64_t bad,
                        const std::string& span) {
  HealthCheck row{kKind,
                  log,
                  "unparsed lines",
                  "no lines read " + span,
                  "> 50% of >= " + std::to_string(kUnparsedMinLines) + " lines warn",
                  Severity::kOk};
  if (lines > 0) {
    row.value = std::to_string(bad) + " of " + std::to_string(lines) + " lines (" +
                FormatNumber(100.0 * static_cast<double>(bad) / static_cast<double>(lines)) +
                "%) " + span;
    if (lines >= kUnparsedMinLines && bad * 2 > lines) row.status = Severity::kWarning;
  }
  return row;
}

HealthCheck ErrorRateRow(const std::string& log, std::uint64_t total, std::uint64_t errors,
                         const Level& level, const std::string& span) {
  HealthCheck row{kKind,
                  log,
                  "error_rate",
                  "no requests " + span,
                  "> " + FormatNumber(level.warning * 100) + "% warn, > " +
                      FormatNumber(level.critical * 100) + "% crit",
                  Severity::kOk};
  if (total > 0) {
    double ratio = static_cast<double>(errors) / static_cast<double>(total);
    row.value = FormatNumber(ratio * 100) + "% (" + std::to_string(errors) + " 5xx / " +
                std::to_string(total) + " requests " + span + ")";
    row.status = Grade(ratio, level);
  }
  return row;
}

}  // namespace

LogCollector::LogCollector(LogConfig config, std::optional<NginxLineParser> parser,
                           std::optional<CodeRegex> regex, std::string fingerprint,
                           const CollectorEnv& env, TailerOptions tailer_options)
    : Collector(CollectorId::Unlabelled(kKind, config.name, std::move(fingerprint))),
      config_(std::move(config)),
      one_shot_(env.one_shot) {
  counters_ = std::make_unique<LogCounters>(config_.name, config_.format, std::move(parser),
                                            std::move(regex), env.memory_errors);
  tailer_options.name = config_.name;
  tailer_options.glob = config_.path;
  tailer_options.from_start = config_.from_start;
  tailer_options.state_file = config_.state_file;
  tailer_options.max_line_bytes = config_.max_line_bytes;
  source_ = MakeLogSource(config_.source, std::move(tailer_options), counters_.get());
}

// The source goes first: its thread feeds the counters.
LogCollector::~LogCollector() { source_.reset(); }

void LogCollector::Start() {
  std::call_once(codes_once_, [this] { counters_->RegisterCodes(); });
  if (one_shot_) return;
  background_ = true;
  source_->Start();
}

void LogCollector::Stop() { source_->Stop(); }

Status LogCollector::Collect(const ScrapeContext& ctx, MetricSink& sink) {
  (void)ctx;  // reading counters takes microseconds
  if (one_shot_ && config_.source.kind == LogSourceConfig::Kind::kFile) {
    // `--once` on files: the recent past, by the lines' own times (recent_window.h). Not from
    // a state file's positions: a running exporter saves them every second, so reading from
    // there would judge the last second, i.e. nothing.
    std::call_once(codes_once_, [this] { counters_->RegisterCodes(); });
    if (!window_) ReadWindow();  // window_ is written only here: no lock needed to read it
  } else if (!background_) {
    // Collect() without Start(): tests, and `--once` on a Docker or journal source, which
    // reads once from its saved position (docs/collectors/logs.md).
    std::call_once(codes_once_, [this] { counters_->RegisterCodes(); });
    source_->PollOnce();
  }
  counters_->Emit(sink);
  return Status::Ok();
}

void LogCollector::ReadWindow() {
  WindowOptions options;
  options.glob = config_.path;
  options.now = static_cast<std::int64_t>(std::time(nullptr));
  options.max_line_bytes = config_.max_line_bytes;
  WindowResult result = ReadRecentWindow(
      options, MakeLineTimeFn(config_.format, counters_->parser(), LocalUtcOffset(options.now)),
      *counters_);
  std::lock_guard<std::mutex> lock(window_mu_);
  window_now_ = options.now;
  window_ = result;
}

std::string LogCollector::Span(const std::optional<WindowResult>& window, std::int64_t window_now) {
  if (!window) return "since start";
  if (window->cut_short && window->oldest) {
    return "in the newest " + std::to_string(kOnceWindowMaxBytes >> 20) + " MiB (last " +
           FormatNumber(static_cast<double>(window_now - *window->oldest)) + " s)";
  }
  return "in the last " + std::to_string(kOnceWindow.count() / 60) + " min";
}

double LogCollector::SpanMinutes(const std::optional<WindowResult>& window,
                                 std::int64_t window_now) {
  // Per-minute rates need a known span: only a recent window has one.
  if (!window) return 0;
  if (window->cut_short && window->oldest) {
    return std::max(1.0, static_cast<double>(window_now - *window->oldest)) / 60;
  }
  return static_cast<double>(kOnceWindow.count()) / 60;
}

void LogCollector::Checks(const Families& families, bool success, const Thresholds& thresholds,
                          std::vector<HealthCheck>& out) const {
  Collector::Checks(families, success, thresholds, out);
  // A container or unit that does not exist yet, or a journal that cannot be opened.
  if (std::string waiting = source_->Waiting(); !waiting.empty()) {
    out.push_back({kKind, config_.name, "source", waiting, "-", Severity::kWarning});
  }
  std::optional<WindowResult> window;
  std::int64_t window_now = 0;
  {
    std::lock_guard<std::mutex> lock(window_mu_);
    window = window_;
    window_now = window_now_;
  }
  const std::string span = Span(window, window_now);
  std::int64_t files = counters_->files();
  if (files >= 0) {
    out.push_back({kKind, config_.name, "files",
                   files == 0 ? "no file matches " + config_.path
                              : std::to_string(files) + " file(s) match " + config_.path,
                   "0 files warn", files == 0 ? Severity::kWarning : Severity::kOk});
  }
  out.push_back(UnparsedRow(config_.name, counters_->lines(), counters_->parse_errors(), span));
  const double minutes = SpanMinutes(window, window_now);
  auto code_row = [&](MemCode code, bool always) {
    auto row = CodeRow(config_.name, code, counters_->code_count(code), always, minutes, span);
    if (row) out.push_back(std::move(*row));
  };
  if (config_.format == LogFormat::kNginx) {
    out.push_back(ErrorRateRow(config_.name, counters_->requests(), counters_->server_errors(),
                               thresholds.error_rate_ratio, span));
    code_row(MemCode::kRateLimited, true);  // 429
    code_row(MemCode::kAuthFailed, true);   // 401, 403
    return;
  }
  for (const CodeRule& rule : kCodeRules) code_row(rule.code, rule.always_shown);
}

std::vector<std::shared_ptr<Collector>> MakeCollectors(std::vector<LogTarget> targets,
                                                       const CollectorEnv& env) {
  std::vector<std::shared_ptr<Collector>> out;
  out.reserve(targets.size());
  for (auto& t : targets) {
    out.push_back(std::make_shared<LogCollector>(std::move(t.config), std::move(t.parser),
                                                 std::move(t.regex), std::move(t.fingerprint),
                                                 env));
  }
  return out;
}

}  // namespace thoth::logs

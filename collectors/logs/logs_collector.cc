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

// Bounds for max_line_bytes: a line must fit a request line; one line must not take more
// memory than an operator would expect of a log tailer.
constexpr std::int64_t kMinLineBytes = 256;
constexpr std::int64_t kMaxLineBytes = 64 << 20;

// A log is "mostly unparsed" when more than half of at least this many lines fail to parse
// (alerts/logs.rules.yml, ThothLogUnparsed): a few odd lines in a quiet log are not a problem.
constexpr std::uint64_t kUnparsedMinLines = 20;

// The --once grading of MEM codes, as alerts/memory-errors.rules.yml grades them: any
// occurrence is critical (per_minute_warning 0), or a warning above a rate a minute.
struct CodeRule {
  int slot;
  double per_minute_warning;
};
constexpr std::array<CodeRule, 8> kCodeRules = {{
    {0, 0},   // MEM-001 database connection timeout
    {1, 6},   // MEM-002
    {2, 6},   // MEM-003
    {3, 6},   // MEM-004
    {4, 0},   // MEM-005 vector dimension mismatch
    {5, 60},  // MEM-006 rate limit exceeded
    {6, 6},   // MEM-007 authentication failed
    {7, 6},   // MEM-008
}};
constexpr int kMem006Slot = 5;
constexpr int kMem007Slot = 6;

}  // namespace

LogConfig ParseLogConfig(const ConfigNode& node) {
  node.ExpectKeys({"name", "path", "docker", "journal", "format", "from_start", "state_file",
                   "max_line_bytes", "log_format", "regex"});
  LogConfig c;
  c.name = node.RequiredString("name");
  if (c.name.empty()) node.FailKey("name", "must not be empty");
  if (!ParseLogSource(node, &c.source)) {
    c.path = node.RequiredString("path");
    if (c.path.empty()) node.FailKey("path", "must not be empty");
  }
  std::string format = node.RequiredString("format");
  if (format == "error_codes") {
    c.format = LogFormat::kErrorCodes;
  } else if (format == "nginx") {
    c.format = LogFormat::kNginx;
  } else {
    node.FailKey("format", "expected error_codes or nginx, got \"" + format + "\"");
  }
  c.from_start = node.Bool("from_start", false);
  c.state_file = node.String("state_file", "");
  std::int64_t max_line = node.Integer("max_line_bytes", 65536);
  if (max_line < kMinLineBytes || max_line > kMaxLineBytes) {
    node.FailKey("max_line_bytes", "must be between " + std::to_string(kMinLineBytes) + " and " +
                                       std::to_string(kMaxLineBytes));
  }
  c.max_line_bytes = static_cast<std::size_t>(max_line);
  if (node.Has("log_format")) {
    if (c.format != LogFormat::kNginx) node.FailKey("log_format", "only for format: nginx");
    c.log_format = node.String("log_format", "");
  }
  if (node.Has("regex")) {
    if (c.format != LogFormat::kErrorCodes) node.FailKey("regex", "only for format: error_codes");
    c.regex = node.String("regex", "");
  }
  return c;
}

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
  window_ = std::move(result);
}

std::string LogCollector::Span(const std::optional<WindowResult>& window, std::int64_t window_now) {
  if (!window) return "since start";
  if (window->cut_short && window->oldest) {
    return "in the newest " + std::to_string(kOnceWindowMaxBytes >> 20) + " MiB (last " +
           FormatNumber(static_cast<double>(window_now - *window->oldest)) + " s)";
  }
  return "in the last " + std::to_string(kOnceWindow.count() / 60) + " min";
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
  {
    std::uint64_t lines = counters_->lines();
    std::uint64_t bad = counters_->parse_errors();
    HealthCheck row{kKind,
                    config_.name,
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
    out.push_back(std::move(row));
  }
  // Per-minute rates need a known span: only a recent window has one.
  double minutes = 0;
  if (window) {
    minutes = static_cast<double>(kOnceWindow.count()) / 60;
    if (window->cut_short && window->oldest) {
      minutes = std::max(1.0, static_cast<double>(window_now - *window->oldest)) / 60;
    }
  }
  auto code_row = [&](int slot, bool always) {
    const CodeRule* rule = nullptr;
    for (const CodeRule& r : kCodeRules) {
      if (r.slot == slot) rule = &r;
    }
    if (rule == nullptr) return;
    std::uint64_t n = counters_->code_count(slot);
    if (n == 0 && !always) return;
    std::string check = std::string(CodeSlotName(slot)) + " lines";
    if (rule->per_minute_warning <= 0) {  // any occurrence is critical
      out.push_back({kKind, config_.name, check, std::to_string(n) + " " + span, "> 0 crit",
                     n > 0 ? Severity::kCritical : Severity::kOk});
      return;
    }
    if (minutes <= 0) return;
    double rate = static_cast<double>(n) / minutes;
    out.push_back({kKind, config_.name, check,
                   FormatNumber(rate) + "/min (" + std::to_string(n) + " " + span + ")",
                   "> " + FormatNumber(rule->per_minute_warning) + "/min warn",
                   rate > rule->per_minute_warning ? Severity::kWarning : Severity::kOk});
  };
  const Level& level = thresholds.error_rate_ratio;
  if (config_.format == LogFormat::kNginx) {
    std::uint64_t total = counters_->requests();
    std::uint64_t errors = counters_->server_errors();
    HealthCheck row{kKind,
                    config_.name,
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
    out.push_back(std::move(row));
    code_row(kMem006Slot, true);  // 429
    code_row(kMem007Slot, true);  // 401, 403
    return;
  }
  // MEM-001 (database unreachable) and MEM-005 (embeddings of the wrong dimension) mean the
  // memory service is not storing what it is given: always shown. The others when seen.
  for (int slot = 0; slot < kOtherSlot; ++slot) code_row(slot, slot == 0 || slot == 4);
}

std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env) {
  std::vector<std::shared_ptr<Collector>> out;
  std::set<std::string> names;
  std::set<std::string> state_files;
  for (const ConfigNode& item : root.Child("logs").Items()) {
    LogConfig config = ParseLogConfig(item);
    if (!names.insert(config.name).second) {
      item.FailKey("name", "another log is already named \"" + config.name + "\"");
    }
    if (!config.state_file.empty() && !state_files.insert(config.state_file).second) {
      item.FailKey("state_file", "already used by another log");
    }
    std::optional<NginxLineParser> parser;
    std::optional<CodeRegex> regex;
    std::string error;
    if (config.format == LogFormat::kNginx) {
      if (config.log_format.empty()) {
        parser = NginxLineParser::Default();
      } else {
        parser = NginxLineParser::Compile(config.log_format, &error);
        if (!parser) item.FailKey("log_format", error);
      }
    } else if (!config.regex.empty()) {
      regex = CodeRegex::Compile(config.regex, &error);
      if (!regex) item.FailKey("regex", error);
    }
    std::string fingerprint = item.Fingerprint();
    out.push_back(std::make_shared<LogCollector>(std::move(config), std::move(parser),
                                                 std::move(regex), std::move(fingerprint), env));
  }
  return out;
}

}  // namespace thoth::logs

#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collectors/logs/config.h"
#include "collectors/logs/log_counters.h"
#include "collectors/logs/log_source.h"
#include "collectors/logs/recent_window.h"
#include "collectors/logs/tailer.h"
#include "exporter/collector.h"

namespace thoth::logs {

// Metrics of one configured log, read from its source (files, a Docker container or a systemd
// unit: log_source.h). Start() begins tailing on a background thread; Collect() only reads
// counters (without Start() it runs one pass of the source itself). In `--once` (one_shot) on a
// file source, Collect() reads the log's recent window instead (recent_window.h), once, whether
// or not a state_file is configured (it is neither read nor written then); a Docker or journal
// source is read once from its saved position.
// Target() is the log's name; TargetLabel() is "": the samples carry `log` instead (SPEC §5).
class LogCollector : public Collector {
 public:
  // Tailer options beyond the config (poll interval, ...) are for tests.
  LogCollector(LogConfig config, std::optional<NginxLineParser> parser,
               std::optional<CodeRegex> regex, std::string fingerprint, const CollectorEnv& env,
               TailerOptions tailer_options = {});
  ~LogCollector() override;

  // Starts the background tailer, except in one-shot runs (CollectorEnv::one_shot).
  void Start() override;
  // Stops the tailer, which writes its final positions to the state file.
  void Stop() override;
  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override;
  // Files found (none: WARNING), lines mostly unparsed (WARNING); error rate of an nginx log
  // (5xx over the requests read) against error_rate_ratio; MEM codes (MEM-001 and MEM-005:
  // CRITICAL when seen; the others, and an nginx log's MEM-006/MEM-007, against the per-minute
  // rates of alerts/memory-errors.rules.yml when a recent window was read).
  void Checks(const Families& families, bool success, const Thresholds& thresholds,
              std::vector<HealthCheck>& out) const override;

  const LogCounters& counters() const { return *counters_; }

 private:
  void ReadWindow();
  // What the counters cover, for the --once rows: "in the last 5 min", ...
  static std::string Span(const std::optional<WindowResult>& window, std::int64_t window_now);
  // The minutes the counters cover, for per-minute rates: 0 when not known (not a window).
  static double SpanMinutes(const std::optional<WindowResult>& window, std::int64_t window_now);

  LogConfig config_;
  std::unique_ptr<LogCounters> counters_;
  std::unique_ptr<LogSource> source_;
  bool one_shot_ = false;
  std::once_flag codes_once_;
  std::atomic<bool> background_{false};  // the tailer thread was started (and maybe stopped)
  // `--once`: what the recent window read (set by the first Collect(), read by Checks(), which
  // may run beside a late Collect()).
  mutable std::mutex window_mu_;  // guards window_ and window_now_
  std::optional<WindowResult> window_;
  std::int64_t window_now_ = 0;
};

// Builds one collector per configured log of the `logs` section (parsed by config.h). No side
// effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(std::vector<LogTarget> targets,
                                                       const CollectorEnv& env);

}  // namespace thoth::logs

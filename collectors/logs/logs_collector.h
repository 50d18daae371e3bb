#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collectors/logs/log_counters.h"
#include "collectors/logs/log_source.h"
#include "collectors/logs/tailer.h"
#include "exporter/collector.h"
#include "exporter/config_reader.h"

namespace thoth::logs {

// One entry of the `logs` section (SPEC §4).
struct LogConfig {
  std::string name;
  std::string path;        // glob, for a file source
  LogSourceConfig source;  // path, docker or journal
  LogFormat format = LogFormat::kErrorCodes;
  bool from_start = false;
  std::string state_file;
  std::size_t max_line_bytes = 65536;
  std::string log_format;  // nginx only; "" = kDefaultNginxLogFormat
  std::string regex;       // error_codes only; "" = scan for MEM-ddd
};

// Metrics of one configured log, read from its source (files, a Docker container or a systemd
// unit: log_source.h). Start() begins tailing on a background thread; Collect() only
// reads counters (without Start(), as in `--once`, it runs one tailing pass itself).
// Target() is the log's name; TargetLabel() is "": the samples carry `log` instead (SPEC §5).
class LogCollector : public Collector {
 public:
  // Tailer options beyond the config (poll interval, ...) are for tests.
  LogCollector(LogConfig config, std::optional<NginxLineParser> parser,
               std::optional<CodeRegex> regex, std::string fingerprint, const CollectorEnv& env,
               TailerOptions tailer_options = {});
  ~LogCollector() override;

  const std::string& Name() const override;
  const std::string& Target() const override { return config_.name; }
  std::string TargetLabel() const override { return ""; }
  const std::string& Fingerprint() const override { return fingerprint_; }

  // Starts the background tailer, except in one-shot runs (CollectorEnv::one_shot).
  void Start() override;
  // Stops the tailer, which writes its final positions to the state file.
  void Stop() override;
  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override;
  // Error rate of an nginx log (5xx over requests read since start) against error_rate_ratio;
  // MEM-001 and MEM-005 seen in an error_codes log.
  void Checks(const std::vector<prometheus::MetricFamily>& families, bool success,
              const Thresholds& thresholds, std::vector<HealthCheck>& out) const override;

  const LogCounters& counters() const { return *counters_; }

 private:
  LogConfig config_;
  std::string fingerprint_;
  std::unique_ptr<LogCounters> counters_;
  std::unique_ptr<LogSource> source_;
  bool one_shot_ = false;
  std::once_flag codes_once_;
  std::atomic<bool> background_{false};  // the tailer thread was started (and maybe stopped)
};

// Reads and validates one `logs` entry (throws ConfigError).
LogConfig ParseLogConfig(const ConfigNode& node);

// Builds one collector per configured target of the `logs` section (validating it; throws
// ConfigError). No side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env);

}  // namespace thoth::logs

#pragma once

#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "exporter/cli.h"
#include "exporter/config.h"
#include "exporter/memory_errors.h"
#include "exporter/scrape_engine.h"

namespace thoth {

// The running exporter: the configuration, the collectors and the scrape engine, and everything
// the HTTP endpoints and --once ask of them. Thread-safe.
class App {
 public:
  explicit App(Options options);

  // Loads the configuration and installs (starts) its collectors. An error means: do not start.
  Status Load();
  // Loads the configuration again. On error the running configuration stays, the error is
  // logged and thoth_exporter_config_last_reload_successful becomes 0.
  Status Reload();
  // Before exiting on a signal: lets every collector end its background work (Collector::Stop).
  void Shutdown();

  std::shared_ptr<const LoadedConfig> config() const;
  const Options& options() const { return options_; }
  ScrapeEngine& engine() { return engine_; }
  MemoryErrors& memory_errors() { return memory_errors_; }

  // The deadline of a scrape that starts now: `timeout_header` is the value of
  // X-Prometheus-Scrape-Timeout-Seconds (nullptr when absent).
  Clock::time_point Deadline(const char* timeout_header) const;

  // The whole /metrics exposition: every enabled target, then the exporter's own metrics.
  std::string Metrics(Clock::time_point deadline);
  // One configured target (/probe?collector=NAME&target=NAME). False when there is none.
  bool ProbeTarget(const std::string& collector, const std::string& target,
                   Clock::time_point deadline, std::string* body);
  // Ad-hoc /probe?target=URL&module=NAME: ok when allowed, else the reason for refusing.
  Status AdHocAllowed(const std::string& url, const std::string& module) const;
  std::string AdHocProbe(const std::string& url, const std::string& module,
                         Clock::time_point deadline);
  // The HTML landing page.
  std::string LandingPage(const std::string& telemetry_path) const;

  // --once: collects every target once, writes the report in `format` (text|json|prometheus)
  // and returns the Nagios exit code.
  int RunOnce(const std::string& format, std::ostream& out, bool color);

 private:
  void EmitSelfMetrics(const std::vector<TargetResult>& results, MetricSink& sink) const;
  Status Install(LoadedConfig loaded);

  const Options options_;
  MemoryErrors memory_errors_;
  ScrapeEngine engine_;
  std::mutex reload_mu_;  // one load at a time
  mutable std::mutex mu_;
  std::shared_ptr<const LoadedConfig> config_;
  bool last_reload_ok_ = true;
  double last_reload_success_time_ = 0;
};

}  // namespace thoth

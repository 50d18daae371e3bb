#include "exporter/app.h"

#include <chrono>
#include <cstdlib>
#include <map>
#include <sstream>

#include "exporter/logging.h"
#include "exporter/once_report.h"
#include "exporter/registry.h"
#include "exporter/self_metrics.h"
#include "spdlog/spdlog.h"

namespace thoth {

namespace {

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

App::App(Options options) : options_(std::move(options)) {}

std::shared_ptr<const LoadedConfig> App::config() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_;
}

Status App::Install(LoadedConfig loaded) {
  if (!options_.log_level) SetLogLevel(loaded.exporter.log_level);
  // The engine gets the only references to the new instances, so that an instance it replaces
  // is gone (its connections closed, under its slot's lock) before its successor can collect:
  // a configuration kept here, or by a reload until it returned, kept the replaced instance
  // alive a moment past the hand-over, and the fault soak saw two PostgreSQL sessions of one
  // target right after a reload (2 runs of 10). The configuration keeps their number.
  std::vector<std::shared_ptr<Collector>> collectors = std::move(loaded.collectors);
  loaded.collectors.clear();
  loaded.target_count = collectors.size();
  auto shared = std::make_shared<const LoadedConfig>(std::move(loaded));
  engine_.SetCollectors(std::move(collectors));
  std::lock_guard<std::mutex> lock(mu_);
  config_ = std::move(shared);
  last_reload_ok_ = true;
  last_reload_success_time_ = UnixNow();
  return Status::Ok();
}

Status App::Load() {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  CollectorEnv env;
  env.memory_errors = &memory_errors_;
  env.one_shot = options_.once;
  LoadedConfig loaded;
  Status s = LoadConfig(options_.config_file, options_.selection, env, &loaded);
  if (!s.ok()) return s;
  spdlog::info("loaded configuration from {}: {} targets", loaded.source, loaded.collectors.size());
  return Install(std::move(loaded));
}

Status App::Reload() {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  CollectorEnv env;
  env.memory_errors = &memory_errors_;
  env.one_shot = options_.once;
  LoadedConfig loaded;
  Status s = LoadConfig(options_.config_file, options_.selection, env, &loaded);
  if (!s.ok()) {
    spdlog::error("reload failed, keeping the running configuration: {}", s.message());
    std::lock_guard<std::mutex> lock(mu_);
    last_reload_ok_ = false;
    return s;
  }
  auto old = config();
  if (old && old->exporter.listen_address != loaded.exporter.listen_address &&
      !options_.listen_address) {
    spdlog::warn("exporter.listen_address changed to {}; it takes effect at the next restart",
                 loaded.exporter.listen_address);
  }
  spdlog::info("reloaded configuration from {}: {} targets", loaded.source,
               loaded.collectors.size());
  return Install(std::move(loaded));
}

void App::Shutdown() {
  for (const auto& c : engine_.Collectors()) {
    try {
      c->Stop();
    } catch (const std::exception& e) {
      spdlog::error("collector {} target {}: stop: {}", c->Kind(), c->Target(), e.what());
    }
  }
}

Clock::time_point App::Deadline(const char* timeout_header) const {
  const auto now = Clock::now();
  double seconds = 8;
  if (auto c = config()) seconds = c->exporter.scrape_timeout_seconds;
  if (timeout_header != nullptr) {
    char* end = nullptr;
    double v = std::strtod(timeout_header, &end);
    if (end != timeout_header && v > 0 && v < 3600) {
      // Leave Prometheus half a second to receive and parse what we send.
      seconds = std::max(0.1, v - 0.5);
    }
  }
  return now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

void App::EmitSelfMetrics(const std::vector<TargetResult>& results, MetricSink& sink) const {
  for (const auto& r : results) {
    Labels labels = {{"collector", r.collector}, {"target", r.target}};
    sink.Gauge("thoth_exporter_collector_success",
               "1 when the collector's last collection of the target succeeded within the scrape "
               "deadline, 0 when it failed or was late.",
               labels, r.success ? 1 : 0);
    sink.Gauge("thoth_exporter_collector_duration_seconds",
               "How long the collection of the target took (up to the deadline when late).", labels,
               r.duration_seconds);
    sink.Gauge("thoth_exporter_collector_cache_age_seconds",
               "Age in seconds of the oldest cached part the target reported instead of a fresh "
               "read (slow-changing or expensive parts are cached for a TTL: PostgreSQL "
               "database sizes, settings, table choice and bloat; Chroma listings and counts); "
               "0 when everything was fresh.",
               labels, r.cache_age_seconds);
  }
  sink.Gauge("thoth_exporter_build_info",
             "A metric with a constant 1 value labeled by version and revision of the exporter.",
             {{"version", THOTH_VERSION}, {"revision", THOTH_REVISION}}, 1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    sink.Gauge("thoth_exporter_config_last_reload_successful",
               "1 when the last configuration load succeeded, 0 when the running configuration "
               "is older than the file because the file is invalid.",
               {}, last_reload_ok_ ? 1 : 0);
    sink.Gauge("thoth_exporter_config_last_reload_success_timestamp_seconds",
               "Unix time of the last successful configuration load.", {},
               last_reload_success_time_);
  }
  memory_errors_.Emit(sink);
  EmitProcessMetrics(sink);
}

std::string App::Metrics(Clock::time_point deadline) {
  const auto start = Clock::now();
  std::vector<TargetResult> results = engine_.Collect(deadline);
  for (auto& r : results) {
    if (r.timed_out) {
      r.duration_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    }
  }
  MetricSink self;
  EmitSelfMetrics(results, self);
  self.Gauge("thoth_exporter_scrape_duration_seconds",
             "How long this scrape took to collect every target.", {},
             std::chrono::duration<double>(Clock::now() - start).count());
  std::string text = SerializeResults(results, self.Take());
  engine_.Release(&results);
  return text;
}

bool App::ProbeTarget(const std::string& collector, const std::string& target,
                      Clock::time_point deadline, std::string* body) {
  bool found = false;
  for (const auto& c : engine_.Collectors()) {
    found = found || (c->Kind() == collector && c->Target() == target);
  }
  if (!found) return false;
  const auto start = Clock::now();
  std::vector<TargetResult> results = engine_.Collect(
      deadline, [&](const Collector& c) { return c.Kind() == collector && c.Target() == target; });
  MetricSink self;
  for (const auto& r : results) {
    Labels labels = {{"collector", r.collector}, {"target", r.target}};
    self.Gauge("thoth_exporter_collector_success",
               "1 when the collection of the target succeeded within the deadline.", labels,
               r.success ? 1 : 0);
  }
  self.Gauge("thoth_exporter_scrape_duration_seconds", "How long this probe took.", {},
             std::chrono::duration<double>(Clock::now() - start).count());
  *body = SerializeResults(results, self.Take());
  engine_.Release(&results);
  return true;
}

Status App::AdHocAllowed(const std::string& url, const std::string& module) const {
  auto c = config();
  if (!c || !c->prober) {
    return Status::Error("ad-hoc probes are not available: the http collector is disabled");
  }
  return c->prober->Allowed(url, module);
}

std::string App::AdHocProbe(const std::string& url, const std::string& module,
                            Clock::time_point deadline) {
  auto c = config();
  MetricSink sink;
  if (c && c->prober) {
    ScrapeContext ctx{deadline};
    c->prober->Probe(url, module, ctx, sink);
  }
  return SerializeText(sink.Take());
}

std::string App::LandingPage(const std::string& telemetry_path) const {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>thoth-exporter</title>"
         "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.ok{color:#080}"
         ".fail{color:#b00}</style></head><body>\n"
      << "<h1>thoth-exporter</h1>\n<p>" << HtmlEscape(VersionText()) << "</p>\n";
  auto c = config();
  if (c) out << "<p>Configuration: " << HtmlEscape(c->source) << "</p>\n";
  out << "<ul>\n<li><a href=\"" << HtmlEscape(telemetry_path) << "\">" << HtmlEscape(telemetry_path)
      << "</a> &mdash; all metrics</li>\n"
      << "<li>/probe?collector=NAME&amp;target=NAME &mdash; one configured target</li>\n"
      << "<li>/probe?target=URL&amp;module=NAME &mdash; ad-hoc HTTP probe (allowlisted)</li>\n"
      << "<li><a href=\"/health\">/health</a> &mdash; liveness</li>\n"
      << "<li>POST /-/reload &mdash; reload the configuration</li>\n</ul>\n"
      << "<h2>Targets</h2>\n<table><tr><th>collector</th><th>target</th><th>status</th>"
         "<th>duration</th><th>detail</th></tr>\n";
  for (const auto& r : engine_.LastResults()) {
    const bool never = r.error == "not collected yet";
    out << "<tr><td>" << HtmlEscape(r.collector) << "</td><td>" << HtmlEscape(r.target)
        << "</td><td class=\"" << (r.success ? "ok" : "fail") << "\">"
        << (never         ? "not collected yet"
            : r.success   ? "ok"
            : r.timed_out ? "late"
                          : "failing")
        << "</td><td>" << FormatNumber(r.duration_seconds * 1000) << " ms</td><td>"
        << HtmlEscape(never ? "" : r.error) << "</td></tr>\n";
  }
  out << "</table>\n</body></html>\n";
  return out.str();
}

int App::RunOnce(const std::string& format, std::ostream& out, bool color) {
  auto cfg = config();
  // The instances collected, by (kind, target): a result names its target, and the checks are
  // that target's, whatever the order of the results.
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Collector>> collectors;
  for (auto& c : engine_.Collectors()) collectors[{c->Kind(), c->Target()}] = c;
  std::vector<TargetResult> results = engine_.Collect(Deadline(nullptr));
  if (format == "prometheus") {
    MetricSink self;
    EmitSelfMetrics(results, self);
    out << SerializeResults(results, self.Take());
  }
  std::vector<HealthCheck> checks;
  for (const auto& r : results) {
    auto it = collectors.find({r.collector, r.target});
    if (it == collectors.end()) continue;
    static const Families kNone;
    try {
      it->second->Checks(r.families ? *r.families : kNone, r.success, cfg->thresholds, checks);
    } catch (const std::exception& e) {
      checks.push_back({r.collector, r.target, "checks", std::string("internal error: ") + e.what(),
                        "", Severity::kUnknown});
    }
  }
  Severity overall = Overall(checks);
  if (format == "json") {
    WriteJsonReport(checks, out);
  } else if (format == "text") {
    WriteTextReport(checks, out, color);
  }
  return static_cast<int>(overall);
}

}  // namespace thoth

#include "collectors/http/http_collector.h"

#include <spdlog/spdlog.h>

#include <map>
#include <mutex>

#include "collectors/http/config.h"
#include "collectors/http/expectations.h"
#include "collectors/http/probe.h"
#include "collectors/http/url_pattern.h"

namespace thoth::http {

namespace {

const std::string kKind = "http";

const char kExpectedHelp[] =
    "1 when a failed probe of this target should page: it is required, or it or a service of "
    "its layout has answered since the exporter started";

// One configured health endpoint (SPEC §4 `http:`), probed once per scrape.
class HttpCollector : public Collector {
 public:
  HttpCollector(std::string service, std::string url, std::string layout, bool required,
                ProbeSpec spec, std::string fingerprint, MemoryErrors* memory_errors,
                ProbeExpectations* expectations)
      : Collector(CollectorId::Labelled(kKind, service, std::move(fingerprint))),
        service_(std::move(service)),
        url_(std::move(url)),
        layout_(std::move(layout)),
        required_(required),
        spec_(std::move(spec)),
        memory_errors_(memory_errors),
        expectations_(expectations) {}

  void TimedOut(MetricSink& sink) const override {
    sink.Gauge("probe_success", "Whether the probe succeeded (transport, status and body checks)",
               {}, 0);
    sink.Gauge("thoth_probe_expected", kExpectedHelp, {},
               expectations_->Expected(service_, layout_, required_) ? 1 : 0);
  }

  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override {
    ProbeResult result = RunProbe(spec_, url_, ctx, memory_errors_);
    WriteProbeMetrics(result, sink);
    expectations_->Record(service_, layout_, result.success);
    const bool expected = expectations_->Expected(service_, layout_, required_);
    sink.Gauge("thoth_probe_expected", kExpectedHelp, {}, expected ? 1 : 0);
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_detail_ = result.detail;
    }
    if (result.success) return Status::Ok();
    // The engine logs the down/up transition with this message; per-probe detail at debug.
    spdlog::debug("http {}: probe failed: {}", service_, result.detail);
    if (!expected) {
      // A service of a layout this host does not run (or not yet): shown on the landing page
      // and in the log, and ThothCollectorFailing leaves it out as ServiceDown does.
      return Status::Error(result.detail + " (not seen up since start: reported, does not page)");
    }
    return Status::Error(result.detail);
  }

  void Checks(const Families& families, bool success, const Thresholds& thresholds,
              std::vector<HealthCheck>& out) const override {
    double up = 0;
    const bool probed = FindSample(families, "probe_success", {}, &up);
    const bool ok = success && probed && up == 1;
    std::string detail;
    double expected_sample = 0;
    bool expected = FindSample(families, "thoth_probe_expected", {}, &expected_sample)
                        ? expected_sample == 1
                        : expectations_->Expected(service_, layout_, required_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      detail = last_detail_;
    }
    const bool answered = up == 1;
    std::string value = answered ? "yes" : "no";
    if (!answered && !detail.empty()) value += ": " + detail;
    if (!probed) value = "no: the probe did not finish before the deadline";
    Severity severity = ok ? Severity::kOk : Severity::kCritical;
    if (!answered && !expected) {
      // Reported, not paged: nothing of its layout has answered since the exporter started.
      value += layout_.empty()
                   ? " (not seen up since start)"
                   : " (not seen up since start; no " + layout_ + " service has answered)";
      severity = Severity::kWarning;
    }
    out.push_back({kKind, service_, "up", value, RequirementText(), severity});
    double seconds = 0;
    if (ok && FindSample(families, "probe_duration_seconds", {}, &seconds)) {
      const Level& level = thresholds.api_latency_seconds;
      out.push_back({kKind, service_, "latency", FormatNumber(seconds) + " s",
                     "> " + FormatNumber(level.warning) + " s warn, > " +
                         FormatNumber(level.critical) + " s crit",
                     Grade(seconds, level)});
    }
  }

 private:
  // The threshold column of the `up` row: when a failure pages.
  std::string RequirementText() const {
    if (required_) return "required";
    if (layout_.empty()) return "pages once seen up";
    return "pages once " + layout_ + " seen up";
  }

  const std::string service_;
  const std::string url_;
  const std::string layout_;
  const bool required_;
  const ProbeSpec spec_;
  MemoryErrors* const memory_errors_;
  ProbeExpectations* const expectations_;
  mutable std::mutex mu_;  // guards the fields below (Checks may run on another thread)
  std::string last_detail_;
};

// The /probe?target=URL&module=NAME prober (SPEC §3, §4 `probe:`).
class HttpProber : public AdHocProber {
 public:
  HttpProber(ProbeGuard guard, std::map<std::string, ProbeSpec> modules,
             MemoryErrors* memory_errors)
      : guard_(std::move(guard)), modules_(std::move(modules)), memory_errors_(memory_errors) {}

  Status Allowed(std::string_view url, std::string_view module) const override {
    return Judge(url, module).status();
  }

  void Probe(std::string_view url, std::string_view module, const ScrapeContext& ctx,
             MetricSink& sink) override {
    ProbeResult result;
    StatusOr<Admitted> admitted = Judge(url, module);
    if (!admitted.ok()) {
      // The caller should have asked Allowed() first; never fetch a refused URL all the same.
      result.detail = admitted.status().message();
    } else {
      result = RunProbe(*admitted->spec, admitted->normalized, ctx, memory_errors_, &guard_);
    }
    // A refused hop is someone trying to reach past the allowlist: worth the operator's log.
    if (result.refused) spdlog::info("ad-hoc probe stopped: {}", result.detail);
    if (!result.success) spdlog::debug("ad-hoc probe failed: {}", result.detail);
    WriteProbeMetrics(result, sink);
  }

 private:
  // What an allowed ad-hoc probe fetches, and how.
  struct Admitted {
    std::string normalized;
    const ProbeSpec* spec = nullptr;
  };

  // The URL and module when allowed, else the reason. Reasons never repeat the URL: it may
  // carry credentials and is the caller's own input.
  StatusOr<Admitted> Judge(std::string_view url, std::string_view module) const {
    const std::string name = module.empty() ? kDefaultModule : std::string(module);
    auto it = modules_.find(name);
    if (it == modules_.end()) {
      std::string known;
      for (const auto& [n, s] : modules_) known += (known.empty() ? "" : ", ") + n;
      return Status::Error("unknown module \"" + Sanitize(name) + "\" (configured: " + known + ")");
    }
    auto parsed = ParseProbeUrl(url);
    if (!parsed.ok()) return Status::Error("target refused: " + parsed.status().message());
    if (parsed->has_credentials) {
      return Status::Error("target refused: credentials in the URL are not allowed");
    }
    if (guard_.allowed.empty()) {
      return Status::Error(
          "target refused: ad-hoc probes are off (probe.allowed_targets is empty); probe a "
          "configured target with /probe?collector=http&target=NAME");
    }
    if (guard_.Allows(*parsed)) return Admitted{parsed->normalized, &it->second};
    return Status::Error("target refused: the URL matches no entry of probe.allowed_targets");
  }

  // A module name echoed in a reason: printable ASCII only, bounded.
  static std::string Sanitize(const std::string& s) {
    std::string out;
    for (char c : s.substr(0, 64)) out += (c >= 0x20 && c < 0x7f && c != '"') ? c : '?';
    return out;
  }

  const ProbeGuard guard_;
  const std::map<std::string, ProbeSpec> modules_;
  MemoryErrors* const memory_errors_;
};

}  // namespace

std::vector<std::shared_ptr<Collector>> MakeCollectors(std::vector<TargetConfig> targets,
                                                       const CollectorEnv& env) {
  return MakeCollectorsWithExpectations(std::move(targets), env, &ProcessProbeExpectations());
}

std::vector<std::shared_ptr<Collector>> MakeCollectorsWithExpectations(
    std::vector<TargetConfig> targets, const CollectorEnv& env, ProbeExpectations* expectations) {
  std::vector<std::shared_ptr<Collector>> out;
  out.reserve(targets.size());
  for (auto& t : targets) {
    out.push_back(std::make_shared<HttpCollector>(
        std::move(t.service), std::move(t.url), std::move(t.layout), t.required, std::move(t.spec),
        std::move(t.fingerprint), env.memory_errors, expectations));
  }
  return out;
}

std::shared_ptr<AdHocProber> MakeProber(ProberConfig config, const CollectorEnv& env) {
  return std::make_shared<HttpProber>(std::move(config.guard), std::move(config.modules),
                                      env.memory_errors);
}

}  // namespace thoth::http

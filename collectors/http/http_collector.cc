#include "collectors/http/http_collector.h"

#include <spdlog/spdlog.h>

#include <map>
#include <mutex>

#include "collectors/http/probe.h"
#include "collectors/http/url_pattern.h"

namespace thoth::http {

namespace {

const std::string kKind = "http";
constexpr double kDefaultTimeoutSeconds = 5;
const char kDefaultModule[] = "http_2xx";

// One configured health endpoint (SPEC §4 `http:`), probed once per scrape.
class HttpCollector : public Collector {
 public:
  HttpCollector(std::string service, std::string url, ProbeSpec spec, std::string fingerprint,
                MemoryErrors* memory_errors)
      : service_(std::move(service)),
        url_(std::move(url)),
        spec_(std::move(spec)),
        fingerprint_(std::move(fingerprint)),
        memory_errors_(memory_errors) {}

  const std::string& Name() const override { return kKind; }
  const std::string& Target() const override { return service_; }
  const std::string& Fingerprint() const override { return fingerprint_; }

  void TimedOut(MetricSink& sink) const override {
    sink.Gauge("probe_success", "Whether the probe succeeded (transport, status and body checks)",
               {}, 0);
  }

  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override {
    ProbeResult result = RunProbe(spec_, url_, ctx, memory_errors_);
    WriteProbeMetrics(result, sink);
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_detail_ = result.detail;
    }
    if (result.success) return Status::Ok();
    // The engine logs the down/up transition with this message; per-probe detail at debug.
    spdlog::debug("http {}: probe failed: {}", service_, result.detail);
    return Status::Error(result.detail);
  }

  void Checks(const std::vector<prometheus::MetricFamily>& families, bool success,
              const Thresholds& thresholds, std::vector<HealthCheck>& out) const override {
    double up = 0;
    const bool probed = FindSample(families, "probe_success", {}, &up);
    const bool ok = success && probed && up == 1;
    std::string detail;
    {
      std::lock_guard<std::mutex> lock(mu_);
      detail = last_detail_;
    }
    std::string value = ok ? "yes" : "no";
    if (!ok && !detail.empty()) value += ": " + detail;
    if (!ok && !probed) value = "no: the probe did not finish before the deadline";
    out.push_back({kKind, service_, "up", value, "", ok ? Severity::kOk : Severity::kCritical});
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
  const std::string service_;
  const std::string url_;
  const ProbeSpec spec_;
  const std::string fingerprint_;
  MemoryErrors* const memory_errors_;
  mutable std::mutex mu_;  // guards last_detail_ (Checks may run on another thread)
  std::string last_detail_;
};

// The /probe?target=URL&module=NAME prober (SPEC §3, §4 `probe:`).
class HttpProber : public AdHocProber {
 public:
  HttpProber(ProbeGuard guard, std::map<std::string, ProbeSpec> modules,
             MemoryErrors* memory_errors)
      : guard_(std::move(guard)), modules_(std::move(modules)), memory_errors_(memory_errors) {}

  std::string Refusal(std::string_view url, std::string_view module) const override {
    return Judge(url, module, nullptr, nullptr);
  }

  void Probe(std::string_view url, std::string_view module, const ScrapeContext& ctx,
             MetricSink& sink) override {
    ProbeResult result;
    std::string normalized;
    const ProbeSpec* spec = nullptr;
    const std::string refusal = Judge(url, module, &normalized, &spec);
    if (!refusal.empty() || spec == nullptr) {
      // The caller should have asked Refusal() first; never fetch a refused URL all the same.
      result.detail = refusal;
    } else {
      result = RunProbe(*spec, normalized, ctx, memory_errors_, &guard_);
    }
    // A refused hop is someone trying to reach past the allowlist: worth the operator's log.
    if (result.refused) spdlog::info("ad-hoc probe stopped: {}", result.detail);
    if (!result.success) spdlog::debug("ad-hoc probe failed: {}", result.detail);
    WriteProbeMetrics(result, sink);
  }

 private:
  // "" when allowed (then *normalized and *spec are set when asked for), else the reason.
  // Reasons never repeat the URL: it may carry credentials and is the caller's own input.
  std::string Judge(std::string_view url, std::string_view module, std::string* normalized,
                    const ProbeSpec** spec) const {
    const std::string name = module.empty() ? kDefaultModule : std::string(module);
    auto it = modules_.find(name);
    if (it == modules_.end()) {
      std::string known;
      for (const auto& [n, s] : modules_) known += (known.empty() ? "" : ", ") + n;
      return "unknown module \"" + Sanitize(name) + "\" (configured: " + known + ")";
    }
    std::string error;
    auto parsed = ParseProbeUrl(url, &error);
    if (!parsed) return "target refused: " + error;
    if (parsed->has_credentials) return "target refused: credentials in the URL are not allowed";
    if (guard_.allowed.empty()) {
      return "target refused: ad-hoc probes are off (probe.allowed_targets is empty); probe a "
             "configured target with /probe?collector=http&target=NAME";
    }
    if (guard_.Allows(*parsed)) {
      if (normalized != nullptr) *normalized = parsed->normalized;
      if (spec != nullptr) *spec = &it->second;
      return "";
    }
    return "target refused: the URL matches no entry of probe.allowed_targets";
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

std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env) {
  std::vector<std::shared_ptr<Collector>> out;
  std::vector<std::string> keys = ProbeSpecKeys();
  keys.push_back("service");
  keys.push_back("url");
  for (const auto& item : root.Child("http").Items()) {
    item.ExpectKeys(keys);
    std::string service = item.RequiredString("service");
    std::string url = item.RequiredString("url");
    std::string error;
    auto parsed = ParseProbeUrl(url, &error);
    if (!parsed) item.FailKey("url", error);
    ProbeSpec spec = ParseProbeSpec(item, kDefaultTimeoutSeconds);
    out.push_back(std::make_shared<HttpCollector>(std::move(service), parsed->normalized,
                                                  std::move(spec), item.Fingerprint(),
                                                  env.memory_errors));
  }
  return out;
}

std::shared_ptr<AdHocProber> MakeProber(const ConfigNode& root, const CollectorEnv& env) {
  const ConfigNode probe = root.Child("probe");
  probe.ExpectKeys({"allowed_targets", "denied_networks", "modules"});
  ProbeGuard guard = ParseProbeGuard(probe);
  std::map<std::string, ProbeSpec> modules;
  const ConfigNode module_nodes = probe.Child("modules");
  if (module_nodes.IsNull()) {
    modules.emplace(kDefaultModule, ProbeSpec{});
  } else {
    for (const auto& [name, node] : module_nodes.Entries()) {
      node.ExpectKeys(ProbeSpecKeys());
      modules.emplace(name, ParseProbeSpec(node, kDefaultTimeoutSeconds));
    }
  }
  return std::make_shared<HttpProber>(std::move(guard), std::move(modules), env.memory_errors);
}

}  // namespace thoth::http

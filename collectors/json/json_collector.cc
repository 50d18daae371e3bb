#include "collectors/json/json_collector.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "collectors/json/config.h"
#include "collectors/json/json_flatten.h"
#include "exporter/http_client.h"
#include "spdlog/spdlog.h"

namespace thoth::json {

namespace {

const std::string kKind = "json";

constexpr char kUpHelp[] =
    "1 if the JSON target answered 2xx with a whole JSON document, 0 otherwise.";
constexpr char kDurationHelp[] = "Time to fetch and translate the JSON target's document.";
constexpr char kSeriesHelp[] = "Samples exported from the JSON target's document.";
constexpr char kOmittedHelp[] =
    "Numeric values of the JSON target's document left out: beyond max_series, or a name "
    "that repeats another after sanitizing.";
constexpr char kUnmatchedHelp[] =
    "Mappings of the JSON target that selected no numeric value in its document.";

constexpr double kMinRequestSeconds = 0.01;

class JsonCollector final : public Collector {
 public:
  explicit JsonCollector(TargetConfig cfg)
      : Collector(CollectorId::Labelled(kKind, cfg.name, cfg.fingerprint)), cfg_(std::move(cfg)) {
    options_.prefix = cfg_.prefix;
    options_.mappings = cfg_.mappings;
    options_.max_series = cfg_.max_series;
  }

  void TimedOut(MetricSink& sink) const override { sink.Gauge("json_up", kUpHelp, {}, 0); }

  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override {
    const auto start = Clock::now();
    Status status = CollectOrFail(ctx, sink);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!status.ok()) sink.Gauge("json_up", kUpHelp, {}, 0);
    sink.Gauge("json_scrape_duration_seconds", kDurationHelp, {}, seconds);
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_error_ = status.message();
    }
    if (!status.ok()) spdlog::debug("json {}: {}", cfg_.name, status.message());
    return status;
  }

  void AfterThrow(MetricSink& sink, std::string& error) override {
    sink.Gauge("json_up", kUpHelp, {}, 0);
    std::lock_guard<std::mutex> lock(mu_);
    last_error_ = error;
  }

  void Checks(const Families& families, bool success, const Thresholds& thresholds,
              std::vector<HealthCheck>& out) const override {
    (void)thresholds;
    double up = 0;
    const bool reachable = success && FindSample(families, "json_up", {}, &up) && up == 1;
    std::string error;
    {
      std::lock_guard<std::mutex> lock(mu_);
      error = last_error_;
    }
    std::string value = reachable ? "yes" : "no";
    if (!reachable) {
      value += error.empty() ? ": no answer before the scrape deadline" : ": " + error;
    }
    // Warning, as the JsonTargetDown alert: statistics are a view, not the service itself
    // (whose health the http collector grades).
    out.push_back(
        {kKind, cfg_.name, "reachable", value, "", reachable ? Severity::kOk : Severity::kWarning});
    if (!reachable) return;
    double series = 0;
    double omitted = 0;
    FindSample(families, "json_series", {}, &series);
    FindSample(families, "json_series_omitted", {}, &omitted);
    out.push_back({kKind, cfg_.name, "series",
                   FormatNumber(series) + " exported, " + FormatNumber(omitted) + " omitted",
                   "max_series " + std::to_string(cfg_.max_series),
                   omitted > 0 ? Severity::kWarning : Severity::kOk});
    double unmatched = 0;
    if (!cfg_.mappings.empty() && FindSample(families, "json_mappings_unmatched", {}, &unmatched)) {
      out.push_back({kKind, cfg_.name, "mappings matched",
                     FormatNumber(static_cast<double>(cfg_.mappings.size()) - unmatched) + " / " +
                         std::to_string(cfg_.mappings.size()),
                     "all", unmatched > 0 ? Severity::kWarning : Severity::kOk});
    }
  }

 private:
  // Writes the target's metrics; an error says why json_up is 0.
  Status CollectOrFail(const ScrapeContext& ctx, MetricSink& sink) {
    StatusOr<std::string> body = FetchBody(ctx);
    if (!body.ok()) return body.status();
    return Emit(*body, sink);
  }

  // The answer's body, or why there is none worth parsing.
  StatusOr<std::string> FetchBody(const ScrapeContext& ctx) {
    const double left = ctx.IoSecondsLeft();
    if (left < kMinRequestSeconds) {
      return Status::Error("scrape deadline reached before the request");
    }
    HttpRequest req;
    req.url = cfg_.url;
    req.headers = cfg_.headers;
    req.timeout_seconds = std::min(cfg_.timeout_seconds, left);
    req.connect_timeout_seconds = std::min(cfg_.connect_timeout_seconds, req.timeout_seconds);
    req.verify_tls = !cfg_.tls_insecure;
    req.ca_file = cfg_.ca_file;
    req.max_body_bytes = cfg_.max_body_bytes;

    if (!client_) client_ = std::make_unique<HttpClient>();
    HttpResponse resp = client_->Fetch(req);
    if (!resp.transport_ok) {
      if (resp.timed_out) {
        return Status::Error("no whole answer within " + FormatNumber(req.timeout_seconds) + " s");
      }
      if (resp.status > 0) {
        return Status::Error("HTTP " + std::to_string(resp.status) +
                             " then the transfer failed after " + std::to_string(resp.body.size()) +
                             " bytes: " + resp.error);
      }
      return Status::Error("no answer: " + resp.error);
    }
    if (resp.body_truncated) {
      return Status::Error("answer larger than max_body_bytes (" +
                           std::to_string(cfg_.max_body_bytes) + ")");
    }
    if (resp.status < 200 || resp.status > 299) {
      return Status::Error(
          "HTTP " + std::to_string(resp.status) + " (" +
          (resp.content_type.empty() ? "no content type" : resp.content_type.substr(0, 64)) + ", " +
          std::to_string(resp.body.size()) + " bytes)");
    }
    return std::move(resp.body);
  }

  // Flattens the body and writes the series it yields.
  Status Emit(const std::string& body, MetricSink& sink) {
    StatusOr<Flattened> flattened = Flatten(body, options_);
    if (!flattened.ok()) return flattened.status();
    const Flattened& doc = *flattened;

    sink.Gauge("json_up", kUpHelp, {}, 1);
    for (const Sample& s : doc.samples) {
      if (s.kind == MetricKind::kCounter) {
        sink.Counter(s.name, s.help, s.labels, s.value);
      } else {
        sink.Gauge(s.name, s.help, s.labels, s.value);
      }
    }
    sink.Gauge("json_series", kSeriesHelp, {}, static_cast<double>(doc.samples.size()));
    sink.Gauge("json_series_omitted", kOmittedHelp, {}, static_cast<double>(doc.omitted));
    if (!cfg_.mappings.empty()) {
      sink.Gauge("json_mappings_unmatched", kUnmatchedHelp, {},
                 static_cast<double>(doc.unmatched_mappings));
    }
    if (doc.omitted > 0) {
      spdlog::debug("json {}: {} values omitted (max_series {})", cfg_.name, doc.omitted,
                    cfg_.max_series);
    }
    return Status::Ok();
  }

  const TargetConfig cfg_;
  FlattenOptions options_;
  std::unique_ptr<HttpClient> client_;  // made at the first scrape, kept for its connection
  mutable std::mutex mu_;               // guards last_error_ (Checks may run on another thread)
  std::string last_error_;
};

}  // namespace

std::vector<std::shared_ptr<Collector>> MakeCollectors(std::vector<TargetConfig> targets,
                                                       const CollectorEnv& env) {
  (void)env;
  std::vector<std::shared_ptr<Collector>> out;
  out.reserve(targets.size());
  for (auto& cfg : targets) out.push_back(std::make_shared<JsonCollector>(std::move(cfg)));
  return out;
}

}  // namespace thoth::json

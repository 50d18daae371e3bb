#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "prometheus/metric_family.h"

namespace thoth {

using Label = std::pair<std::string, std::string>;
using Labels = std::vector<Label>;

// Builds the metric families of one collection. Families are created afresh at every scrape.
//
// Samples with the same name land in one family (HELP/TYPE once). When the sink was given a
// target, every sample gets `target="<name>"` as its first label. HELP text is escaped here
// (prometheus-cpp 1.0.1's TextSerializer does not). Not thread-safe: one sink per collection.
class MetricSink {
 public:
  MetricSink() = default;
  explicit MetricSink(std::string target) : target_(std::move(target)) {}

  void Gauge(std::string_view name, std::string_view help, const Labels& labels, double value);
  void Counter(std::string_view name, std::string_view help, const Labels& labels, double value);
  void Untyped(std::string_view name, std::string_view help, const Labels& labels, double value);
  // bounds are the upper bounds without +Inf; cumulative has one count per bound.
  void Histogram(std::string_view name, std::string_view help, const Labels& labels,
                 const std::vector<double>& bounds, const std::vector<std::uint64_t>& cumulative,
                 std::uint64_t count, double sum);

  // Age of the cached data this collection reported (0 = fresh). Shown as
  // thoth_exporter_collector_cache_age_seconds.
  void SetCacheAge(double seconds) { cache_age_seconds_ = seconds; }
  double cache_age_seconds() const { return cache_age_seconds_; }

  const std::string& target() const { return target_; }
  std::vector<prometheus::MetricFamily> Take() { return std::move(families_); }
  const std::vector<prometheus::MetricFamily>& families() const { return families_; }

 private:
  prometheus::ClientMetric& Add(std::string_view name, std::string_view help,
                                prometheus::MetricType type, const Labels& labels);

  std::string target_;
  std::vector<prometheus::MetricFamily> families_;
  double cache_age_seconds_ = 0;
};

// Escapes HELP text for the text format: backslash and newline.
std::string EscapeHelp(std::string_view help);

// Looks up a sample value in families (first family named `name` whose sample carries every
// label in `match`). Used by --once checks and tests. Returns false when absent.
bool FindSample(const std::vector<prometheus::MetricFamily>& families, std::string_view name,
                const Labels& match, double* value);

// Appends the text exposition (Prometheus text format 0.0.4) of `families` to *out.
void AppendText(const std::vector<prometheus::MetricFamily>& families, std::string* out);
// Serializes families in the Prometheus text format 0.0.4.
std::string SerializeText(const std::vector<prometheus::MetricFamily>& families);

}  // namespace thoth

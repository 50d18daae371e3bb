#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "prometheus/metric_type.h"

namespace thoth {

using Label = std::pair<std::string, std::string>;
using Labels = std::vector<Label>;
using MetricType = prometheus::MetricType;

// The samples of one metric family, kept as the text format 0.0.4 writes them.
//
// `text` holds every sample line of the family, already formatted exactly as prometheus-cpp
// 1.0.1's TextSerializer writes it (label values escaped, numbers with 16 significant digits,
// "Nan"/"+Inf"/"-Inf", a histogram as _count, _sum, then its buckets). `samples` indexes it: the
// label text of each sample (escaped, as between its braces) and its value (a histogram's
// count), for the --once checks and tests.
struct Family {
  struct Sample {
    std::uint32_t labels = 0;  // offset in text of the label text
    std::uint32_t labels_size = 0;
    double value = 0;
  };

  std::string name;
  std::string help;  // escaped for the text format; "" writes no HELP line
  MetricType type = MetricType::Untyped;
  std::string text;
  std::vector<Sample> samples;
  std::size_t hash = 0;  // of name, for the sink's look-up

  std::size_t size() const { return samples.size(); }
  // The escaped label text of sample i: `target="db",datname="x"` ("" without labels).
  std::string_view LabelText(std::size_t i) const {
    return std::string_view(text).substr(samples[i].labels, samples[i].labels_size);
  }
  double Value(std::size_t i) const { return samples[i].value; }
  // Sample i's labels, unescaped, in order.
  Labels SampleLabels(std::size_t i) const;
  // The unescaped value of label `name` of sample i; "" when absent.
  std::string LabelValue(std::size_t i, std::string_view name) const;
};

// What one collection produced: its families in the order they were first written. A sample
// whose name has been written before joins that family.
//
// Buffers are kept across Clear(), so that one object refilled at every scrape allocates only
// while it grows.
class Families {
 public:
  Families() = default;
  Families(Families&& other) noexcept
      : list_(std::move(other.list_)), used_(std::exchange(other.used_, 0)) {}
  Families& operator=(Families&& other) noexcept {
    list_ = std::move(other.list_);
    used_ = std::exchange(other.used_, 0);
    other.list_.clear();
    return *this;
  }
  Families(const Families&) = default;
  Families& operator=(const Families&) = default;

  bool empty() const { return used_ == 0; }
  std::size_t size() const { return used_; }
  const Family& operator[](std::size_t i) const { return list_[i]; }
  const Family* begin() const { return list_.data(); }
  const Family* end() const { return list_.data() + used_; }
  // The family named `name`, or nullptr.
  const Family* Find(std::string_view name) const;
  // Forgets every family and sample; keeps the memory.
  void Clear();
  // Samples in all families.
  std::size_t samples() const;

 private:
  friend class MetricSink;
  std::vector<Family> list_;  // the first used_ are in use; the rest are spare buffers
  std::size_t used_ = 0;
};

// Sees every sample written to a sink, as written. Nothing in the exporter installs one: the
// test that compares this text writer with prometheus-cpp's serializer does, to render the same
// samples the old way.
class SinkObserver {
 public:
  virtual ~SinkObserver() = default;
  // A counter, gauge or untyped sample; `labels` lack the target label.
  virtual void OnSample(std::string_view name, std::string_view help, MetricType type,
                        const std::string& target, const Labels& labels, double value) = 0;
  virtual void OnHistogram(std::string_view name, std::string_view help, const std::string& target,
                           const Labels& labels, const std::vector<double>& bounds,
                           const std::vector<std::uint64_t>& cumulative, std::uint64_t count,
                           double sum) = 0;
  // The sink hands over (Take) or drops (destruction) what it holds: everything observed since
  // the last call is in `families`.
  virtual void OnDone(const Families& families) = 0;
};
using SinkObserverFactory = std::function<std::unique_ptr<SinkObserver>()>;
// Installs a factory that gives every sink made afterwards its own observer. Call before any
// sink exists (a test binary's static initialization); not thread-safe.
void SetSinkObserverFactory(SinkObserverFactory factory);

// Collects the samples of one collection, writing their text as they come (no per-sample
// objects: each sample is one or more lines appended to its family's text).
//
// Samples with the same name land in one family (HELP/TYPE once); a sample whose type differs
// from its family's first one is dropped. When the sink was given a target, every sample gets
// `target="<name>"` as its first label. HELP text is escaped here (backslash and newline, as the
// text format asks; prometheus-cpp 1.0.1 did not). Not thread-safe: one sink per collection.
class MetricSink {
 public:
  MetricSink();
  explicit MetricSink(std::string target);
  // Fills `reuse` (cleared first) rather than new buffers.
  MetricSink(std::string target, Families reuse);
  ~MetricSink();
  MetricSink(MetricSink&&) = default;
  MetricSink& operator=(MetricSink&&) = delete;

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
  // Hands over what was written; the sink is empty afterwards.
  Families Take();
  const Families& families() const { return families_; }
  SinkObserver* observer() const { return observer_.get(); }

 private:
  // The family for a sample, or nullptr when the name is taken by another type.
  Family* FamilyFor(std::string_view name, std::string_view help, MetricType type);
  // Writes `{target="..",k="v",...` (no closing brace) into scratch_; false without labels.
  bool LabelText(const Labels& labels);
  void Scalar(std::string_view name, std::string_view help, MetricType type, const Labels& labels,
              double value);

  std::string target_;
  Families families_;
  std::size_t last_ = 0;  // index of the family written last
  std::string scratch_;   // the label text of the sample being written
  std::string escaped_target_;
  double cache_age_seconds_ = 0;
  std::unique_ptr<SinkObserver> observer_;
};

// Escapes HELP text for the text format: backslash and newline.
std::string EscapeHelp(std::string_view help);
// Appends a label value escaped for the text format (backslash, double quote, newline).
void AppendEscapedLabelValue(std::string_view value, std::string* out);
// Appends a number as prometheus-cpp 1.0.1 writes one: "Nan", "+Inf", "-Inf", else like
// printf("%.16g") in the C locale.
void AppendNumber(double value, std::string* out);

// Looks up a sample value in families (first family named `name` whose sample carries every
// label in `match`; a histogram's value is its count). Used by --once checks and tests. Returns
// false when absent.
bool FindSample(const Families& families, std::string_view name, const Labels& match,
                double* value);

// Appends the text exposition (Prometheus text format 0.0.4) of `families` to *out.
void AppendText(const Families& families, std::string* out);
// Appends one family: its HELP (when not empty) and TYPE lines, then its samples.
void AppendText(const Family& family, std::string* out);
// Serializes families in the Prometheus text format 0.0.4.
std::string SerializeText(const Families& families);

}  // namespace thoth

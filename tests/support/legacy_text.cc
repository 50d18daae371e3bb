#include "tests/support/legacy_text.h"

#include <atomic>
#include <cstdio>
#include <limits>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace thoth::testing {

namespace {

std::atomic<std::size_t> g_comparisons{0};
std::atomic<std::size_t> g_skipped{0};

// The MetricSink of before, as it built families (exporter/metric_sink.cc at 37d474a).
class LegacyRecorder : public SinkObserver {
 public:
  void OnSample(std::string_view name, std::string_view help, MetricType type,
                const std::string& target, const Labels& labels, double value) override {
    auto& m = Add(name, help, type, target, labels);
    switch (type) {
      case MetricType::Counter:
        m.counter.value = value;
        break;
      case MetricType::Gauge:
        m.gauge.value = value;
        break;
      default:
        m.untyped.value = value;
    }
  }

  void OnHistogram(std::string_view name, std::string_view help, const std::string& target,
                   const Labels& labels, const std::vector<double>& bounds,
                   const std::vector<std::uint64_t>& cumulative, std::uint64_t count,
                   double sum) override {
    auto& h = Add(name, help, MetricType::Histogram, target, labels).histogram;
    h.sample_count = count;
    h.sample_sum = sum;
    h.bucket.reserve(bounds.size() + 1);
    for (size_t i = 0; i < bounds.size() && i < cumulative.size(); ++i) {
      h.bucket.push_back({cumulative[i], bounds[i]});
    }
    h.bucket.push_back({count, std::numeric_limits<double>::infinity()});
  }

  void OnDone(const Families& families) override {
    taken_ = std::move(families_);
    families_.clear();
    const bool conflict = conflict_;
    conflict_ = false;
    if (taken_.empty() && families.empty()) return;
    if (conflict) {
      ++g_skipped;
      return;
    }
    ++g_comparisons;
    const std::string want = LegacyText(taken_);
    const std::string got = SerializeText(families);
    if (want == got) return;
    size_t at = 0;
    while (at < want.size() && at < got.size() && want[at] == got[at]) ++at;
    const size_t line = want.rfind('\n', at == 0 ? 0 : at - 1);
    const size_t from = line == std::string::npos ? 0 : line + 1;
    ADD_FAILURE() << "the text writer differs from prometheus-cpp's TextSerializer at byte " << at
                  << "\nTextSerializer: " << want.substr(from, want.find('\n', at) - from)
                  << "\ntext writer:    " << got.substr(from, got.find('\n', at) - from);
  }

  const std::vector<prometheus::MetricFamily>& taken() const { return taken_; }

 private:
  prometheus::ClientMetric& Add(std::string_view name, std::string_view help,
                                prometheus::MetricType type, const std::string& target,
                                const Labels& labels) {
    prometheus::MetricFamily* family = nullptr;
    for (auto it = families_.rbegin(); it != families_.rend(); ++it) {
      if (it->name == name) {
        family = &*it;
        break;
      }
    }
    if (family == nullptr) {
      families_.push_back(prometheus::MetricFamily{std::string(name), EscapeHelp(help), type, {}});
      family = &families_.back();
    }
    conflict_ = conflict_ || family->type != type;
    prometheus::ClientMetric& metric = family->metric.emplace_back();
    metric.label.reserve(labels.size() + (target.empty() ? 0 : 1));
    if (!target.empty()) metric.label.push_back({"target", target});
    for (const auto& [k, v] : labels) metric.label.push_back({k, v});
    return metric;
  }

  std::vector<prometheus::MetricFamily> families_;
  std::vector<prometheus::MetricFamily> taken_;
  bool conflict_ = false;
};

// Says at the end of the run how many texts were compared.
class Report : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf("text writer vs TextSerializer: %zu sinks compared byte for byte, %zu skipped\n",
                g_comparisons.load(), g_skipped.load());
  }
};

const bool kInstalled = [] {
  SetSinkObserverFactory([] { return std::make_unique<LegacyRecorder>(); });
  ::testing::AddGlobalTestEnvironment(new Report);
  return true;
}();

}  // namespace

std::string LegacyText(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

std::vector<prometheus::MetricFamily> LegacyMerge(
    const std::vector<std::vector<prometheus::MetricFamily>>& parts) {
  std::vector<prometheus::MetricFamily> merged;
  std::unordered_map<std::string, size_t> index;
  for (const auto& part : parts) {
    for (const auto& f : part) {
      auto [it, inserted] = index.try_emplace(f.name, merged.size());
      if (inserted) {
        merged.push_back(f);
        continue;
      }
      auto& into = merged[it->second];
      if (into.type != f.type) continue;
      into.metric.insert(into.metric.end(), f.metric.begin(), f.metric.end());
    }
  }
  return merged;
}

const std::vector<prometheus::MetricFamily>& LegacyFamilies(const MetricSink& sink) {
  static const std::vector<prometheus::MetricFamily> kNone;
  const auto* recorder = dynamic_cast<const LegacyRecorder*>(sink.observer());
  return recorder != nullptr ? recorder->taken() : kNone;
}

std::size_t LegacyComparisons() { return g_comparisons.load(); }
std::size_t LegacySkippedComparisons() { return g_skipped.load(); }

}  // namespace thoth::testing

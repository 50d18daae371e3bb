#include "exporter/metric_sink.h"

#include <limits>
#include <sstream>

#include "prometheus/text_serializer.h"

namespace thoth {

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

prometheus::ClientMetric& MetricSink::Add(std::string_view name, std::string_view help,
                                          prometheus::MetricType type, const Labels& labels) {
  prometheus::MetricFamily* family = nullptr;
  // Collections emit families in runs, so the last family is almost always the one we want.
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
  prometheus::ClientMetric& metric = family->metric.emplace_back();
  metric.label.reserve(labels.size() + (target_.empty() ? 0 : 1));
  if (!target_.empty()) metric.label.push_back({"target", target_});
  for (const auto& [k, v] : labels) metric.label.push_back({k, v});
  return metric;
}

void MetricSink::Gauge(std::string_view name, std::string_view help, const Labels& labels,
                       double value) {
  Add(name, help, prometheus::MetricType::Gauge, labels).gauge.value = value;
}

void MetricSink::Counter(std::string_view name, std::string_view help, const Labels& labels,
                         double value) {
  Add(name, help, prometheus::MetricType::Counter, labels).counter.value = value;
}

void MetricSink::Untyped(std::string_view name, std::string_view help, const Labels& labels,
                         double value) {
  Add(name, help, prometheus::MetricType::Untyped, labels).untyped.value = value;
}

void MetricSink::Histogram(std::string_view name, std::string_view help, const Labels& labels,
                           const std::vector<double>& bounds,
                           const std::vector<std::uint64_t>& cumulative, std::uint64_t count,
                           double sum) {
  auto& h = Add(name, help, prometheus::MetricType::Histogram, labels).histogram;
  h.sample_count = count;
  h.sample_sum = sum;
  h.bucket.reserve(bounds.size() + 1);
  for (size_t i = 0; i < bounds.size() && i < cumulative.size(); ++i) {
    h.bucket.push_back({cumulative[i], bounds[i]});
  }
  h.bucket.push_back({count, std::numeric_limits<double>::infinity()});
}

bool FindSample(const std::vector<prometheus::MetricFamily>& families, std::string_view name,
                const Labels& match, double* value) {
  for (const auto& family : families) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool all = true;
      for (const auto& [k, v] : match) {
        bool found = false;
        for (const auto& l : metric.label) {
          if (l.name == k && l.value == v) {
            found = true;
            break;
          }
        }
        if (!found) {
          all = false;
          break;
        }
      }
      if (!all) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          *value = metric.counter.value;
          break;
        case prometheus::MetricType::Gauge:
          *value = metric.gauge.value;
          break;
        case prometheus::MetricType::Histogram:
          *value = static_cast<double>(metric.histogram.sample_count);
          break;
        case prometheus::MetricType::Summary:
          *value = static_cast<double>(metric.summary.sample_count);
          break;
        default:
          *value = metric.untyped.value;
      }
      return true;
    }
  }
  return false;
}

namespace {

// A stream buffer that appends to a string: the serializer writes into the string the caller
// sized, without std::ostringstream's doubling copies and its final copy out by str().
class AppendBuf : public std::streambuf {
 public:
  explicit AppendBuf(std::string* out) : out_(out) { setp(buf_, buf_ + sizeof buf_); }
  ~AppendBuf() override { Flush(); }
  AppendBuf(const AppendBuf&) = delete;
  AppendBuf& operator=(const AppendBuf&) = delete;

 protected:
  int_type overflow(int_type c) override {
    Flush();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override {
    Flush();
    return 0;
  }

 private:
  void Flush() {
    out_->append(pbase(), static_cast<size_t>(pptr() - pbase()));
    setp(buf_, buf_ + sizeof buf_);
  }
  std::string* out_;
  char buf_[16384];
};

}  // namespace

void AppendText(const std::vector<prometheus::MetricFamily>& families, std::string* out) {
  size_t samples = 0;
  for (const auto& f : families) samples += f.metric.size();
  // About 100 bytes a sample and 150 a family header in this exporter's output.
  out->reserve(out->size() + samples * 100 + families.size() * 150);
  AppendBuf buf(out);
  std::ostream stream(&buf);
  prometheus::TextSerializer().Serialize(stream, families);
}

std::string SerializeText(const std::vector<prometheus::MetricFamily>& families) {
  std::string out;
  AppendText(families, &out);
  return out;
}

}  // namespace thoth

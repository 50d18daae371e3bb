#include "exporter/metric_sink.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace thoth {

namespace {

SinkObserverFactory& ObserverFactory() {
  static SinkObserverFactory factory;
  return factory;
}

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Histogram:
      return "histogram";
    default:
      return "untyped";
  }
}

void AppendInteger(std::uint64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, static_cast<std::size_t>(r.ptr - buf));
}

// Calls fn(name, escaped value) for each label of a label text; stops when fn returns false.
template <typename Fn>
void ForEachLabel(std::string_view text, Fn fn) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eq = text.find('=', pos);
    if (eq == std::string_view::npos || eq + 1 >= text.size()) return;
    std::string_view name = text.substr(pos, eq - pos);
    std::size_t i = eq + 2;  // past ="
    std::size_t start = i;
    while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
    if (!fn(name, text.substr(start, i - start))) return;
    pos = i + 2;  // past ",
  }
}

std::string Unescape(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] == '\\' && i + 1 < escaped.size()) {
      ++i;
      out += escaped[i] == 'n' ? '\n' : escaped[i];
    } else {
      out += escaped[i];
    }
  }
  return out;
}

// Whether an escaped label value equals a raw one, without unescaping into a copy.
bool EscapedEquals(std::string_view escaped, std::string_view raw) {
  std::size_t j = 0;
  for (std::size_t i = 0; i < escaped.size(); ++i, ++j) {
    char c = escaped[i];
    if (c == '\\' && i + 1 < escaped.size()) {
      ++i;
      c = escaped[i] == 'n' ? '\n' : escaped[i];
    }
    if (j >= raw.size() || raw[j] != c) return false;
  }
  return j == raw.size();
}

}  // namespace

void SetSinkObserverFactory(SinkObserverFactory factory) { ObserverFactory() = std::move(factory); }

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

void AppendEscapedLabelValue(std::string_view value, std::string* out) {
  std::size_t plain = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '"' && c != '\n') continue;
    out->append(value.data() + plain, i - plain);
    out->push_back('\\');
    out->push_back(c == '\n' ? 'n' : c);
    plain = i + 1;
  }
  out->append(value.data() + plain, value.size() - plain);
}

void AppendNumber(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("Nan");
    return;
  }
  if (std::isinf(value)) {
    out->append(value < 0 ? "-Inf" : "+Inf");
    return;
  }
  char buf[32];
  char* end;
  // Most values are whole numbers below 2^53, which %.16g writes as plain integers (all of
  // their digits fit in 16); -0 keeps its sign, as printf writes it.
  if (value == std::trunc(value) && std::fabs(value) < 1e15 &&
      !(value == 0 && std::signbit(value))) {
    end = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(value)).ptr;
  } else {
    // to_chars with a precision is specified as printf's %.*g in the C locale, which is what
    // an ostream with precision 16 (max_digits10 - 1) and the classic locale writes.
    end = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general, 16).ptr;
  }
  out->append(buf, static_cast<std::size_t>(end - buf));
}

Labels Family::SampleLabels(std::size_t i) const {
  Labels out;
  ForEachLabel(LabelText(i), [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), Unescape(v));
    return true;
  });
  return out;
}

std::string Family::LabelValue(std::size_t i, std::string_view name) const {
  std::string out;
  ForEachLabel(LabelText(i), [&](std::string_view k, std::string_view v) {
    if (k != name) return true;
    out = Unescape(v);
    return false;
  });
  return out;
}

const Family* Families::Find(std::string_view name) const {
  for (const Family& f : *this) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

void Families::Clear() {
  // Buffers are kept for the next collection up to kKeepBytes a family: enough for every family
  // of an ordinary target, so that steady scraping allocates nothing; a family of hundreds of
  // tables gives its megabyte back instead of holding it between scrapes.
  constexpr std::size_t kKeepBytes = 64 * 1024;
  for (std::size_t i = 0; i < used_; ++i) {
    Family& f = list_[i];
    if (f.text.capacity() > kKeepBytes) {
      std::string().swap(f.text);
    } else {
      f.text.clear();
    }
    if (f.samples.capacity() * sizeof(Family::Sample) > kKeepBytes) {
      std::vector<Family::Sample>().swap(f.samples);
    } else {
      f.samples.clear();
    }
  }
  used_ = 0;
}

std::size_t Families::samples() const {
  std::size_t n = 0;
  for (const Family& f : *this) n += f.samples.size();
  return n;
}

MetricSink::MetricSink() : MetricSink(std::string()) {}

MetricSink::MetricSink(std::string target) : MetricSink(std::move(target), Families()) {}

MetricSink::MetricSink(std::string target, Families reuse)
    : target_(std::move(target)), families_(std::move(reuse)) {
  families_.Clear();
  if (!target_.empty()) {
    escaped_target_ = "target=\"";
    AppendEscapedLabelValue(target_, &escaped_target_);
    escaped_target_ += '"';
  }
  if (ObserverFactory()) observer_ = ObserverFactory()();
}

MetricSink::~MetricSink() {
  if (observer_) observer_->OnDone(families_);
}

Families MetricSink::Take() {
  if (observer_) observer_->OnDone(families_);
  last_ = 0;
  return std::move(families_);
}

Family* MetricSink::FamilyFor(std::string_view name, std::string_view help, MetricType type) {
  std::vector<Family>& list = families_.list_;
  const std::size_t used = families_.used_;
  // Collections write families in runs or in rounds (one sample of each per row): the family
  // written last, then its successor, are almost always the one; the hash spares most string
  // comparisons of the search.
  if (last_ < used && list[last_].name == name) {
    return list[last_].type == type ? &list[last_] : nullptr;
  }
  if (last_ + 1 < used && list[last_ + 1].name == name) {
    ++last_;
    return list[last_].type == type ? &list[last_] : nullptr;
  }
  const std::size_t hash = std::hash<std::string_view>()(name);
  for (std::size_t i = used; i-- > 0;) {
    if (list[i].hash == hash && list[i].name == name) {
      last_ = i;
      return list[i].type == type ? &list[i] : nullptr;
    }
  }
  if (used == list.size()) list.emplace_back();
  Family& f = list[used];
  f.name.assign(name);
  f.help = EscapeHelp(help);
  f.type = type;
  f.hash = hash;
  f.text.clear();
  f.samples.clear();
  families_.used_ = used + 1;
  last_ = used;
  return &f;
}

bool MetricSink::LabelText(const Labels& labels) {
  scratch_.clear();
  if (escaped_target_.empty() && labels.empty()) return false;
  scratch_ += '{';
  scratch_ += escaped_target_;
  bool first = escaped_target_.empty();
  for (const auto& [k, v] : labels) {
    if (!first) scratch_ += ',';
    first = false;
    scratch_ += k;
    scratch_ += "=\"";
    AppendEscapedLabelValue(v, &scratch_);
    scratch_ += '"';
  }
  return true;
}

void MetricSink::Scalar(std::string_view name, std::string_view help, MetricType type,
                        const Labels& labels, double value) {
  if (observer_) observer_->OnSample(name, help, type, target_, labels, value);
  Family* f = FamilyFor(name, help, type);
  if (f == nullptr) return;
  const bool braces = LabelText(labels);
  std::string& text = f->text;
  text += name;
  const std::size_t label_start = text.size() + (braces ? 1 : 0);
  text += scratch_;
  const std::size_t label_size = braces ? scratch_.size() - 1 : 0;
  text += braces ? "} " : " ";
  AppendNumber(value, &text);
  text += '\n';
  f->samples.push_back(
      {static_cast<std::uint32_t>(label_start), static_cast<std::uint32_t>(label_size), value});
}

void MetricSink::Gauge(std::string_view name, std::string_view help, const Labels& labels,
                       double value) {
  Scalar(name, help, MetricType::Gauge, labels, value);
}

void MetricSink::Counter(std::string_view name, std::string_view help, const Labels& labels,
                         double value) {
  Scalar(name, help, MetricType::Counter, labels, value);
}

void MetricSink::Untyped(std::string_view name, std::string_view help, const Labels& labels,
                         double value) {
  Scalar(name, help, MetricType::Untyped, labels, value);
}

void MetricSink::Histogram(std::string_view name, std::string_view help, const Labels& labels,
                           const std::vector<double>& bounds,
                           const std::vector<std::uint64_t>& cumulative, std::uint64_t count,
                           double sum) {
  if (observer_) {
    observer_->OnHistogram(name, help, target_, labels, bounds, cumulative, count, sum);
  }
  Family* f = FamilyFor(name, help, MetricType::Histogram);
  if (f == nullptr) return;
  const bool braces = LabelText(labels);
  std::string& text = f->text;
  // As prometheus-cpp 1.0.1: _count, _sum, then the buckets, the last one +Inf.
  text += name;
  text += "_count";
  const std::size_t label_start = text.size() + (braces ? 1 : 0);
  text += scratch_;
  const std::size_t label_size = braces ? scratch_.size() - 1 : 0;
  text += braces ? "} " : " ";
  AppendInteger(count, &text);
  text += '\n';
  text += name;
  text += "_sum";
  text += scratch_;
  text += braces ? "} " : " ";
  AppendNumber(sum, &text);
  text += '\n';
  const char* le = braces ? ",le=\"" : "{le=\"";
  const std::size_t buckets = std::min(bounds.size(), cumulative.size());
  for (std::size_t i = 0; i <= buckets; ++i) {
    text += name;
    text += "_bucket";
    text += scratch_;
    text += le;
    if (i < buckets) {
      AppendNumber(bounds[i], &text);
    } else {
      text += "+Inf";
    }
    text += "\"} ";
    AppendInteger(i < buckets ? cumulative[i] : count, &text);
    text += '\n';
  }
  f->samples.push_back({static_cast<std::uint32_t>(label_start),
                        static_cast<std::uint32_t>(label_size), static_cast<double>(count)});
}

bool FindSample(const Families& families, std::string_view name, const Labels& match,
                double* value) {
  for (const Family& family : families) {
    if (family.name != name) continue;
    for (std::size_t i = 0; i < family.size(); ++i) {
      const std::string_view text = family.LabelText(i);
      bool all = true;
      for (const auto& label : match) {
        // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
        const std::string& k = label.first;
        const std::string& v = label.second;
        bool found = false;
        ForEachLabel(text, [&](std::string_view lk, std::string_view lv) {
          found = lk == k && EscapedEquals(lv, v);
          return !found;
        });
        if (!found) {
          all = false;
          break;
        }
      }
      if (!all) continue;
      *value = family.Value(i);
      return true;
    }
  }
  return false;
}

void AppendText(const Family& f, std::string* out) {
  if (!f.help.empty()) {
    *out += "# HELP ";
    *out += f.name;
    *out += ' ';
    *out += f.help;
    *out += '\n';
  }
  *out += "# TYPE ";
  *out += f.name;
  *out += ' ';
  *out += TypeName(f.type);
  *out += '\n';
  out->append(f.text);
}

void AppendText(const Families& families, std::string* out) {
  std::size_t total = 0;
  for (const Family& f : families) total += f.text.size() + 2 * f.name.size() + f.help.size() + 32;
  out->reserve(out->size() + total);
  for (const Family& f : families) AppendText(f, out);
}

std::string SerializeText(const Families& families) {
  std::string out;
  AppendText(families, &out);
  return out;
}

}  // namespace thoth

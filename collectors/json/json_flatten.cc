#include "collectors/json/json_flatten.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <set>
#include <utility>

#include "nlohmann/json.hpp"

namespace thoth::json {

namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxErrorLength = 240;

// Whether arrays and objects nest deeper than max, read in one linear pass over the bytes
// (strings skipped). Exact for valid JSON, which is all the parser accepts afterwards. Done
// apart from parsing because nlohmann/json's only depth hook, the parser callback, rescans
// the enclosing object at every object's end: quadratic time on a wide document (minutes for
// 6 MB of small objects), where the plain parser is linear.
bool NestingDeeperThan(std::string_view body, int max) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Escapes control characters and cuts long text, for an error message or a HELP line.
std::string Printable(std::string_view text, std::size_t max) {
  std::string out;
  for (unsigned char c : text) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// A string that is a whole finite decimal number, as a value; false otherwise.
bool NumberFromString(const std::string& s, double* value) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) {
      return false;  // no "nan", "inf", hex or spaces
    }
  }
  const char* begin = s.data();
  if (*begin == '+') ++begin;
  double v = 0;
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return false;
  *value = v;
  return true;
}

// prometheus-cpp writes values with 16 significant digits: a double within 1e-15 of DBL_MAX
// comes out as text beyond DBL_MAX, which Prometheus refuses, failing the whole scrape.
constexpr double kMaxMagnitude = 1e308;

// A number or boolean (and, when allowed, a numeric string) as a sample value the text format
// can carry.
bool SampleValue(const Json& node, bool allow_strings, double* value) {
  double v = 0;
  switch (node.type()) {
    case Json::value_t::number_integer:
      v = static_cast<double>(node.get<std::int64_t>());
      break;
    case Json::value_t::number_unsigned:
      v = static_cast<double>(node.get<std::uint64_t>());
      break;
    case Json::value_t::number_float:
      v = node.get<double>();
      break;
    case Json::value_t::boolean:
      v = node.get<bool>() ? 1 : 0;
      break;
    case Json::value_t::string:
      if (!allow_strings || !NumberFromString(node.get_ref<const std::string&>(), &v)) {
        return false;
      }
      break;
    default:
      return false;
  }
  if (!std::isfinite(v) || std::fabs(v) > kMaxMagnitude) return false;
  *value = v;
  return true;
}

// Cuts a valid UTF-8 string to at most max bytes without splitting a character.
std::string CutUtf8(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

std::string FormatLabelNumber(double v) {
  char buf[40];
  if (std::floor(v) == v && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.17g", v);
  }
  return buf;
}

std::string LabelValue(const Json& node) {
  switch (node.type()) {
    case Json::value_t::string:
      return CutUtf8(node.get_ref<const std::string&>(), kMaxLabelValueLength);
    case Json::value_t::boolean:
      return node.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: {
      double v = 0;
      return SampleValue(node, false, &v) ? FormatLabelNumber(v) : "";
    }
    default:
      return "";
  }
}

std::string EscapePointerToken(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// Collects samples and enforces max_series and uniqueness.
class SeriesBudget {
 public:
  SeriesBudget(const FlattenOptions& options, Flattened* out) : options_(options), out_(out) {}

  void Add(Sample sample) {
    if (sample.name.size() > kMaxNameLength) {
      ++out_->omitted;
      return;
    }
    std::string key = sample.name;
    for (const auto& [k, v] : sample.labels) {
      key += '\0';
      key += k;
      key += '\0';
      key += v;
    }
    if (out_->samples.size() >= options_.max_series || seen_.count(key) > 0) {
      ++out_->omitted;
      return;
    }
    seen_.insert(std::move(key));
    out_->samples.push_back(std::move(sample));
  }

 private:
  const FlattenOptions& options_;
  Flattened* out_;
  std::set<std::string> seen_;
};

// Every number and boolean reached through objects. Depth is bounded by the parser's check.
void Walk(const Json& node, std::string& name, std::string& pointer, SeriesBudget& collector) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      const std::size_t name_size = name.size();
      const std::size_t pointer_size = pointer.size();
      name += '_';
      name += SanitizeNamePart(key);
      pointer += '/';
      pointer += EscapePointerToken(key);
      Walk(value, name, pointer, collector);
      name.resize(name_size);
      pointer.resize(pointer_size);
    }
    return;
  }
  double value = 0;
  if (!SampleValue(node, false, &value)) return;  // arrays, strings, nulls
  Sample s;
  s.name = name;
  s.help = "JSON value at " + Printable(pointer.empty() ? "(document)" : pointer, 160) +
           " (json collector)";
  s.value = value;
  collector.Add(std::move(s));
}

struct Match {
  const Json* value = nullptr;
  const Json* parent = nullptr;  // the object holding value; null when an array or the root
  std::vector<std::string> wildcard_keys;
};

void Resolve(const Json& node, const Json* parent, const std::vector<std::string>& tokens,
             std::size_t i, std::vector<std::string>& keys, std::vector<Match>& out) {
  if (i == tokens.size()) {
    out.push_back({&node, parent, keys});
    return;
  }
  const std::string& token = tokens[i];
  if (node.is_object()) {
    if (token == "*") {
      for (const auto& [key, value] : node.items()) {
        keys.push_back(key);
        Resolve(value, &node, tokens, i + 1, keys, out);
        keys.pop_back();
      }
      return;
    }
    auto it = node.find(token);
    if (it != node.end()) Resolve(*it, &node, tokens, i + 1, keys, out);
    return;
  }
  if (node.is_array()) {
    if (token == "*") {
      for (std::size_t n = 0; n < node.size(); ++n) {
        keys.push_back(std::to_string(n));
        Resolve(node[n], nullptr, tokens, i + 1, keys, out);
        keys.pop_back();
      }
      return;
    }
    // An array index: digits only, no leading zero (RFC 6901).
    if (token.empty() || token.size() > 9 || (token.size() > 1 && token[0] == '0')) return;
    std::size_t n = 0;
    for (char c : token) {
      if (c < '0' || c > '9') return;
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    if (n < node.size()) Resolve(node[n], nullptr, tokens, i + 1, keys, out);
  }
}

void ApplyMapping(const Json& doc, const Mapping& mapping, SeriesBudget& collector,
                  Flattened* out) {
  std::vector<Match> matches;
  std::vector<std::string> keys;
  Resolve(doc, nullptr, mapping.tokens, 0, keys, matches);
  bool any = false;
  for (const Match& m : matches) {
    double value = 0;
    if (!SampleValue(*m.value, true, &value)) continue;
    any = true;
    Sample s;
    s.name = mapping.name;
    s.kind = mapping.kind;
    s.help = mapping.help.empty() ? "JSON value at " + mapping.pointer + " (json collector)"
                                  : mapping.help;
    s.value = value;
    s.labels = mapping.labels;
    for (std::size_t k = 0; k < mapping.key_labels.size() && k < m.wildcard_keys.size(); ++k) {
      s.labels.emplace_back(mapping.key_labels[k],
                            CutUtf8(m.wildcard_keys[k], kMaxLabelValueLength));
    }
    for (const auto& [label, key] : mapping.labels_from) {
      std::string v;
      if (m.parent != nullptr) {
        auto it = m.parent->find(key);
        if (it != m.parent->end()) v = LabelValue(*it);
      }
      s.labels.emplace_back(label, std::move(v));
    }
    collector.Add(std::move(s));
  }
  if (!any) ++out->unmatched_mappings;
}

}  // namespace

std::string SanitizeNamePart(std::string_view key) {
  if (key.empty()) return "_";
  std::string out(key);
  for (char& c : out) {
    if (!IsNameChar(c)) c = '_';
  }
  return out;
}

StatusOr<std::vector<std::string>> ParsePointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/') return Status::Error("a JSON Pointer is empty or starts with \"/\"");
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (pointer[i] == '~') {
      if (i + 1 < pointer.size() && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
        token += pointer[i + 1] == '0' ? '~' : '/';
        ++i;
        continue;
      }
      return Status::Error("\"~\" in a JSON Pointer must be followed by 0 or 1");
    }
    token += pointer[i];
  }
  if (tokens.size() > kMaxPointerTokens) {
    return Status::Error("a JSON Pointer of more than " + std::to_string(kMaxPointerTokens) +
                         " tokens");
  }
  return tokens;
}

bool IsMetricName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0])) return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

bool IsLabelName(std::string_view name) { return IsMetricName(name) && name.rfind("__", 0) != 0; }

StatusOr<Flattened> Flatten(std::string_view body, const FlattenOptions& options) {
  if (body.empty()) return Status::Error("empty body");
  if (NestingDeeperThan(body, kMaxDepth)) {
    return Status::Error("JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  Json doc;
  try {
    doc = Json::parse(body.begin(), body.end());
  } catch (const std::exception& e) {
    return Status::Error("not JSON: " + Printable(e.what(), kMaxErrorLength));
  }

  Flattened out;
  SeriesBudget collector(options, &out);
  try {
    if (options.mappings.empty()) {
      std::string name = options.prefix;
      std::string pointer;
      Walk(doc, name, pointer, collector);
    } else {
      for (const Mapping& mapping : options.mappings) ApplyMapping(doc, mapping, collector, &out);
    }
  } catch (const std::exception& e) {
    // Only allocation can fail here; keep the promise of no exceptions all the same.
    return Status::Error(std::string("internal error: ") + e.what());
  }
  return out;
}

}  // namespace thoth::json

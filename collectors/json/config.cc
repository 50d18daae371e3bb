#include "collectors/json/config.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>

#include "exporter/config_checks.h"

namespace thoth::json {

namespace {

constexpr std::int64_t kMaxSeriesLimit = 100000;
constexpr std::int64_t kMinBodyBytes = 1 << 10;
constexpr std::int64_t kMaxBodyBytes = 64 << 20;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsHeaderToken(std::string_view name) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || kExtra.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// A label name of a mapping: valid, and not `target` (every sample carries its target).
void CheckLabelName(const ConfigNode& node, const std::string& label) {
  if (!IsLabelName(label)) {
    node.Fail("\"" + label + "\" is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, not __...)");
  }
  if (label == "target") node.Fail("the label target is the exporter's (the target's name)");
}

Mapping ReadMapping(const ConfigNode& item, const std::string& prefix) {
  item.ExpectKeys({"pointer", "name", "type", "help", "labels", "key_labels", "labels_from"});
  Mapping m;
  m.pointer = item.RequiredString("pointer");
  StatusOr<std::vector<std::string>> tokens = ParsePointer(m.pointer);
  if (!tokens.ok()) item.FailKey("pointer", tokens.status().message());
  m.tokens = std::move(*tokens);
  const std::string name = item.RequiredString("name");
  if (!IsMetricName(name)) {
    item.FailKey("name", "must be a metric name ([a-zA-Z_][a-zA-Z0-9_]*)");
  }
  m.name = prefix + "_" + name;
  if (m.name.size() > kMaxNameLength) item.FailKey("name", "is too long");

  const std::string type = item.String("type", "gauge");
  if (type == "gauge") {
    m.kind = MetricKind::kGauge;
  } else if (type == "counter") {
    m.kind = MetricKind::kCounter;
  } else {
    item.FailKey("type", "must be gauge or counter");
  }
  m.help = item.String("help", "");
  if (HasControlCharacter(m.help)) item.FailKey("help", "must be one line of text");

  std::set<std::string> labels;
  const ConfigNode constant = item.Child("labels");
  if (!constant.IsNull()) {
    for (const auto& [label, value] : constant.Entries()) {
      CheckLabelName(value, label);
      if (!labels.insert(label).second) value.Fail("label " + label + " is given twice");
      m.labels.emplace_back(label, value.AsString());
    }
  }
  const std::size_t wildcards = std::count(m.tokens.begin(), m.tokens.end(), "*");
  const ConfigNode key_labels = item.Child("key_labels");
  for (const std::string& label : item.StringList("key_labels")) {
    CheckLabelName(key_labels, label);
    if (!labels.insert(label).second) key_labels.Fail("label " + label + " is given twice");
    m.key_labels.push_back(label);
  }
  if (m.key_labels.size() > wildcards) {
    item.FailKey("key_labels", "names more labels than the pointer has * wildcards (" +
                                   std::to_string(wildcards) + ")");
  }
  const ConfigNode from = item.Child("labels_from");
  if (!from.IsNull()) {
    for (const auto& [label, key] : from.Entries()) {
      CheckLabelName(key, label);
      if (!labels.insert(label).second) key.Fail("label " + label + " is given twice");
      m.labels_from.emplace_back(label, key.AsString());
    }
  }
  return m;
}

// name, url and prefix.
void ReadIdentity(const ConfigNode& item, TargetConfig& cfg) {
  cfg.name = RequireTargetName(item);
  cfg.url = item.RequiredString("url");
  CheckHttpUrl(item, "url", cfg.url);

  cfg.prefix = item.RequiredString("prefix");
  if (!IsMetricName(cfg.prefix)) {
    item.FailKey("prefix", "must be a metric name ([a-zA-Z_][a-zA-Z0-9_]*), e.g. letta_memory");
  }
  if (cfg.prefix == "json" || cfg.prefix.rfind("json_", 0) == 0) {
    item.FailKey("prefix", "json and json_... are the collector's own metrics (json_up, ...)");
  }
  if (cfg.prefix.size() > kMaxNameLength / 2) item.FailKey("prefix", "is too long");
}

// headers and the bearer token: every request's header lines.
void ReadHeaders(const ConfigNode& item, TargetConfig& cfg) {
  bool has_authorization = false;
  const ConfigNode headers = item.Child("headers");
  if (!headers.IsNull()) {
    for (const auto& [name, value] : headers.Entries()) {
      if (!IsHeaderToken(name)) value.Fail("not a valid header name");
      const std::string v = value.AsString();
      // Never quote the value: a header may carry a key.
      if (v.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
        value.Fail("a header value cannot contain line breaks or NUL");
      }
      has_authorization = has_authorization || IEquals(name, "Authorization");
      cfg.headers.push_back(name + ": " + v);
    }
  }
  // Ask for JSON unless the configuration says otherwise.
  const bool has_accept = std::any_of(cfg.headers.begin(), cfg.headers.end(), [](const auto& h) {
    return IEquals(std::string_view(h).substr(0, 7), "Accept:");
  });
  if (!has_accept) cfg.headers.push_back("Accept: application/json");
  if (auto token = item.Secret("bearer_token")) {
    const char* key = item.Has("bearer_token_file") ? "bearer_token_file" : "bearer_token";
    if (has_authorization) {
      item.FailKey(key, "give either bearer_token(_file) or an Authorization header, not both");
    }
    if (token->empty()) item.FailKey(key, "the token is empty");
    if (HasControlCharacter(*token)) item.FailKey(key, "the token has a control character");
    cfg.headers.push_back("Authorization: Bearer " + *token);
  }
}

// Timeouts, bounds and TLS.
void ReadLimits(const ConfigNode& item, TargetConfig& cfg) {
  cfg.timeout_seconds = item.Duration("timeout", cfg.timeout_seconds);
  if (cfg.timeout_seconds <= 0) item.FailKey("timeout", "must be positive");
  cfg.connect_timeout_seconds = item.Duration("connect_timeout", cfg.connect_timeout_seconds);
  if (cfg.connect_timeout_seconds <= 0) item.FailKey("connect_timeout", "must be positive");

  const std::int64_t max_series = item.Integer("max_series", 200);
  if (max_series < 1 || max_series > kMaxSeriesLimit) {
    item.FailKey("max_series", "must be between 1 and " + std::to_string(kMaxSeriesLimit));
  }
  cfg.max_series = static_cast<std::size_t>(max_series);
  const std::int64_t max_body = item.Integer("max_body_bytes", 4 << 20);
  if (max_body < kMinBodyBytes || max_body > kMaxBodyBytes) {
    item.FailKey("max_body_bytes", "must be between 1024 and 67108864");
  }
  cfg.max_body_bytes = static_cast<std::size_t>(max_body);

  cfg.tls_insecure = item.Bool("tls_insecure", false);
  cfg.ca_file = item.String("ca_file", "");
}

void ReadMappings(const ConfigNode& item, TargetConfig& cfg) {
  const ConfigNode mappings = item.Child("mappings");
  std::set<std::pair<std::string, MetricKind>> kinds;
  for (const ConfigNode& m : mappings.Items()) {
    Mapping mapping = ReadMapping(m, cfg.prefix);
    // One name is one family: the same name may come from several mappings (with labels that
    // tell them apart) but not as a gauge and a counter.
    const MetricKind other =
        mapping.kind == MetricKind::kGauge ? MetricKind::kCounter : MetricKind::kGauge;
    if (kinds.count({mapping.name, other}) > 0) {
      m.FailKey("type", mapping.name + " is both a gauge and a counter");
    }
    kinds.insert({mapping.name, mapping.kind});
    cfg.mappings.push_back(std::move(mapping));
  }
  if (!mappings.IsNull() && cfg.mappings.empty()) {
    item.FailKey("mappings", "lists no mapping (leave it out to export every numeric leaf)");
  }
}

TargetConfig ReadTarget(const ConfigNode& item) {
  item.ExpectKeys({"name", "url", "prefix", "timeout", "connect_timeout", "headers", "bearer_token",
                   "bearer_token_file", "mappings", "max_series", "max_body_bytes", "tls_insecure",
                   "ca_file"});
  TargetConfig cfg;
  ReadIdentity(item, cfg);
  ReadHeaders(item, cfg);
  ReadLimits(item, cfg);
  ReadMappings(item, cfg);
  cfg.fingerprint = item.Fingerprint();
  return cfg;
}

}  // namespace

Status ParseConfig(const ConfigNode& section, std::vector<TargetConfig>* out) {
  return ParseTargetList(section, ReadTarget, out);
}

}  // namespace thoth::json

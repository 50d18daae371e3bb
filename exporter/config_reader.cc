#include "exporter/config_reader.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "exporter/read_whole_file.h"

namespace thoth {

namespace {

// Nesting bound for defaults within defaults: deep enough for any real config, and a hostile
// one cannot recurse without limit.
constexpr int kMaxEnvNesting = 8;

// The index of the '}' that closes a "${" whose body starts at `from`: nested "${...}" and "$$"
// are skipped over. npos when it is never closed.
size_t ClosingBrace(std::string_view text, size_t from) {
  int depth = 0;
  for (size_t i = from; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && (text[i + 1] == '$' || text[i + 1] == '{')) {
      if (text[i + 1] == '{') ++depth;
      ++i;
    } else if (text[i] == '}') {
      if (depth == 0) return i;
      --depth;
    }
  }
  return std::string_view::npos;
}

StatusOr<std::string> ExpandEnvAt(std::string_view text, int nesting) {
  if (nesting > kMaxEnvNesting) {
    return Status::Error("defaults nested more than " + std::to_string(kMaxEnvNesting) + " deep");
  }
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      out += c;
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += c;
      continue;
    }
    size_t close = ClosingBrace(text, i + 2);
    if (close == std::string_view::npos) {
      return Status::Error("unclosed \"${\" in \"" + std::string(text) + "\"");
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view name = inner;
    std::optional<std::string_view> def;
    if (size_t sep = inner.find(":-"); sep != std::string_view::npos) {
      name = inner.substr(0, sep);
      def = inner.substr(sep + 2);
    }
    if (name.empty()) return Status::Error("empty variable name in \"${}\"");
    if (name.find_first_of("${}") != std::string_view::npos) {
      return Status::Error("\"" + std::string(name) + "\" is not a variable name");
    }
    const char* value = std::getenv(std::string(name).c_str());
    if (value != nullptr && *value != '\0') {
      out += value;  // a value is used as it is: never expanded again
    } else if (def) {
      // The default may itself hold ${OTHER:-...}; it is expanded only when it is used.
      StatusOr<std::string> expanded = ExpandEnvAt(*def, nesting + 1);
      if (!expanded.ok()) return expanded.status();
      out += expanded.value();
    } else {
      return Status::Error("environment variable " + std::string(name) +
                           " is not set (give a default with ${" + std::string(name) + ":-value})");
    }
    i = close;
  }
  return out;
}

}  // namespace

StatusOr<std::string> ExpandEnv(std::string_view text) { return ExpandEnvAt(text, 0); }

std::optional<double> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  // A bare number means seconds.
  {
    double v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && p == text.data() + text.size()) {
      if (v < 0 || !std::isfinite(v)) return std::nullopt;
      return v;
    }
  }
  double total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    double v = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + text.size(), v);
    if (ec != std::errc() || v < 0) return std::nullopt;
    i = p - text.data();
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double mult = 0;
    if (unit == "ms") {
      mult = 0.001;
    } else if (unit == "s") {
      mult = 1;
    } else if (unit == "m") {
      mult = 60;
    } else if (unit == "h") {
      mult = 3600;
    } else if (unit == "d") {
      mult = 86400;
    } else {
      return std::nullopt;
    }
    total += v * mult;
    any = true;
  }
  if (!any || !std::isfinite(total)) return std::nullopt;
  return total;
}

namespace {
thread_local KeyRecorder* g_recorder = nullptr;
}  // namespace

KeyRecorder::KeyRecorder() { g_recorder = this; }
KeyRecorder::~KeyRecorder() { g_recorder = nullptr; }

void KeyRecorder::Record(const std::string& schema_path, const std::vector<std::string>& allowed) {
  keys_[schema_path].insert(allowed.begin(), allowed.end());
}

ConfigNode::ConfigNode(const YAML::Node& node, std::string file, std::string path)
    : node_(node), file_(std::move(file)), path_(std::move(path)), schema_path_(path_) {
  if (node_) mark_ = node_.Mark();
}

ConfigNode ConfigNode::WithSchemaPath(std::string schema_path) && {
  schema_path_ = std::move(schema_path);
  return std::move(*this);
}

namespace {
std::string JoinPath(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}
}  // namespace

std::string ConfigNode::Location() const {
  std::ostringstream out;
  out << file_;
  if (mark_.line >= 0) out << ":" << mark_.line + 1 << ":" << mark_.column + 1;
  return out.str();
}

std::string ConfigNode::ChildPath(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void ConfigNode::Fail(std::string_view what) const {
  throw ConfigError(OneLine(Location() + ": " +
                            (path_.empty() ? std::string("(top level)") : path_) + ": " +
                            std::string(what)));
}

void ConfigNode::FailKey(std::string_view key, std::string_view what) const {
  Child(key).Fail(what);
}

bool ConfigNode::Has(std::string_view key) const {
  if (!IsMap()) return false;
  for (const auto& kv : node_) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return true;
  }
  return false;
}

void ConfigNode::ExpectKeys(const std::vector<std::string>& allowed) const {
  if (g_recorder != nullptr) g_recorder->Record(schema_path_, allowed);
  if (IsNull()) return;
  if (!IsMap()) Fail("expected a mapping of keys to values");
  std::vector<std::string> seen;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) ConfigNode(kv.first, file_, path_).Fail("a key must be a name");
    const std::string& key = kv.first.Scalar();
    ConfigNode at(kv.first, file_, ChildPath(key));
    bool known = false;
    for (const auto& a : allowed) known = known || a == key;
    if (!known) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      at.Fail("unknown key (allowed here: " + list + ")");
    }
    for (const auto& s : seen) {
      if (s == key) at.Fail("key given twice");
    }
    seen.push_back(key);
  }
}

void ConfigNode::ExpectKeys(std::initializer_list<std::string_view> allowed) const {
  std::vector<std::string> v;
  for (auto a : allowed) v.emplace_back(a);
  ExpectKeys(v);
}

ConfigNode ConfigNode::Child(std::string_view key) const {
  if (IsMap()) {
    for (const auto& kv : node_) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) {
        ConfigNode child(kv.second, file_, ChildPath(key));
        child.mark_ = kv.second.Mark().line >= 0 ? kv.second.Mark() : kv.first.Mark();
        child.schema_path_ = JoinPath(schema_path_, key);
        return child;
      }
    }
  }
  // Absent: errors about it point at the enclosing mapping.
  ConfigNode absent(YAML::Node(), file_, ChildPath(key));
  absent.mark_ = mark_;
  absent.schema_path_ = JoinPath(schema_path_, key);
  absent.absent_ = true;
  return absent;
}

std::vector<ConfigNode> ConfigNode::Items() const {
  std::vector<ConfigNode> out;
  if (IsNull()) return out;
  if (!IsSequence()) Fail("expected a list");
  size_t i = 0;
  for (const auto& item : node_) {
    out.push_back(ConfigNode(item, file_, path_ + "[" + std::to_string(i++) + "]")
                      .WithSchemaPath(schema_path_ + "[]"));
  }
  return out;
}

std::vector<std::pair<std::string, ConfigNode>> ConfigNode::Entries() const {
  std::vector<std::pair<std::string, ConfigNode>> out;
  if (IsNull()) return out;
  if (!IsMap()) Fail("expected a mapping");
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) ConfigNode(kv.first, file_, path_).Fail("a key must be a name");
    out.emplace_back(kv.first.Scalar(), ConfigNode(kv.second, file_, ChildPath(kv.first.Scalar()))
                                            .WithSchemaPath(JoinPath(schema_path_, "*")));
  }
  return out;
}

std::string ConfigNode::AsString() const {
  if (!IsScalar()) Fail("expected a single value");
  StatusOr<std::string> expanded = ExpandEnv(node_.Scalar());
  if (!expanded.ok()) Fail(expanded.status().message());
  return std::move(expanded).value();
}

double ConfigNode::AsNumber() const {
  std::string s = AsString();
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) {
    Fail("expected a number, got \"" + s + "\"");
  }
  return v;
}

std::int64_t ConfigNode::AsInteger() const {
  std::string s = AsString();
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    Fail("expected a whole number, got \"" + s + "\"");
  }
  return v;
}

bool ConfigNode::AsBool() const {
  std::string s = AsString();
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  Fail("expected true or false, got \"" + s + "\"");
}

double ConfigNode::AsDuration() const {
  std::string s = AsString();
  auto d = ParseDuration(s);
  if (!d) Fail("expected a duration such as 500ms, 8s, 5m or 1h, got \"" + s + "\"");
  return *d;
}

std::vector<std::string> ConfigNode::AsStringList() const {
  std::vector<std::string> out;
  if (IsNull()) return out;
  if (IsScalar()) {
    out.push_back(AsString());
    return out;
  }
  for (const auto& item : Items()) out.push_back(item.AsString());
  return out;
}

std::string ConfigNode::String(std::string_view key, std::string_view def) const {
  ConfigNode c = Child(key);
  return c.IsNull() ? std::string(def) : c.AsString();
}

std::string ConfigNode::RequiredString(std::string_view key) const {
  ConfigNode c = Child(key);
  if (c.IsNull()) c.Fail("required key is missing");
  std::string s = c.AsString();
  if (s.empty()) c.Fail("must not be empty");
  return s;
}

double ConfigNode::Number(std::string_view key, double def) const {
  ConfigNode c = Child(key);
  return c.IsNull() ? def : c.AsNumber();
}

std::int64_t ConfigNode::Integer(std::string_view key, std::int64_t def) const {
  ConfigNode c = Child(key);
  return c.IsNull() ? def : c.AsInteger();
}

bool ConfigNode::Bool(std::string_view key, bool def) const {
  ConfigNode c = Child(key);
  return c.IsNull() ? def : c.AsBool();
}

double ConfigNode::Duration(std::string_view key, double def_seconds) const {
  ConfigNode c = Child(key);
  return c.IsNull() ? def_seconds : c.AsDuration();
}

std::vector<std::string> ConfigNode::StringList(std::string_view key) const {
  return Child(key).AsStringList();
}

std::optional<std::string> ConfigNode::Secret(std::string_view key) const {
  std::string file_key = std::string(key) + "_file";
  ConfigNode inline_node = Child(key);
  ConfigNode file_node = Child(file_key);
  if (!inline_node.IsNull() && !file_node.IsNull()) {
    file_node.Fail("give either " + std::string(key) + " or " + file_key + ", not both");
  }
  if (!inline_node.IsNull()) {
    if (!inline_node.IsScalar()) inline_node.Fail("expected a single value");
    StatusOr<std::string> expanded = ExpandEnv(inline_node.node_.Scalar());
    // The message could quote the secret; name only the problem.
    if (!expanded.ok()) inline_node.Fail("cannot expand an environment variable in the secret");
    return std::move(expanded).value();
  }
  if (file_node.IsNull()) return std::nullopt;
  std::string path = file_node.AsString();
  StatusOr<std::string> read = ReadWholeFile(path);
  if (!read.ok()) {
    file_node.Fail("cannot read secret file " + path + ": " + read.status().message());
  }
  std::string content = std::move(read).value();
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
    content.pop_back();
  }
  return content;
}

std::string ConfigNode::Fingerprint() const {
  std::string out;
  std::function<void(const YAML::Node&, const std::string&)> walk = [&](const YAML::Node& n,
                                                                        const std::string& key) {
    if (!n) return;
    if (n.IsScalar()) {
      StatusOr<std::string> expanded = ExpandEnv(n.Scalar());
      const std::string v = expanded.ok() ? expanded.value() : n.Scalar();
      out += v;
      out += '\x1f';
      if (key.size() > 5 && key.compare(key.size() - 5, 5, "_file") == 0) {
        if (StatusOr<std::string> content = ReadWholeFile(v); content.ok()) {
          out += std::to_string(std::hash<std::string>{}(content.value()));
        }
      }
    } else if (n.IsSequence()) {
      out += '[';
      for (const auto& item : n) walk(item, key);
      out += ']';
    } else if (n.IsMap()) {
      out += '{';
      for (const auto& kv : n) {
        std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "";
        out += k;
        out += '=';
        walk(kv.second, k);
      }
      out += '}';
    }
  };
  walk(node_, path_);
  return out;
}

ConfigNode ParseYaml(const std::string& text, const std::string& file) {
  try {
    return ConfigNode(YAML::Load(text), file);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(OneLine(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                              std::to_string(e.mark.column + 1) + ": (syntax): " + e.msg));
  } catch (const YAML::Exception& e) {
    throw ConfigError(OneLine(file + ": (syntax): " + e.msg));
  }
}

}  // namespace thoth

#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/status.h"
#include "yaml-cpp/yaml.h"

namespace thoth {

// A configuration error, already formatted as one line: "FILE:LINE:COL: KEY: what is wrong".
// Thrown only inside configuration loading and caught there (LoadConfig turns it into a Status).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Expands ${VAR} and ${VAR:-default} from the environment; "$$" is a literal "$". A default may
// itself use variables, nested up to 8 deep: ${THOTH_LETTA_URL:-${LETTA_SERVER_URL:-http://x}}
// (an unset or empty VAR takes the default; a variable's value is never expanded again).
// An error says why when VAR is unset and has no default, when a "${" is not closed, or when
// defaults nest too deep.
StatusOr<std::string> ExpandEnv(std::string_view text);

// An error is one line: control characters (a quoted key or value may hold a newline) are shown
// escaped (\n, \xNN).
std::string OneLine(std::string_view text);

// Parses a Prometheus-style duration ("8s", "500ms", "5m", "1h30m", or a bare number of seconds)
// into seconds. Returns nullopt when it is not one.
std::optional<double> ParseDuration(std::string_view text);

// A read-only view of one YAML node with the path that leads to it ("postgres[0].dsn").
// Every accessor reports errors as ConfigError naming the file, line, column and key; scalars
// are environment-expanded when read. Unknown keys are rejected by ExpectKeys, so that a typo
// cannot silently disable monitoring.
class ConfigNode {
 public:
  ConfigNode(const YAML::Node& node, std::string file, std::string path = "");

  bool IsNull() const { return !node_ || node_.IsNull(); }
  // True for the child of a key that is not there at all (`filesystem:` with no value is null
  // but present).
  bool IsAbsent() const { return absent_; }
  bool IsMap() const { return node_ && node_.IsMap(); }
  bool IsSequence() const { return node_ && node_.IsSequence(); }
  bool IsScalar() const { return node_ && node_.IsScalar(); }
  bool Has(std::string_view key) const;
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  // "FILE:LINE:COL" of this node (of the enclosing mapping when absent).
  std::string Location() const;
  // The path with every list index as "[]" and every free-form map key (Entries) as "*":
  // "postgres[].statements", "probe.modules.*". The address of this node in the JSON Schema.
  const std::string& schema_path() const { return schema_path_; }

  // Fails unless this is a map whose keys are all in `allowed` (and none repeats). Tells the
  // active KeyRecorder, if any, that `allowed` are the keys of schema_path().
  void ExpectKeys(std::initializer_list<std::string_view> allowed) const;
  void ExpectKeys(const std::vector<std::string>& allowed) const;

  ConfigNode Child(std::string_view key) const;  // null node when absent
  // The items of a sequence; a null node gives none; anything else is an error.
  std::vector<ConfigNode> Items() const;
  // The entries of a map, as (key, value) in file order.
  std::vector<std::pair<std::string, ConfigNode>> Entries() const;

  // This node as a scalar (expanded). Fails if it is not a scalar.
  std::string AsString() const;
  double AsNumber() const;
  std::int64_t AsInteger() const;
  bool AsBool() const;
  double AsDuration() const;  // seconds
  // A scalar or a sequence of scalars.
  std::vector<std::string> AsStringList() const;

  std::string String(std::string_view key, std::string_view def) const;
  std::string RequiredString(std::string_view key) const;
  double Number(std::string_view key, double def) const;
  std::int64_t Integer(std::string_view key, std::int64_t def) const;
  bool Bool(std::string_view key, bool def) const;
  double Duration(std::string_view key, double def_seconds) const;
  std::vector<std::string> StringList(std::string_view key) const;
  // A secret given inline as `key` or read from the file named by `key_file` (trailing newline
  // removed). Both given is an error; neither gives nullopt. The secret never appears in any
  // error message.
  std::optional<std::string> Secret(std::string_view key) const;

  // A stable digest of everything under this node after expansion, including the contents of
  // every *_file it names, for detecting configuration changes on reload. Never printed.
  std::string Fingerprint() const;

  [[noreturn]] void Fail(std::string_view what) const;
  [[noreturn]] void FailKey(std::string_view key, std::string_view what) const;

 private:
  std::string ChildPath(std::string_view key) const;
  ConfigNode WithSchemaPath(std::string schema_path) &&;

  YAML::Node node_;
  YAML::Mark mark_ = YAML::Mark::null_mark();  // where errors about this node point
  std::string file_;
  std::string path_;
  std::string schema_path_;
  bool absent_ = false;
};

// Records, while it lives, the keys that every ConfigNode::ExpectKeys on this thread allowed,
// by schema path ("" is the top level). This is what the parser knows; a test compares it with
// the properties of config.schema.json. Recorders do not nest.
class KeyRecorder {
 public:
  KeyRecorder();
  ~KeyRecorder();
  KeyRecorder(const KeyRecorder&) = delete;
  KeyRecorder& operator=(const KeyRecorder&) = delete;

  const std::map<std::string, std::set<std::string>>& keys() const { return keys_; }
  void Record(const std::string& schema_path, const std::vector<std::string>& allowed);

 private:
  std::map<std::string, std::set<std::string>> keys_;
};

// Runs `parse` (which reads through ConfigNode and may throw ConfigError) and turns a
// ConfigError into a Status; the error already names file:line:col and key.
template <typename F>
Status CatchConfigError(F&& parse) {
  try {
    parse();
    return Status::Ok();
  } catch (const ConfigError& e) {
    return Status::Error(e.what());
  }
}

// Parses a section that is a list of targets, `parse_one(item)` giving the target of each item
// (reading through ConfigNode, it may throw ConfigError). On success *out holds every target in
// file order; on the first error *out is left as it was and the Status names file:line:col and
// key. A null section is an empty list; a section that is not a list fails ("expected a list").
template <typename T, typename ParseOne>
Status ParseTargetList(const ConfigNode& section, ParseOne&& parse_one, std::vector<T>* out) {
  return CatchConfigError([&] {
    std::vector<T> targets;
    for (const ConfigNode& item : section.Items()) targets.push_back(parse_one(item));
    *out = std::move(targets);
  });
}

// Parses YAML text into a root ConfigNode. Syntax errors become ConfigError with line/column.
ConfigNode ParseYaml(const std::string& text, const std::string& file);

}  // namespace thoth

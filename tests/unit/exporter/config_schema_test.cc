// docs/config.schema.json stays equal to what the config parser accepts.
//
// "What the parser knows" is recorded, not re-typed: while a KeyRecorder lives, every
// ConfigNode::ExpectKeys reports the keys it allows at its schema path ("postgres[].tables",
// "probe.modules.*"). Loading the shipped configs (deploy/, the docs' examples, the embedded
// default) and tests/fixtures/config/every_section.yml (which reaches every mapping) records
// them all; the test then checks, both ways, that each recorded mapping is an object of the
// schema with exactly those properties and no others, and that every object of the schema was
// reached by the parser. Every one of those configs must also load and validate against the
// schema (a small draft-07 validator below, over nlohmann/json).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "exporter/config.h"
#include "exporter/config_reader.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace thoth {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const std::string kSourceDir = std::string(THOTH_FIXTURES_DIR) + "/../..";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

json LoadSchema() { return json::parse(ReadFile(kSourceDir + "/docs/config.schema.json")); }

// ---- YAML to JSON, typed as YAML 1.2's core schema types plain scalars (as editors do) ----

json ScalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (std::regex_match(s, kInt)) return std::stoll(s);
  if (std::regex_match(s, kFloat)) return std::stod(s);
  return s;
}

json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.Scalar()] = YamlToJson(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      return ScalarToJson(node);
    default:
      return nullptr;
  }
}

// ---- A draft-07 validator for the keywords the schema uses (others fail the test) ----

class Validator {
 public:
  explicit Validator(json schema) : root_(std::move(schema)) {}

  // Every error as "PATH: what"; none when `doc` is valid.
  std::vector<std::string> Validate(const json& doc) {
    errors_.clear();
    Check(root_, doc, "");
    return errors_;
  }

  const json& Resolve(const json& s) const {
    if (!s.is_object() || !s.contains("$ref")) return s;
    const std::string ref = s["$ref"];
    EXPECT_EQ(ref.rfind("#/definitions/", 0), 0u) << ref;
    return root_["definitions"][ref.substr(14)];
  }

 private:
  static bool HasType(const json& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "integer") return v.is_number_integer();
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_boolean();
    if (type == "null") return v.is_null();
    ADD_FAILURE() << "unknown type " << type;
    return false;
  }

  bool Valid(const json& schema, const json& v) {
    std::vector<std::string> saved;
    saved.swap(errors_);
    Check(schema, v, "");
    const bool ok = errors_.empty();
    errors_.swap(saved);
    return ok;
  }

  void Check(const json& schema_in, const json& v, const std::string& path) {
    static const std::set<std::string> kKnown = {"$schema",     "title",
                                                 "description", "definitions",
                                                 "$ref",        "type",
                                                 "enum",        "pattern",
                                                 "minimum",     "properties",
                                                 "required",    "items",
                                                 "anyOf",       "additionalProperties"};
    const json& schema = Resolve(schema_in);
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) errors_.push_back(path + ": not allowed");
      return;
    }
    for (const auto& [keyword, value] : schema.items()) {
      if (kKnown.count(keyword) == 0) ADD_FAILURE() << "validator lacks keyword " << keyword;
    }
    const std::string at = path.empty() ? "(top level)" : path;
    if (schema.contains("type")) {
      json types = schema["type"].is_array() ? schema["type"] : json::array({schema["type"]});
      bool any = false;
      for (const auto& t : types) any = any || HasType(v, t);
      if (!any) {
        errors_.push_back(at + ": expected type " + schema["type"].dump() + ", got " + v.dump());
        return;
      }
    }
    if (schema.contains("enum")) {
      bool found = false;
      for (const auto& e : schema["enum"]) found = found || e == v;
      if (!found)
        errors_.push_back(at + ": " + v.dump() + " is not one of " + schema["enum"].dump());
    }
    if (schema.contains("pattern") && v.is_string() &&
        !std::regex_search(v.get<std::string>(),
                           std::regex(schema["pattern"].get<std::string>()))) {
      errors_.push_back(at + ": " + v.dump() + " does not match " + schema["pattern"].dump());
    }
    if (schema.contains("minimum") && v.is_number() && v.get<double>() < schema["minimum"]) {
      errors_.push_back(at + ": below the minimum");
    }
    if (schema.contains("anyOf")) {
      bool any = false;
      for (const auto& branch : schema["anyOf"]) any = any || Valid(branch, v);
      if (!any) errors_.push_back(at + ": matches no alternative: " + v.dump());
    }
    if (v.is_object()) {
      for (const auto& r : schema.value("required", json::array())) {
        if (!v.contains(r.get<std::string>())) {
          errors_.push_back(at + ": required key " + r.get<std::string>() + " is missing");
        }
      }
      const json props = schema.value("properties", json::object());
      for (const auto& [key, value] : v.items()) {
        const std::string child = path.empty() ? key : path + "." + key;
        if (props.contains(key)) {
          Check(props[key], value, child);
        } else if (schema.contains("additionalProperties")) {
          Check(schema["additionalProperties"], value, child);
        }
      }
    }
    if (v.is_array() && schema.contains("items")) {
      for (size_t i = 0; i < v.size(); ++i) {
        Check(schema["items"], v[i], path + "[" + std::to_string(i) + "]");
      }
    }
  }

  json root_;
  std::vector<std::string> errors_;
};

// ---- The schema's objects by schema path, and the comparison with what the parser allows ----

// The alternatives of `s` (none without anyOf), as references into the schema itself.
const json& AnyOf(const json& s) {
  static const json kNone = json::array();
  return s.contains("anyOf") ? s["anyOf"] : kNone;
}

// The object schemas with `properties` that `s` may be (through $ref and anyOf).
std::vector<const json*> ObjectsOf(const Validator& v, const json& s) {
  const json& r = v.Resolve(s);
  std::vector<const json*> out;
  if (!r.is_object()) return out;
  if (r.contains("properties")) out.push_back(&r);
  for (const auto& branch : AnyOf(r)) {
    for (const json* o : ObjectsOf(v, branch)) out.push_back(o);
  }
  return out;
}

// What a child of `s` reached by `step` ("[]", "*" or a key) may be.
std::vector<const json*> Step(const Validator& v, const json& s, const std::string& step) {
  const json& r = v.Resolve(s);
  std::vector<const json*> out;
  if (!r.is_object()) return out;
  if (step == "[]" && r.contains("items")) out.push_back(&r["items"]);
  if (step == "*" && r.contains("additionalProperties") && r["additionalProperties"].is_object()) {
    out.push_back(&r["additionalProperties"]);
  }
  if (step != "[]" && step != "*" && r.contains("properties") && r["properties"].contains(step)) {
    out.push_back(&r["properties"][step]);
  }
  for (const auto& branch : AnyOf(r)) {
    for (const json* c : Step(v, branch, step)) out.push_back(c);
  }
  return out;
}

std::vector<std::string> SplitSchemaPath(const std::string& path) {
  std::vector<std::string> steps;
  std::string cur;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '.') {
      if (!cur.empty()) steps.push_back(cur);
      cur.clear();
    } else if (path.compare(i, 2, "[]") == 0) {
      if (!cur.empty()) steps.push_back(cur);
      cur.clear();
      steps.push_back("[]");
      ++i;
    } else {
      cur += path[i];
    }
  }
  if (!cur.empty()) steps.push_back(cur);
  return steps;
}

// Every object of the schema (with properties), by schema path.
void SchemaObjects(const Validator& v, const json& s, const std::string& path,
                   std::map<std::string, std::set<std::string>>* out, int depth = 0) {
  ASSERT_LT(depth, 20) << path;
  const json& r = v.Resolve(s);
  if (!r.is_object()) return;
  if (r.contains("properties")) {
    for (const auto& [key, child] : r["properties"].items()) {
      (*out)[path].insert(key);
      SchemaObjects(v, child, path.empty() ? key : path + "." + key, out, depth + 1);
    }
  }
  if (r.contains("items")) SchemaObjects(v, r["items"], path + "[]", out, depth + 1);
  if (r.contains("additionalProperties") && r["additionalProperties"].is_object()) {
    const json& ap = v.Resolve(r["additionalProperties"]);
    if (ap.contains("properties") || ap.contains("anyOf")) {
      SchemaObjects(v, ap, path + ".*", out, depth + 1);
    }
  }
  for (const auto& branch : AnyOf(r)) {
    SchemaObjects(v, branch, path, out, depth + 1);
  }
}

// The differences between the keys the parser allowed and the schema, one line each.
std::vector<std::string> Compare(const json& schema,
                                 const std::map<std::string, std::set<std::string>>& parser) {
  Validator v(schema);
  std::vector<std::string> diffs;
  for (const auto& [path, keys] : parser) {
    std::vector<const json*> at = {&schema};
    for (const std::string& step : SplitSchemaPath(path)) {
      std::vector<const json*> next;
      for (const json* s : at) {
        for (const json* c : Step(v, *s, step)) next.push_back(c);
      }
      at = next;
    }
    std::vector<const json*> objects;
    for (const json* s : at) {
      for (const json* o : ObjectsOf(v, *s)) objects.push_back(o);
    }
    const std::string where = path.empty() ? "(top level)" : path;
    if (objects.size() != 1) {
      diffs.push_back(where + ": the schema has " + std::to_string(objects.size()) +
                      " objects here, the parser reads one");
      continue;
    }
    const json& o = *objects[0];
    std::set<std::string> props;
    for (const auto& [key, value] : o["properties"].items()) props.insert(key);
    for (const auto& k : keys) {
      if (props.count(k) == 0) diffs.push_back(where + ": the parser accepts " + k);
    }
    for (const auto& k : props) {
      if (keys.count(k) == 0) diffs.push_back(where + ": the schema has " + k);
    }
    if (o.value("additionalProperties", json(true)) != json(false)) {
      diffs.push_back(where + ": the schema allows other keys; the parser rejects them");
    }
  }
  std::map<std::string, std::set<std::string>> in_schema;
  SchemaObjects(v, schema, "", &in_schema);
  for (const auto& [path, keys] : in_schema) {
    if (parser.count(path) == 0) {
      diffs.push_back((path.empty() ? "(top level)" : path) +
                      ": in the schema, never read by the parser");
    }
  }
  return diffs;
}

// ---- The configs: shipped, documented, embedded, and the every-section fixture ----

struct Sample {
  std::string name;
  std::string text;
};

bool IsExporterConfig(const YAML::Node& doc) {
  static const std::set<std::string> kSections = {
      "exporter",  "thresholds", "postgres",   "redis",  "chroma", "http", "probe",
      "container", "process",    "filesystem", "backup", "logs",   "json"};
  if (!doc.IsMap() || doc.size() == 0) return false;
  for (const auto& kv : doc) {
    if (kSections.count(kv.first.Scalar()) == 0) return false;
  }
  return true;
}

std::vector<Sample> Samples() {
  std::vector<Sample> out;
  out.push_back({"<embedded default>", EmbeddedDefaultConfig()});
  for (const char* f :
       {"deploy/debian/config.yml", "deploy/docker/config.yml", "deploy/compose/thoth-exporter.yml",
        "tests/fixtures/config/every_section.yml"}) {
    out.push_back({f, ReadFile(kSourceDir + "/" + f)});
  }
  for (const char* f :
       {"deploy/kubernetes/configmap.yaml", "deploy/kubernetes/examples/sidecar.yaml"}) {
    int n = 0;
    for (const auto& doc : YAML::LoadAll(ReadFile(kSourceDir + "/" + f))) {
      if (doc["kind"] && doc["kind"].Scalar() == "ConfigMap" && doc["data"]["config.yml"]) {
        out.push_back({std::string(f) + " config.yml", doc["data"]["config.yml"].Scalar()});
        ++n;
      }
    }
    EXPECT_GT(n, 0) << f << " has no ConfigMap with config.yml";
  }
  std::vector<std::string> docs = {kSourceDir + "/README.md"};
  for (const auto& e : std::filesystem::directory_iterator(kSourceDir + "/docs/collectors")) {
    docs.push_back(e.path().string());
  }
  std::sort(docs.begin(), docs.end());
  static const std::regex kBlock("```yaml\\n([\\s\\S]*?)```");
  int blocks = 0;
  for (const auto& path : docs) {
    const std::string text = ReadFile(path);
    for (std::sregex_iterator it(text.begin(), text.end(), kBlock), end; it != end; ++it) {
      const std::string block = (*it)[1];
      YAML::Node doc;
      try {
        doc = YAML::Load(block);
      } catch (const YAML::Exception&) {
        continue;  // not YAML on its own (a fragment of another file)
      }
      if (!IsExporterConfig(doc)) continue;  // a Prometheus config, ...
      out.push_back(
          {path.substr(kSourceDir.size() + 1) + " example " + std::to_string(++blocks), block});
    }
  }
  EXPECT_GE(blocks, 10) << "the docs' examples were not found";
  return out;
}

// The secret files a config names under /run/secrets/ (Docker, Kubernetes), made in a temp dir.
std::string WithSecrets(std::string text, const std::string& dir) {
  static const std::regex kSecret("/run/secrets/([A-Za-z0-9_.-]+)");
  for (std::sregex_iterator it(text.begin(), text.end(), kSecret), end; it != end; ++it) {
    std::ofstream(dir + "/" + (*it)[1].str()) << "not-a-real-secret\n";
  }
  return std::regex_replace(text, std::regex("/run/secrets/"), dir + "/");
}

class ConfigSchema : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/thoth-schema-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Loads `text` as the exporter does; "" when it loads.
  std::string LoadError(const std::string& text, const std::string& name) {
    LoadedConfig loaded;
    Status s = LoadConfigText(WithSecrets(text, dir_), name, CollectorSelection{}, CollectorEnv{},
                              &loaded);
    return s.ok() ? "" : s.message();
  }

  std::string dir_;
};

TEST_F(ConfigSchema, EveryShippedConfigLoadsAndValidates) {
  Validator validator(LoadSchema());
  for (const Sample& sample : Samples()) {
    SCOPED_TRACE(sample.name);
    EXPECT_EQ(LoadError(sample.text, sample.name), "");
    for (const auto& e : validator.Validate(YamlToJson(YAML::Load(sample.text)))) {
      ADD_FAILURE() << sample.name << ": schema: " << e;
    }
  }
}

TEST_F(ConfigSchema, TheSchemaHasExactlyTheKeysTheParserAccepts) {
  KeyRecorder recorder;
  for (const Sample& sample : Samples()) EXPECT_EQ(LoadError(sample.text, sample.name), "");
  // Paths the parser reads that are not the config file's (none today; guards the recorder).
  ASSERT_TRUE(recorder.keys().count("")) << "the top level was not recorded";
  ASSERT_TRUE(recorder.keys().count("postgres[].tables"));
  ASSERT_TRUE(recorder.keys().count("probe.modules.*"));
  for (const auto& diff : Compare(LoadSchema(), recorder.keys())) ADD_FAILURE() << diff;
}

TEST_F(ConfigSchema, TheComparisonFindsAKeyMissingOnEitherSide) {
  KeyRecorder recorder;
  ASSERT_EQ(LoadError(ReadFile(kSourceDir + "/tests/fixtures/config/every_section.yml"), "t"), "");
  std::map<std::string, std::set<std::string>> keys = recorder.keys();
  json schema = LoadSchema();
  ASSERT_TRUE(Compare(schema, keys).empty());

  json fewer = schema;
  fewer["properties"]["postgres"]["items"]["properties"]["tables"]["properties"].erase("ttl");
  EXPECT_THAT(Compare(fewer, keys),
              ::testing::Contains("postgres[].tables: the parser accepts ttl"));

  json more = schema;
  more["definitions"]["probe_spec"]["properties"]["retries"] = {{"type", "integer"}};
  EXPECT_THAT(Compare(more, keys), ::testing::Contains("probe.modules.*: the schema has retries"));

  json open = schema;
  open["properties"]["exporter"].erase("additionalProperties");
  EXPECT_THAT(
      Compare(open, keys),
      ::testing::Contains("exporter: the schema allows other keys; the parser rejects them"));

  json unread = schema;
  unread["properties"]["postgres"]["items"]["properties"]["tls"] = {
      {"type", "object"}, {"properties", {{"mode", {{"type", "string"}}}}}};
  const auto diffs = Compare(unread, keys);
  EXPECT_THAT(diffs, ::testing::Contains("postgres[]: the schema has tls"));
  EXPECT_THAT(diffs,
              ::testing::Contains("postgres[].tls: in the schema, never read by the parser"));
}

TEST_F(ConfigSchema, UnknownKeysFailTheParserAndTheSchemaAlike) {
  Validator validator(LoadSchema());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"exporter: {listen_adress: 0.0.0.0:9745}\n", "listen_adress"},
      {"postgres:\n  - {name: a, dsn: 'postgresql://h/db', tables: {limt: 5}}\n", "limt"},
      {"probe:\n  modules:\n    m: {timout: 2s}\n", "timout"},
      {"logs:\n  - {name: a, format: nginx, docker: {container: c, sream: stdout}}\n", "sream"},
      {"json:\n  - {name: a, url: 'http://h/', prefix: p, mappings: [{pointer: /a, name: b, "
       "lables: {x: y}}]}\n",
       "lables"},
      {"chroma: [{name: v, tenat: t}]\n", "tenat"},
      {"promtheus: {}\n", "promtheus"},
  };
  for (const auto& [yaml, key] : cases) {
    SCOPED_TRACE(yaml);
    const std::string error = LoadError(yaml, "t.yml");
    EXPECT_THAT(error, HasSubstr("t.yml:"));
    EXPECT_THAT(error, HasSubstr(key));
    EXPECT_THAT(error, HasSubstr("unknown key"));
    const auto errors = validator.Validate(YamlToJson(YAML::Load(yaml)));
    EXPECT_FALSE(errors.empty());
  }
}

TEST_F(ConfigSchema, WrongShapesFailTheSchema) {
  Validator validator(LoadSchema());
  for (const char* yaml :
       {"postgres: {name: a}\n", "exporter: {log_level: verbose}\n",
        "exporter: {scrape_timeout: 8 seconds}\n", "backup: [{name: b}]\n", "filesystem: /\n"}) {
    SCOPED_TRACE(yaml);
    EXPECT_FALSE(validator.Validate(YamlToJson(YAML::Load(yaml))).empty());
    EXPECT_NE(LoadError(yaml, "t.yml"), "");
  }
}

}  // namespace
}  // namespace thoth

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "collectors/json/config.h"
#include "exporter/config.h"
#include "tests/unit/collectors/parse_section.h"

namespace thoth::json {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<TargetConfig> Parse(const std::string& yaml) {
  return testing::ParseTargets(ParseConfig, ParseYaml(yaml, "test.yml"), "json");
}

std::string ErrorOf(const std::string& yaml) {
  try {
    Parse(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(JsonConfigTest, AbsentSectionHasNoTargets) {
  EXPECT_TRUE(Parse("exporter: {scrape_timeout: 8s}\n").empty());
  EXPECT_TRUE(Parse("json: []\n").empty());
}

TEST(JsonConfigTest, Defaults) {
  auto cfgs = Parse("json:\n  - {name: s, url: 'http://h:1/stats', prefix: svc}\n");
  ASSERT_EQ(cfgs.size(), 1u);
  const TargetConfig& c = cfgs[0];
  EXPECT_EQ(c.name, "s");
  EXPECT_EQ(c.url, "http://h:1/stats");
  EXPECT_EQ(c.prefix, "svc");
  EXPECT_EQ(c.headers, (std::vector<std::string>{"Accept: application/json"}));
  EXPECT_EQ(c.timeout_seconds, 5);
  EXPECT_EQ(c.connect_timeout_seconds, 2);
  EXPECT_EQ(c.max_series, 200u);
  EXPECT_EQ(c.max_body_bytes, 4u << 20);
  EXPECT_FALSE(c.tls_insecure);
  EXPECT_TRUE(c.mappings.empty());
  EXPECT_FALSE(c.fingerprint.empty());
}

TEST(JsonConfigTest, EverythingGiven) {
  auto cfgs = Parse(R"(
json:
  - name: stats
    url: https://h/stats
    prefix: letta
    timeout: 2s
    connect_timeout: 500ms
    headers: {X-Api-Key: abc}
    bearer_token: s3cret
    max_series: 10
    max_body_bytes: 65536
    tls_insecure: true
    ca_file: /etc/ca.pem
    mappings:
      - {pointer: /memory/total, name: entities, help: "Entities."}
      - pointer: /agents/*/memories
        name: agent_memories
        type: counter
        labels: {source: letta}
        key_labels: [index]
        labels_from: {agent: name}
)");
  ASSERT_EQ(cfgs.size(), 1u);
  const TargetConfig& c = cfgs[0];
  EXPECT_EQ(c.timeout_seconds, 2);
  EXPECT_EQ(c.connect_timeout_seconds, 0.5);
  EXPECT_EQ(c.headers, (std::vector<std::string>{"X-Api-Key: abc", "Accept: application/json",
                                                 "Authorization: Bearer s3cret"}));
  EXPECT_EQ(c.max_series, 10u);
  EXPECT_EQ(c.max_body_bytes, 65536u);
  EXPECT_TRUE(c.tls_insecure);
  EXPECT_EQ(c.ca_file, "/etc/ca.pem");
  ASSERT_EQ(c.mappings.size(), 2u);
  EXPECT_EQ(c.mappings[0].name, "letta_entities");
  EXPECT_EQ(c.mappings[0].help, "Entities.");
  EXPECT_EQ(c.mappings[0].tokens, (std::vector<std::string>{"memory", "total"}));
  EXPECT_EQ(c.mappings[0].kind, MetricKind::kGauge);
  EXPECT_EQ(c.mappings[1].name, "letta_agent_memories");
  EXPECT_EQ(c.mappings[1].kind, MetricKind::kCounter);
  EXPECT_EQ(c.mappings[1].labels, (Labels{{"source", "letta"}}));
  EXPECT_EQ(c.mappings[1].key_labels, (std::vector<std::string>{"index"}));
  EXPECT_EQ(c.mappings[1].labels_from, (Labels{{"agent", "name"}}));
}

TEST(JsonConfigTest, TokenFromAFile) {
  const std::string path = ::testing::TempDir() + "/json_token";
  {
    std::ofstream out(path);
    out << "from-file\n";
  }
  auto cfgs =
      Parse("json: [{name: s, url: 'http://h/', prefix: p, bearer_token_file: '" + path + "'}]\n");
  ASSERT_EQ(cfgs.size(), 1u);
  EXPECT_EQ(cfgs[0].headers, (std::vector<std::string>{"Accept: application/json",
                                                       "Authorization: Bearer from-file"}));
  // A configured Accept replaces the default one.
  cfgs = Parse("json: [{name: s, url: 'http://h/', prefix: p, headers: {accept: '*/*'}}]\n");
  ASSERT_EQ(cfgs.size(), 1u);
  EXPECT_EQ(cfgs[0].headers, (std::vector<std::string>{"accept: */*"}));
  std::remove(path.c_str());
}

TEST(JsonConfigTest, ErrorsNameFileLineAndKey) {
  struct Case {
    std::string yaml;
    std::string says;
  };
  const std::string t = "json:\n  - name: s\n    url: http://h/\n    prefix: p\n";
  const std::vector<Case> cases = {
      {"json:\n  - {url: 'http://h/', prefix: p}\n", "name"},
      {"json:\n  - {name: s, prefix: p}\n", "url"},
      {"json:\n  - {name: s, url: 'http://h/'}\n", "prefix"},
      {"json:\n  - {name: s, url: 'ftp://h/', prefix: p}\n", "must start with http"},
      {"json:\n  - {name: s, url: 'http://h/ x', prefix: p}\n", "spaces"},
      {"json:\n  - {name: s, url: 'http://h/', prefix: 9p}\n", "metric name"},
      {"json:\n  - {name: s, url: 'http://h/', prefix: json}\n", "collector's own"},
      {"json:\n  - {name: s, url: 'http://h/', prefix: json_x}\n", "collector's own"},
      {t + "    max_series: 0\n", "max_series"},
      {t + "    max_body_bytes: 10\n", "max_body_bytes"},
      {t + "    timeout: 0s\n", "timeout"},
      {t + "    tiemout: 1s\n", "tiemout"},
      {t + "    headers: {'Bad Name': x}\n", "header name"},
      {t + "    headers: {Authorization: x}\n    bearer_token: y\n", "not both"},
      {t + "    mappings: []\n", "lists no mapping"},
      {t + "    mappings: [{pointer: a/b, name: x}]\n", "JSON Pointer"},
      {t + "    mappings: [{pointer: /a, name: 'x-y'}]\n", "metric name"},
      {t + "    mappings: [{pointer: /a, name: x, type: summary}]\n", "gauge or counter"},
      {t + "    mappings: [{pointer: /a, name: x, labels: {target: y}}]\n", "target"},
      {t + "    mappings: [{pointer: /a, name: x, labels: {__x: y}}]\n", "label name"},
      {t + "    mappings: [{pointer: /a, name: x, key_labels: [k]}]\n", "wildcards"},
      {t + "    mappings: [{pointer: /*, name: x, key_labels: [k], labels: {k: v}}]\n", "twice"},
      {t + "    mappings: [{pointer: /a, name: x}, {pointer: /b, name: x, type: counter}]\n",
       "both a gauge and a counter"},
      {t + "  - {name: s, url: 'http://h/', prefix: q}\n", "already named s"},
  };
  for (const auto& c : cases) {
    const std::string error = ErrorOf(c.yaml);
    EXPECT_THAT(error, HasSubstr("test.yml:")) << c.yaml;
    EXPECT_THAT(error, HasSubstr(c.says)) << c.yaml;
  }
}

TEST(JsonConfigTest, SecretsAreNeverQuoted) {
  const std::string t = "json:\n  - name: s\n    url: http://h/\n    prefix: p\n";
  EXPECT_THAT(ErrorOf(t + "    headers: {X-Key: \"hunter2\\nInjected: 1\"}\n"),
              Not(HasSubstr("hunter2")));
  EXPECT_THAT(ErrorOf(t + "    bearer_token: \"hunter2\\n\"\n"), Not(HasSubstr("hunter2")));
}

TEST(JsonConfigTest, TheSameNameFromSeveralMappingsIsOneFamily) {
  auto cfgs = Parse(R"(
json:
  - name: s
    url: http://h/
    prefix: p
    mappings:
      - {pointer: /a/hits, name: hits_total, type: counter, labels: {cache: a}}
      - {pointer: /b/hits, name: hits_total, type: counter, labels: {cache: b}}
)");
  ASSERT_EQ(cfgs.size(), 1u);
  EXPECT_EQ(cfgs[0].mappings.size(), 2u);
}

TEST(JsonConfigTest, TheEmbeddedDefaultReadsTheMemoryServiceStatistics) {
  unsetenv("THOTH_LETTA_URL");
  unsetenv("LETTA_SERVER_URL");
  auto cfgs = Parse(EmbeddedDefaultConfig());
  ASSERT_EQ(cfgs.size(), 1u);
  EXPECT_EQ(cfgs[0].name, "letta-memory-stats");
  EXPECT_EQ(cfgs[0].url, "http://localhost:8283/api/memory/stats");
  EXPECT_EQ(cfgs[0].prefix, "letta_memory_stats");
  EXPECT_EQ(cfgs[0].max_series, 200u);

  setenv("LETTA_SERVER_URL", "http://letta:8283", 1);
  cfgs = Parse(EmbeddedDefaultConfig());
  ASSERT_EQ(cfgs.size(), 1u);
  EXPECT_EQ(cfgs[0].url, "http://letta:8283/api/memory/stats");
  // The same variables, in the same order, as the letta health probe.
  setenv("THOTH_LETTA_URL", "http://memory:9000", 1);
  cfgs = Parse(EmbeddedDefaultConfig());
  ASSERT_EQ(cfgs.size(), 1u);
  EXPECT_EQ(cfgs[0].url, "http://memory:9000/api/memory/stats");
  unsetenv("THOTH_LETTA_URL");
  unsetenv("LETTA_SERVER_URL");
}

}  // namespace
}  // namespace thoth::json

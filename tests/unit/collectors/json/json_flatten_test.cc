#include "collectors/json/json_flatten.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tests/test_fixtures.h"

namespace thoth::json {
namespace {

// name{labels} -> value, labels as k=v joined by ",".
std::map<std::string, double> ByKey(const Flattened& f) {
  std::map<std::string, double> out;
  for (const auto& s : f.samples) {
    std::string key = s.name;
    if (!s.labels.empty()) {
      key += "{";
      for (std::size_t i = 0; i < s.labels.size(); ++i) {
        key += (i ? "," : "") + s.labels[i].first + "=" + s.labels[i].second;
      }
      key += "}";
    }
    EXPECT_TRUE(out.emplace(key, s.value).second) << "duplicate " << key;
  }
  return out;
}

Flattened MustFlatten(const std::string& body, const FlattenOptions& options) {
  StatusOr<Flattened> f = Flatten(body, options);
  EXPECT_TRUE(f.ok()) << f.status().message();
  return f.ok() ? std::move(f).value() : Flattened{};
}

Mapping MakeMapping(const std::string& pointer, const std::string& name) {
  Mapping m;
  m.pointer = pointer;
  StatusOr<std::vector<std::string>> tokens = ParsePointer(pointer);
  EXPECT_TRUE(tokens.ok()) << tokens.status().message();
  if (tokens.ok()) m.tokens = *tokens;
  m.name = name;
  return m;
}

TEST(JsonFlattenTest, EveryNumberAndBooleanOfMemoryStatsBecomesAGauge) {
  FlattenOptions options{"letta_memory_stats", {}, 200};
  Flattened f = MustFlatten(Fixture("json/memory_stats.json"), options);
  const auto got = ByKey(f);
  const std::map<std::string, double> want = {
      {"letta_memory_stats_cache_enabled", 0},
      {"letta_memory_stats_cache_hit_ratio", 0.9872},
      {"letta_memory_stats_cache_hits", 93211},
      {"letta_memory_stats_cache_misses", 1204},
      {"letta_memory_stats_database_healthy", 1},
      {"letta_memory_stats_database_pool_idle", 38},
      {"letta_memory_stats_database_pool_in_use", 12},
      {"letta_memory_stats_database_pool_size", 50},
      {"letta_memory_stats_database_pool_waiting", 0},
      {"letta_memory_stats_database_query_ms_p95", 41.7},
      {"letta_memory_stats_errors_MEM_001", 0},
      {"letta_memory_stats_errors_MEM_004", 2},
      {"letta_memory_stats_errors_MEM_007", 17},
      {"letta_memory_stats_memory_archival_memory_bytes", 48211904},
      {"letta_memory_stats_memory_archival_memory_enabled", 1},
      {"letta_memory_stats_memory_archival_memory_passages", 9821},
      {"letta_memory_stats_memory_by_type_fact", 8120},
      {"letta_memory_stats_memory_by_type_preference", 1403},
      {"letta_memory_stats_memory_by_type_research_note", 5711},
      {"letta_memory_stats_memory_recall_memory_enabled", 1},
      {"letta_memory_stats_memory_recall_memory_messages", 5413},
      {"letta_memory_stats_memory_total_entities", 15234},
      {"letta_memory_stats_uptime_seconds", 86412.5},
      {"letta_memory_stats_vector_store_collections", 3},
      {"letta_memory_stats_vector_store_dimension", 1536},
      {"letta_memory_stats_vector_store_healthy", 1},
  };
  EXPECT_EQ(got, want);  // arrays (agents), strings and nulls are skipped
  EXPECT_EQ(f.omitted, 0u);
  EXPECT_EQ(f.unmatched_mappings, 0u);
  for (const auto& s : f.samples) {
    EXPECT_EQ(s.kind, MetricKind::kGauge);
    EXPECT_TRUE(s.labels.empty());
  }
  EXPECT_EQ(f.samples[0].help, "JSON value at /cache/enabled (json collector)");
}

TEST(JsonFlattenTest, MaxSeriesKeepsTheFirstInKeyOrderAndCountsTheRest) {
  FlattenOptions options{"m", {}, 5};
  Flattened f = MustFlatten(Fixture("json/memory_stats.json"), options);
  ASSERT_EQ(f.samples.size(), 5u);
  EXPECT_EQ(f.samples[0].name, "m_cache_enabled");
  EXPECT_EQ(f.samples[4].name, "m_database_healthy");
  EXPECT_EQ(f.omitted, 21u);

  // The choice does not depend on the order the server writes its keys in.
  Flattened a = MustFlatten(R"({"b": 2, "a": 1, "c": 3})", {"m", {}, 2});
  Flattened b = MustFlatten(R"({"c": 3, "a": 1, "b": 2})", {"m", {}, 2});
  EXPECT_EQ(ByKey(a), ByKey(b));
  EXPECT_EQ(a.omitted, 1u);
}

TEST(JsonFlattenTest, HostileValuesAndKeys) {
  Flattened f = MustFlatten(Fixture("json/hostile_values.json"), {"p", {}, 200});
  const auto got = ByKey(f);
  // No string becomes a number without a mapping; keys that sanitize alike keep the first;
  // "max" (DBL_MAX) is skipped: written with 16 digits it would exceed a double.
  const std::map<std::string, double> want = {
      {"p__", 3},
      {"p_a_b", 4},
      {"p_big_int", 18446744073709551615.0},
      {"p_neg_int", -9223372036854775807.0 - 1},
      {"p_tiny", 5e-324},
      {"p_weird_key_with_chars_and_spaces", 1},
      {"p_________", 2},  // eight bytes of UTF-8
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(f.omitted, 1u);  // "a_b" after "a.b"
  bool help_checked = false;
  for (const auto& s : f.samples) {
    if (s.name == "p_weird_key_with_chars_and_spaces") {
      EXPECT_EQ(s.help, "JSON value at /weird key~1with~0chars and spaces (json collector)");
      help_checked = true;
    }
  }
  EXPECT_TRUE(help_checked);
}

TEST(JsonFlattenTest, ValuesTheTextFormatCannotCarryAreSkipped) {
  Flattened f = MustFlatten(
      R"({"dbl_max": 1.7976931348623157e308, "neg": -1.7976931348623157e308, "ok": 1e308})",
      {"p", {}, 200});
  EXPECT_EQ(ByKey(f), (std::map<std::string, double>{{"p_ok", 1e308}}));
  FlattenOptions options{"p", {}, 200};
  options.mappings.push_back(MakeMapping("", "p_root"));
  Flattened g = MustFlatten(R"("1.7976931348623157e308")", options);
  EXPECT_TRUE(g.samples.empty());
  EXPECT_EQ(g.unmatched_mappings, 1u);
}

TEST(JsonFlattenTest, TopLevelScalarsAndEmptyContainers) {
  EXPECT_EQ(ByKey(MustFlatten("42", {"p", {}, 200})), (std::map<std::string, double>{{"p", 42}}));
  EXPECT_EQ(ByKey(MustFlatten("true", {"p", {}, 200})), (std::map<std::string, double>{{"p", 1}}));
  EXPECT_TRUE(MustFlatten(R"("ok")", {"p", {}, 200}).samples.empty());
  EXPECT_TRUE(MustFlatten("{}", {"p", {}, 200}).samples.empty());
  EXPECT_TRUE(MustFlatten("[1, 2, 3]", {"p", {}, 200}).samples.empty());
  EXPECT_TRUE(MustFlatten("null", {"p", {}, 200}).samples.empty());
}

TEST(JsonFlattenTest, LongNamesAreOmittedNotExported) {
  const std::string key(300, 'k');
  Flattened f = MustFlatten("{\"" + key + "\": 1, \"short\": 2}", {"p", {}, 200});
  EXPECT_EQ(ByKey(f), (std::map<std::string, double>{{"p_short", 2}}));
  EXPECT_EQ(f.omitted, 1u);
}

TEST(JsonFlattenTest, GarbageIsRefusedWithAReason) {
  const FlattenOptions options{"p", {}, 200};
  struct Case {
    std::string body;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"", "empty body"},
      {Fixture("json/bad_gateway.html"), "not JSON"},
      {Fixture("json/truncated.json"), "not JSON"},
      {R"({"a": NaN})", "not JSON"},
      {R"({"a": Infinity})", "not JSON"},
      {R"({"a": 1e999})", "not JSON"},  // beyond a double: the whole answer is refused
      {"{\"a\": \"\xff\xfe\"}", "not JSON"},
      {"{\"\xc3\x28\": 1}", "not JSON"},
      {R"({"a": 1} trailing)", "not JSON"},
      {std::string(100000, '['), "nested deeper than 64"},
      {std::string(50000, '{'), "nested deeper than 64"},
      {"[\"" + std::string(100, '[') + "\", 1", "not JSON"},  // brackets in a string
  };
  for (const auto& c : cases) {
    // An error carries no Flattened at all: no samples, nothing omitted.
    StatusOr<Flattened> f = Flatten(c.body, options);
    EXPECT_FALSE(f.ok()) << c.body.substr(0, 40);
    const std::string& error = f.status().message();
    EXPECT_NE(error.find(c.says), std::string::npos) << error;
    EXPECT_LE(error.size(), 400u);
    for (char ch : error) EXPECT_GE(static_cast<unsigned char>(ch), 0x20) << error;
  }
}

TEST(JsonFlattenTest, NestingUpToTheLimitIsRead) {
  std::string deep;
  for (int i = 0; i < kMaxDepth; ++i) deep += "{\"a\":";
  deep += "7";
  for (int i = 0; i < kMaxDepth; ++i) deep += "}";
  Flattened f = MustFlatten(deep, {"p", {}, 200});
  ASSERT_EQ(f.samples.size(), 1u);
  EXPECT_EQ(f.samples[0].value, 7);

  // Brackets inside strings (escaped quotes included) are not nesting.
  std::string quoted = R"({"s": "\\\")";
  for (int i = 0; i < 100; ++i) quoted += "[{";
  quoted += R"(", "n": 1})";
  EXPECT_EQ(MustFlatten(quoted, {"p", {}, 200}).samples.size(), 1u);

  StatusOr<Flattened> too = Flatten("{\"a\":" + deep + "}", {"p", {}, 200});
  EXPECT_FALSE(too.ok());
  EXPECT_NE(too.status().message().find("deeper"), std::string::npos) << too.status().message();
}

// nlohmann/json's parser callback (once used to bound depth) rescans the enclosing object at
// every object's end: 6 MB of small objects took minutes. Linear now.
TEST(JsonFlattenTest, AWideDocumentIsReadInLinearTime) {
  std::string body = "{";
  for (int i = 0; i < 100000; ++i) {
    body += (i ? ",\"k" : "\"k") + std::to_string(i) + R"(":{"a":1,"b":true,"c":"x"})";
  }
  body += "}";
  const auto start = std::chrono::steady_clock::now();
  Flattened f = MustFlatten(body, {"p", {}, 200});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(f.samples.size(), 200u);
  EXPECT_EQ(f.omitted, 199800u);
  EXPECT_LT(seconds, 5) << body.size() << " bytes";
}

TEST(JsonFlattenTest, MappingsSelectNameAndLabel) {
  FlattenOptions options;
  options.prefix = "letta";
  Mapping total = MakeMapping("/memory/total_entities", "letta_entities");
  total.labels = {{"source", "letta"}};
  total.help = "Entities held by the memory service.";
  Mapping by_type = MakeMapping("/memory/by_type/*", "letta_entities_by_type");
  by_type.key_labels = {"type"};
  Mapping agents = MakeMapping("/agents/*/memories", "letta_agent_memories");
  agents.key_labels = {"index"};
  agents.labels_from = {{"agent", "name"}, {"id", "agent_id"}, {"seen", "last_active"}};
  Mapping hits = MakeMapping("/cache/hits", "letta_cache_hits_total");
  hits.kind = MetricKind::kCounter;
  Mapping missing = MakeMapping("/memory/no_such_key", "letta_missing");
  Mapping text = MakeMapping("/status", "letta_status");  // "ok": not a number
  Mapping second = MakeMapping("/agents/1/memories", "letta_second_agent_memories");
  options.mappings = {total, by_type, agents, hits, missing, text, second};

  Flattened f = MustFlatten(Fixture("json/memory_stats.json"), options);
  const std::map<std::string, double> want = {
      {"letta_entities{source=letta}", 15234},
      {"letta_entities_by_type{type=fact}", 8120},
      {"letta_entities_by_type{type=preference}", 1403},
      {"letta_entities_by_type{type=research-note}", 5711},
      {"letta_agent_memories{index=0,agent=research,id=agent-7f3a,seen=2026-12-07T09:59:01Z}",
       10211},
      {"letta_agent_memories{index=1,agent=discovery,id=agent-19c2,seen=}", 5023},
      {"letta_cache_hits_total", 93211},
      {"letta_second_agent_memories", 5023},
  };
  EXPECT_EQ(ByKey(f), want);
  EXPECT_EQ(f.unmatched_mappings, 2u);
  EXPECT_EQ(f.omitted, 0u);
  for (const auto& s : f.samples) {
    EXPECT_EQ(s.kind,
              s.name == "letta_cache_hits_total" ? MetricKind::kCounter : MetricKind::kGauge);
    if (s.name == "letta_entities") {
      EXPECT_EQ(s.help, "Entities held by the memory service.");
    }
    if (s.name == "letta_cache_hits_total") {
      EXPECT_EQ(s.help, "JSON value at /cache/hits (json collector)");
    }
  }
}

TEST(JsonFlattenTest, MappingsReadNumericStringsStrictly) {
  FlattenOptions options;
  options.prefix = "p";
  for (const char* key :
       {"nan_string", "inf_string", "big_string", "hex", "padded", "unit", "plain", "negative"}) {
    options.mappings.push_back(MakeMapping(std::string("/") + key, std::string("p_") + key));
  }
  Flattened f = MustFlatten(Fixture("json/hostile_values.json"), options);
  EXPECT_EQ(ByKey(f), (std::map<std::string, double>{{"p_plain", 42}, {"p_negative", -0.5}}));
  EXPECT_EQ(f.unmatched_mappings, 6u);
}

TEST(JsonFlattenTest, MappingsAreBoundedAndDeduplicated) {
  FlattenOptions options;
  options.prefix = "p";
  options.max_series = 3;
  Mapping each = MakeMapping("/*", "p_value");
  each.key_labels = {"key"};
  Mapping same = MakeMapping("/*", "p_same");  // no label tells the matches apart
  options.mappings = {each, same};
  Flattened f = MustFlatten(R"({"a": 1, "b": 2, "c": 3, "d": 4})", options);
  EXPECT_EQ(ByKey(f), (std::map<std::string, double>{
                          {"p_value{key=a}", 1}, {"p_value{key=b}", 2}, {"p_value{key=c}", 3}}));
  EXPECT_EQ(f.omitted, 5u);  // p_value{key=d} and four p_same

  options.max_series = 200;
  Flattened g = MustFlatten(R"({"a": 1, "b": 2})", options);
  EXPECT_EQ(g.samples.size(), 3u);  // p_same once, the second a duplicate
  EXPECT_EQ(g.omitted, 1u);
}

TEST(JsonFlattenTest, LabelValuesAreCutOnACharacterBoundary) {
  FlattenOptions options;
  options.prefix = "p";
  Mapping m = MakeMapping("/*/v", "p_v");
  m.labels_from = {{"name", "name"}};
  options.mappings = {m};
  std::string name;
  for (int i = 0; i < 100; ++i) name += "\xc3\xa9";  // é: 200 bytes
  Flattened f = MustFlatten(R"({"x": {"v": 1, "name": ")" + name + R"("}})", options);
  ASSERT_EQ(f.samples.size(), 1u);
  ASSERT_EQ(f.samples[0].labels.size(), 1u);
  EXPECT_EQ(f.samples[0].labels[0].second, name.substr(0, kMaxLabelValueLength));
}

TEST(JsonFlattenTest, ArrayIndexesInPointers) {
  FlattenOptions options;
  options.prefix = "p";
  options.mappings = {MakeMapping("/a/0", "p_first"), MakeMapping("/a/01", "p_leading_zero"),
                      MakeMapping("/a/9", "p_out_of_range"), MakeMapping("/a/-", "p_dash"),
                      MakeMapping("", "p_root")};
  Flattened f = MustFlatten(R"({"a": [5, 6]})", options);
  EXPECT_EQ(ByKey(f), (std::map<std::string, double>{{"p_first", 5}}));
  EXPECT_EQ(f.unmatched_mappings, 4u);
}

TEST(JsonFlattenTest, Pointers) {
  StatusOr<std::vector<std::string>> tokens = ParsePointer("");
  ASSERT_TRUE(tokens.ok());
  EXPECT_TRUE(tokens->empty());
  tokens = ParsePointer("/a~1b/c~0d//*");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(*tokens, (std::vector<std::string>{"a/b", "c~d", "", "*"}));
  EXPECT_FALSE(ParsePointer("a/b").ok());
  EXPECT_FALSE(ParsePointer("/a~2").ok());
  EXPECT_FALSE(ParsePointer("/a~").ok());
  std::string many;
  for (int i = 0; i < 33; ++i) many += "/x";
  tokens = ParsePointer(many);
  EXPECT_FALSE(tokens.ok());
  EXPECT_NE(tokens.status().message().find("32"), std::string::npos);
}

TEST(JsonFlattenTest, Names) {
  EXPECT_EQ(SanitizeNamePart("MEM-004"), "MEM_004");
  EXPECT_EQ(SanitizeNamePart(""), "_");
  EXPECT_EQ(SanitizeNamePart("a:b"), "a_b");
  EXPECT_TRUE(IsMetricName("letta_memory_stats"));
  EXPECT_FALSE(IsMetricName("9lives"));
  EXPECT_FALSE(IsMetricName("a:b"));
  EXPECT_FALSE(IsMetricName(""));
  EXPECT_TRUE(IsLabelName("agent"));
  EXPECT_FALSE(IsLabelName("__name__"));
  EXPECT_FALSE(IsLabelName("a-b"));
}

}  // namespace
}  // namespace thoth::json

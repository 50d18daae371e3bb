#include "exporter/registry.h"

#include <set>

#include "exporter/config_reader.h"
#include "gtest/gtest.h"

namespace thoth {
namespace {

TEST(Registry, EveryKindOnceInOutputOrder) {
  std::vector<std::string> names;
  for (const auto& kind : CollectorKinds()) names.push_back(kind.name);
  // The order of the list is the order of the output (and of the --help text).
  EXPECT_EQ(names, (std::vector<std::string>{"postgres", "redis", "chroma", "http", "container",
                                             "process", "filesystem", "backup", "logs", "json"}));
}

TEST(Registry, EachSectionHasOneOwnerAndEveryKindAFactory) {
  std::set<std::string> sections;
  for (const auto& kind : CollectorKinds()) {
    EXPECT_TRUE(kind.make) << kind.name;
    EXPECT_FALSE(kind.help.empty()) << kind.name;
    ASSERT_FALSE(kind.sections.empty()) << kind.name;
    for (const auto& s : kind.sections) {
      EXPECT_TRUE(sections.insert(s).second) << s << " owned twice";
    }
    // Only the http kind answers ad-hoc /probe?target=URL.
    EXPECT_EQ(static_cast<bool>(kind.make_prober), kind.name == "http") << kind.name;
  }
  EXPECT_TRUE(sections.count("probe"));
}

// A file that leaves a section out gets no target of that kind, except the host's own: the
// filesystem of `/` (SPEC §4) and the exporter's own container.
TEST(Registry, AKindWithoutItsSectionMakesOnlyTheHostDefaults) {
  const ConfigNode root = ParseYaml("exporter: {scrape_timeout: 8s}\n", "c.yml");
  CollectorEnv env;
  for (const auto& kind : CollectorKinds()) {
    const bool host = kind.name == "filesystem" || kind.name == "container";
    EXPECT_EQ(kind.make(root, env).size(), host ? 1u : 0u) << kind.name;
  }
}

TEST(Registry, FactoriesMakeCollectorsOfTheirKind) {
  const ConfigNode root = ParseYaml(
      "postgres: [{name: db, dsn: \"postgresql://u@127.0.0.1:1/d\"}]\n"
      "redis: [{name: cache, address: \"redis://127.0.0.1:1\"}]\n"
      "chroma: [{name: vectors, url: \"http://127.0.0.1:1\"}]\n"
      "http: [{service: api, url: \"http://127.0.0.1:1/health\"}]\n"
      "backup: [{name: b, glob: /nonexistent/*.dump}]\n"
      "logs: [{name: l, path: /nonexistent/*.log, format: error_codes}]\n"
      "json: [{name: j, url: \"http://127.0.0.1:1/\", prefix: j}]\n"
      "container: {self: true}\n"
      "process: [{name: p, cmdline: x}]\n"
      "filesystem: [/]\n",
      "c.yml");
  CollectorEnv env;
  for (const auto& kind : CollectorKinds()) {
    auto made = kind.make(root, env);
    ASSERT_EQ(made.size(), 1u) << kind.name;
    EXPECT_EQ(made[0]->Kind(), kind.name);
    EXPECT_FALSE(made[0]->Fingerprint().empty()) << kind.name;
  }
}

}  // namespace
}  // namespace thoth

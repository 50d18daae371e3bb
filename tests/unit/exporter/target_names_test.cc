// The one check of target names (exporter/registry.cc CheckTargetNames), for every kind whose
// section is a list of named targets: the second of two items with one name is an error at its
// own FILE:LINE:COL and key, naming where the first is.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exporter/config.h"
#include "exporter/registry.h"

namespace thoth {
namespace {

using ::testing::HasSubstr;

std::string LoadError(const std::string& yaml) {
  LoadedConfig loaded;
  Status s = LoadConfigText(yaml, "t.yml", CollectorSelection{}, CollectorEnv{}, &loaded);
  return s.ok() ? "" : s.message();
}

struct Case {
  std::string yaml;  // two targets named "a", the second on line 3 at column 12
  std::string key;   // "kind[1].key"
};

TEST(TargetNames, ARepeatedNameIsAnErrorAtTheSecondNamingTheFirst) {
  const std::vector<Case> cases = {
      {"postgres:\n  - {name: a, dsn: 'postgresql://h/x'}\n  - {name: a, dsn: "
       "'postgresql://h/y'}\n",
       "postgres[1].name"},
      {"redis:\n  - {name: a, address: 'redis://h:1'}\n  - {name: a, address: 'redis://h:2'}\n",
       "redis[1].name"},
      {"chroma:\n  - {name: a, url: 'http://h:1'}\n  - {name: a, url: 'http://h:2'}\n",
       "chroma[1].name"},
      {"http:\n  - {service: a, url: 'http://h/1'}\n  - {service: a, url: 'http://h/2'}\n",
       "http[1].service"},
      {"process:\n  - {name: a, cmdline: x}\n  - {name: a, cmdline: y}\n", "process[1].name"},
      {"backup:\n  - {name: a, glob: /x}\n  - {name: a, glob: /y}\n", "backup[1].name"},
      {"logs:\n  - {name: a, path: /x, format: nginx}\n  - {name: a, path: /y, format: nginx}\n",
       "logs[1].name"},
      {"json:\n  - {name: a, url: 'http://h/', prefix: p}\n  - {name: a, url: 'http://h/', prefix: "
       "q}\n",
       "json[1].name"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    const std::string error = LoadError(c.yaml);
    EXPECT_THAT(error, HasSubstr("t.yml:3:"));
    EXPECT_THAT(error, HasSubstr(c.key + ": another target has this name"));
    EXPECT_THAT(error, HasSubstr("[0]."));
    EXPECT_THAT(error, HasSubstr("t.yml:2:"));
    EXPECT_THAT(error, HasSubstr("is already named a"));
  }
}

TEST(TargetNames, ADefaultNameCountsAsAName) {
  // A Redis target without a name is named by its address.
  const std::string error =
      LoadError("redis:\n  - {address: 'redis://h:1'}\n  - {address: 'redis://h:1'}\n");
  EXPECT_THAT(error, HasSubstr("t.yml:3:5: redis[1].name: another target has this name"));
  EXPECT_THAT(error, HasSubstr("already named redis://h:1"));
  EXPECT_EQ(LoadError("redis:\n  - {address: 'redis://h:1'}\n  - {address: 'redis://h:2'}\n"), "");
}

TEST(TargetNames, DisabledKindsAreCheckedAndOtherKindsMayShareNames) {
  LoadedConfig loaded;
  CollectorSelection off;
  off.overrides["backup"] = false;
  Status s = LoadConfigText("backup:\n  - {name: a, glob: /x}\n  - {name: a, glob: /y}\n", "t.yml",
                            off, CollectorEnv{}, &loaded);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(LoadError("backup: [{name: a, glob: /x}]\nprocess: [{name: a, cmdline: x}]\n"
                      "logs: [{name: a, path: /x, format: nginx}]\n"),
            "");
}

TEST(TargetNames, CheckTargetNamesPointsAtTheSecond) {
  ConfigNode root = ParseYaml("x:\n  - {n: a}\n  - {n: b}\n  - {n: a}\n", "f.yml");
  try {
    CheckTargetNames(root.Child("x"), "n", {"a", "b", "a"});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()),
                HasSubstr("f.yml:4:9: x[2].n: another target has this name: x[0].n at f.yml:2:9"));
  }
  EXPECT_NO_THROW(CheckTargetNames(root.Child("x"), "n", {"a", "b", "c"}));
}

}  // namespace
}  // namespace thoth

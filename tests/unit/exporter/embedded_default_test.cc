// The embedded default against the stack's operations manuals: the documented services on their
// documented health paths, from the stack's own variables; the memory service's pool; the
// thresholds --once and the alerts share.

#include <cstdlib>
#include <set>

#include "collectors/postgres/config.h"
#include "exporter/config.h"
#include "exporter/config_reader.h"
#include "gtest/gtest.h"

namespace thoth {
namespace {

const char* const kStackVariables[] = {"THOTH_API_URL",   "THOTH_LETTA_URL",  "LETTA_SERVER_URL",
                                       "GATEWAY_PORT",    "AUTH_SERVICE_URL", "AGENT_SERVICE_URL",
                                       "RAG_SERVICE_URL", "LETTA_POOL_SIZE",  "THOTH_CHROMADB_URL",
                                       "DATA_SOURCE_NAME"};

class EmbeddedDefault : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : kStackVariables) unsetenv(v);
  }
  void TearDown() override {
    for (const char* v : kStackVariables) unsetenv(v);
  }

  // service -> {url, layout}, as the embedded default gives them now.
  static std::map<std::string, std::pair<std::string, std::string>> HttpTargets() {
    ConfigNode root = ParseYaml(EmbeddedDefaultConfig(), "<embedded default>");
    std::map<std::string, std::pair<std::string, std::string>> out;
    for (const auto& item : root.Child("http").Items()) {
      out[item.RequiredString("service")] = {item.RequiredString("url"), item.String("layout", "")};
    }
    return out;
  }
};

TEST_F(EmbeddedDefault, EveryDocumentedServiceOnItsHealthPath) {
  auto t = HttpTargets();
  const std::map<std::string, std::pair<std::string, std::string>> want = {
      {"thoth-api", {"http://localhost:8000/health", "v0.1"}},
      {"mcp-server", {"http://localhost:8001/health", "v0.1"}},
      {"discovery", {"http://localhost:8004/health", "v0.1"}},
      {"research-agent", {"http://localhost:8005/health", "v0.1"}},
      {"letta", {"http://localhost:8283/health", ""}},  // beside either layout
      {"gateway", {"http://localhost:5000/health", "v0.2"}},
      {"auth-service", {"http://localhost:5001/health", "v0.2"}},
      {"agent-service", {"http://localhost:5002/health", "v0.2"}},
      {"rag-service", {"http://localhost:5003/health", "v0.2"}},
      {"nginx", {"http://localhost:80/health", ""}},
      {"prometheus", {"http://localhost:9090/-/healthy", ""}},
  };
  EXPECT_EQ(t, want);
  // ChromaDB's health is the chroma collector's (v1 or v2): no fixed heartbeat probe.
  for (const auto& [service, target] : t) {
    EXPECT_EQ(target.first.find("heartbeat"), std::string::npos) << service;
  }
  LoadedConfig loaded;
  ASSERT_TRUE(LoadConfig("", CollectorSelection{}, CollectorEnv{}, &loaded).ok());
  std::set<std::string> http;
  for (const auto& c : loaded.collectors) {
    if (c->Kind() == "http") http.insert(c->Target());
  }
  EXPECT_EQ(http.size(), want.size());
}

TEST_F(EmbeddedDefault, HostsComeFromTheStacksVariables) {
  setenv("LETTA_SERVER_URL", "http://memory-host:8283", 1);
  setenv("THOTH_API_URL", "http://api-host:8000", 1);
  setenv("AUTH_SERVICE_URL", "http://auth-service:5001", 1);
  setenv("GATEWAY_PORT", "6000", 1);
  auto t = HttpTargets();
  EXPECT_EQ(t["letta"].first, "http://memory-host:8283/health");
  EXPECT_EQ(t["thoth-api"].first, "http://api-host:8000/health");
  EXPECT_EQ(t["auth-service"].first, "http://auth-service:5001/health");
  EXPECT_EQ(t["gateway"].first, "http://localhost:6000/health");
  // THOTH_LETTA_URL wins over LETTA_SERVER_URL.
  setenv("THOTH_LETTA_URL", "http://letta:9999", 1);
  EXPECT_EQ(HttpTargets()["letta"].first, "http://letta:9999/health");
}

TEST_F(EmbeddedDefault, PoolIsTheMemoryServicesPool) {
  ConfigNode root = ParseYaml(EmbeddedDefaultConfig(), "<embedded default>");
  auto targets = postgres::ParseSection(root);
  ASSERT_EQ(targets.size(), 1u);
  ASSERT_TRUE(targets[0].pool_size);
  EXPECT_EQ(*targets[0].pool_size, 50);
  setenv("LETTA_POOL_SIZE", "20", 1);
  targets = postgres::ParseSection(root);
  EXPECT_EQ(*targets[0].pool_size, 20);
}

TEST_F(EmbeddedDefault, DiskThresholdsAreTheAlertsAndLowerIsWorse) {
  LoadedConfig c;
  ASSERT_TRUE(LoadConfig("", CollectorSelection{}, CollectorEnv{}, &c).ok());
  EXPECT_DOUBLE_EQ(c.thresholds.disk_free_ratio.warning, 0.10);
  EXPECT_DOUBLE_EQ(c.thresholds.disk_free_ratio.critical, 0.05);
  EXPECT_DOUBLE_EQ(c.thresholds.memory_usage_ratio.warning, 0.70);
  EXPECT_DOUBLE_EQ(c.thresholds.memory_usage_ratio.critical, 0.90);
  LoadedConfig o;
  Status s = LoadConfigText("thresholds:\n  disk_free_ratio: {warning: 0.2, critical: 0.1}\n",
                            "c.yml", CollectorSelection{}, CollectorEnv{}, &o);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_DOUBLE_EQ(o.thresholds.disk_free_ratio.warning, 0.2);
  s = LoadConfigText("thresholds:\n  disk_free_ratio: {warning: 0.05, critical: 0.1}\n", "c.yml",
                     CollectorSelection{}, CollectorEnv{}, &o);
  EXPECT_NE(s.message().find("c.yml:2:"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("disk_free_ratio"), std::string::npos) << s.message();
  s = LoadConfigText("thresholds:\n  disk_free_ratio: {warning: 5, critical: 1}\n", "c.yml",
                     CollectorSelection{}, CollectorEnv{}, &o);
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace thoth

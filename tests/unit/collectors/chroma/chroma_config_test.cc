#include "collectors/chroma/chroma_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "collectors/chroma/chroma_collector.h"

namespace thoth::chroma {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<TargetConfig> Parse(const std::string& yaml) {
  return ParseConfig(ParseYaml(yaml, "test.yml"));
}

std::string ErrorOf(const std::string& yaml) {
  try {
    Parse(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ChromaConfigTest, AbsentSectionHasNoTargets) {
  EXPECT_TRUE(Parse("exporter: {scrape_timeout: 8s}\n").empty());
  EXPECT_TRUE(Parse("chroma: []\n").empty());
}

TEST(ChromaConfigTest, Defaults) {
  auto cfgs = Parse("chroma:\n  - {name: vectors}\n");
  ASSERT_EQ(cfgs.size(), 1u);
  const TargetConfig& c = cfgs[0];
  EXPECT_EQ(c.name, "vectors");
  EXPECT_EQ(c.url, "http://localhost:8003");
  EXPECT_FALSE(c.token);
  EXPECT_EQ(c.expected_dimension, 0);
  ASSERT_EQ(c.databases.size(), 1u);
  EXPECT_EQ(c.databases[0].tenant, "default_tenant");
  EXPECT_EQ(c.databases[0].database, "default_database");
  EXPECT_EQ(c.api, ApiChoice::kAuto);
  EXPECT_EQ(c.connect_timeout_seconds, 2);
  EXPECT_EQ(c.timeout_seconds, 5);
  EXPECT_EQ(c.cache_ttl_seconds, 60);
  EXPECT_EQ(c.parallelism, 4);
  EXPECT_EQ(c.page_size, 1000);
  EXPECT_FALSE(c.insecure_skip_verify);
  EXPECT_FALSE(c.fingerprint.empty());
}

TEST(ChromaConfigTest, EverythingGiven) {
  auto cfgs = Parse(R"(
chroma:
  - name: vectors
    url: https://chroma.example:8443/
    token: s3cret
    expected_dimension: 1536
    tenant: acme
    databases: [main, "other_tenant/archive"]
    api: v1
    connect_timeout: 500ms
    timeout: 3s
    cache_ttl: 5m
    parallelism: 8
    page_size: 250
    ca_file: /etc/ssl/chroma-ca.pem
    insecure_skip_verify: true
)");
  ASSERT_EQ(cfgs.size(), 1u);
  const TargetConfig& c = cfgs[0];
  EXPECT_EQ(c.url, "https://chroma.example:8443");
  EXPECT_EQ(c.token, "s3cret");
  EXPECT_EQ(c.expected_dimension, 1536);
  ASSERT_EQ(c.databases.size(), 2u);
  EXPECT_EQ(c.databases[0].Key(), "acme/main");
  EXPECT_EQ(c.databases[1].Key(), "other_tenant/archive");
  EXPECT_EQ(c.api, ApiChoice::kV1);
  EXPECT_DOUBLE_EQ(c.connect_timeout_seconds, 0.5);
  EXPECT_EQ(c.timeout_seconds, 3);
  EXPECT_EQ(c.cache_ttl_seconds, 300);
  EXPECT_EQ(c.parallelism, 8);
  EXPECT_EQ(c.page_size, 250);
  EXPECT_EQ(c.ca_file, "/etc/ssl/chroma-ca.pem");
  EXPECT_TRUE(c.insecure_skip_verify);
}

TEST(ChromaConfigTest, TokenFromFileAndFingerprintFollowsIt) {
  const std::string path = ::testing::TempDir() + "/chroma_token";
  std::ofstream(path) << "tok-1\n";
  const std::string yaml = "chroma:\n  - {name: v, token_file: " + path + "}\n";
  auto first = Parse(yaml);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].token, "tok-1");
  std::ofstream(path) << "tok-2\n";
  auto second = Parse(yaml);
  EXPECT_EQ(second[0].token, "tok-2");
  EXPECT_NE(first[0].fingerprint, second[0].fingerprint);
  std::remove(path.c_str());
}

TEST(ChromaConfigTest, ErrorsNameTheKey) {
  EXPECT_THAT(ErrorOf("chroma:\n  - {url: http://x}\n"), HasSubstr("name"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, urll: http://x}\n"), HasSubstr("urll"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, url: ftp://x}\n"),
              HasSubstr("must start with http:// or https://"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, url: \"http://x y\"}\n"), HasSubstr("url"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, api: v3}\n"), HasSubstr("auto, v1 or v2"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, parallelism: 0}\n"), HasSubstr("parallelism"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, parallelism: 33}\n"), HasSubstr("parallelism"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, page_size: 0}\n"), HasSubstr("page_size"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, expected_dimension: -1}\n"),
              HasSubstr("expected_dimension"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, timeout: 0s}\n"), HasSubstr("timeout"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, cache_ttl: soon}\n"), HasSubstr("cache_ttl"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, database: a, databases: [b]}\n"),
              HasSubstr("not both"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, databases: []}\n"), HasSubstr("no database"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, databases: [a, a]}\n"), HasSubstr("twice"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, databases: [\"t/\"]}\n"), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v}\n  - {name: v}\n"), HasSubstr("already named v"));
  EXPECT_THAT(ErrorOf("chroma: {name: v}\n"), HasSubstr("list"));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, url: http://x}\n"), HasSubstr("(no error)"));
}

TEST(ChromaConfigTest, TokenProblemsNeverQuoteTheToken) {
  const std::string e1 = ErrorOf("chroma:\n  - {name: v, token: \"abc\\ndef-SECRET\"}\n");
  EXPECT_THAT(e1, HasSubstr("control character"));
  EXPECT_THAT(e1, Not(HasSubstr("SECRET")));
  const std::string e2 = ErrorOf("chroma:\n  - {name: v, token: SECRET, token_file: /x}\n");
  EXPECT_THAT(e2, HasSubstr("not both"));
  EXPECT_THAT(e2, Not(HasSubstr("SECRET")));
  EXPECT_THAT(ErrorOf("chroma:\n  - {name: v, token: \"\"}\n"), HasSubstr("empty"));
}

TEST(ChromaConfigTest, MakeCollectorsBuildsOnePerTargetWithoutSideEffects) {
  auto collectors = MakeCollectors(
      ParseYaml("chroma:\n  - {name: a, url: http://127.0.0.1:1}\n  - {name: b}\n", "t.yml"),
      CollectorEnv{});
  ASSERT_EQ(collectors.size(), 2u);
  EXPECT_EQ(collectors[0]->Kind(), "chroma");
  EXPECT_EQ(collectors[0]->Target(), "a");
  EXPECT_EQ(collectors[0]->TargetLabel(), "a");
  EXPECT_EQ(collectors[1]->Target(), "b");
  EXPECT_NE(collectors[0]->Fingerprint(), collectors[1]->Fingerprint());
}

}  // namespace
}  // namespace thoth::chroma

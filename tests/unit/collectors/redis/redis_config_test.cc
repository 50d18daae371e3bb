#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "collectors/redis/config.h"
#include "collectors/redis/redis_collector.h"
#include "exporter/registry.h"

namespace thoth::redis {
namespace {

ParsedAddress Parse(const std::string& text) {
  StatusOr<ParsedAddress> a = ParseAddress(text);
  EXPECT_TRUE(a.ok()) << text << ": " << a.status().message();
  return a.ok() ? *a : ParsedAddress{};
}

std::string ParseError(const std::string& text) {
  StatusOr<ParsedAddress> a = ParseAddress(text);
  EXPECT_FALSE(a.ok()) << text;
  return a.status().message();
}

TEST(RedisAddress, Forms) {
  auto a = Parse("redis://localhost:6380");
  EXPECT_EQ(a.endpoint.host, "localhost");
  EXPECT_EQ(a.endpoint.port, 6380);
  EXPECT_FALSE(a.user);
  EXPECT_FALSE(a.password);

  a = Parse("10.0.0.5:7000");
  EXPECT_EQ(a.endpoint.host, "10.0.0.5");
  EXPECT_EQ(a.endpoint.port, 7000);

  a = Parse("cache");
  EXPECT_EQ(a.endpoint.host, "cache");
  EXPECT_EQ(a.endpoint.port, 6379);

  a = Parse("redis://[::1]:6390/2");
  EXPECT_EQ(a.endpoint.host, "::1");
  EXPECT_EQ(a.endpoint.port, 6390);
  EXPECT_EQ(a.endpoint.Display(), "redis://[::1]:6390");

  a = Parse("redis://exporter:s%40cret%3A@host:1/0");
  EXPECT_EQ(a.user, "exporter");
  EXPECT_EQ(a.password, "s@cret:");
  EXPECT_EQ(a.endpoint.host, "host");
  EXPECT_EQ(a.endpoint.Display(), "redis://host:1");

  a = Parse("redis://:onlypass@host");
  EXPECT_FALSE(a.user);
  EXPECT_EQ(a.password, "onlypass");

  a = Parse("unix:///run/redis/redis.sock");
  EXPECT_TRUE(a.endpoint.unix_socket);
  EXPECT_EQ(a.endpoint.path, "/run/redis/redis.sock");
  EXPECT_EQ(a.endpoint.Display(), "unix:///run/redis/redis.sock");
}

TEST(RedisAddress, TlsIsAClearError) {
  const std::string e = ParseError("rediss://user:topsecret@cache:6380");
  EXPECT_NE(e.find("TLS"), std::string::npos) << e;
  EXPECT_NE(e.find("hiredis 0.14"), std::string::npos) << e;
  EXPECT_EQ(e.find("topsecret"), std::string::npos) << e;
}

TEST(RedisAddress, BadFormsNeverEchoTheAddress) {
  for (const std::string bad :
       {"", "http://host", "redis://:pw-one@", "redis://u:pw-two@host:0",
        "redis://u:pw-three@host:99999", "redis://u:pw-four@host/x", "::1:6379",
        "redis://u:pw%zz@host", "unix://relative", "redis://[::1", "host:"}) {
    const std::string e = ParseError(bad);
    EXPECT_FALSE(e.empty()) << bad;
    EXPECT_EQ(e.find("pw"), std::string::npos) << bad << " -> " << e;
  }
}

TEST(RedisCountKeys, Specs) {
  StatusOr<CountKeysSpec> s = ParseCountKeys("db0=ratelimit:*");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->db, 0);
  EXPECT_EQ(s->pattern, "ratelimit:*");
  EXPECT_EQ(s->DbLabel(), "db0");
  s = ParseCountKeys("db12=a=b*");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->db, 12);
  EXPECT_EQ(s->pattern, "a=b*");
  s = ParseCountKeys("session:*");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->db, 0);
  EXPECT_FALSE(ParseCountKeys("db0=").ok());
  EXPECT_FALSE(ParseCountKeys("dbx=foo").ok());
  EXPECT_FALSE(ParseCountKeys("").ok());
}

std::vector<std::shared_ptr<Collector>> Make(const std::string& yaml) {
  return BuildCollectors("redis", ParseYaml(yaml, "test.yml"), CollectorEnv{});
}

std::string ConfigErrorOf(const std::string& yaml) {
  try {
    Make(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for " << yaml;
  return "";
}

TEST(RedisTargetConfig, Defaults) {
  const auto c = ParseTargetConfig(ParseYaml("{name: cache}", "t.yml"));
  EXPECT_EQ(c.endpoint.host, "localhost");
  EXPECT_EQ(c.endpoint.port, 6379);
  EXPECT_EQ(c.connect_timeout, 2);
  EXPECT_EQ(c.command_timeout, 5);
  EXPECT_EQ(c.count_keys_timeout, 2);
  EXPECT_EQ(c.count_keys_batch, 1000);
  EXPECT_EQ(c.config_command, "CONFIG");
  EXPECT_FALSE(c.password);
}

TEST(RedisTargetConfig, FullTargetWithPasswordFile) {
  char path[] = "/tmp/redis-pw-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "hunter2\n", 8), 8);
  close(fd);
  const auto c = ParseTargetConfig(
      ParseYaml(std::string("{name: cache, address: 'redis://127.0.0.1:7001', username: exporter, "
                            "password_file: ") +
                    path +
                    ", count_keys: ['db0=ratelimit:*', 'db1=session:*'], connect_timeout: 500ms, "
                    "command_timeout: 1s, count_keys_timeout: 3s, count_keys_batch: 500, "
                    "config_command: ''}",
                "t.yml"));
  unlink(path);
  EXPECT_EQ(c.password, "hunter2");
  EXPECT_EQ(c.username, "exporter");
  ASSERT_EQ(c.count_keys.size(), 2u);
  EXPECT_EQ(c.count_keys[1].db, 1);
  EXPECT_EQ(c.connect_timeout, 0.5);
  EXPECT_EQ(c.count_keys_batch, 500);
  EXPECT_EQ(c.config_command, "");
}

TEST(RedisTargetConfig, EmptyPasswordIsNone) {
  // The embedded default passes "${REDIS_PASSWORD:-}": unset on a stack without a password.
  unsetenv("THOTH_TEST_REDIS_PASSWORD");
  auto c = ParseTargetConfig(
      ParseYaml("{name: cache, password: '${THOTH_TEST_REDIS_PASSWORD:-}'}", "t.yml"));
  EXPECT_FALSE(c.password);
  setenv("THOTH_TEST_REDIS_PASSWORD", "s3cret", 1);
  c = ParseTargetConfig(
      ParseYaml("{name: cache, password: '${THOTH_TEST_REDIS_PASSWORD:-}'}", "t.yml"));
  EXPECT_EQ(c.password, "s3cret");
  // The same password in the URL and the key is no conflict.
  c = ParseTargetConfig(ParseYaml(
      "{name: cache, address: 'redis://:s3cret@h', password: '${THOTH_TEST_REDIS_PASSWORD}'}",
      "t.yml"));
  EXPECT_EQ(c.password, "s3cret");
  unsetenv("THOTH_TEST_REDIS_PASSWORD");
}

TEST(RedisTargetConfig, Errors) {
  EXPECT_NE(ConfigErrorOf("redis: [{name: a, adress: x}]").find("adress"), std::string::npos);
  EXPECT_NE(ConfigErrorOf("redis: [{name: a}, {name: a, address: 'h:1'}]").find("name"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("redis: [{name: a, username: u}]").find("password"), std::string::npos);
  const std::string both =
      ConfigErrorOf("redis: [{name: a, address: 'redis://:urlpw@h', password: inlinepw}]");
  EXPECT_EQ(both.find("urlpw"), std::string::npos) << both;
  EXPECT_EQ(both.find("inlinepw"), std::string::npos) << both;
  const std::string tls = ConfigErrorOf("redis: [{name: a, address: 'rediss://:tlspw@h:6380'}]");
  EXPECT_NE(tls.find("test.yml:1:"), std::string::npos) << tls;
  EXPECT_NE(tls.find("TLS"), std::string::npos) << tls;
  EXPECT_EQ(tls.find("tlspw"), std::string::npos) << tls;
  EXPECT_NE(ConfigErrorOf("redis: [{name: a, count_keys: ['db0=']}]").find("count_keys"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("redis: [{name: a, count_keys_batch: 0}]").find("count_keys_batch"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf("redis: [{name: a, command_timeout: 0s}]").find("command_timeout"),
            std::string::npos);
}

TEST(RedisTargetConfig, FactoryMakesOneCollectorPerTarget) {
  auto cs = Make("redis: [{name: a, address: 'h:1'}, {name: b, address: 'h:2'}]");
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0]->Kind(), "redis");
  EXPECT_EQ(cs[0]->Target(), "a");
  EXPECT_EQ(cs[0]->TargetLabel(), "a");
  EXPECT_NE(cs[0]->Fingerprint(), cs[1]->Fingerprint());
  EXPECT_TRUE(Make("postgres: []").empty());
  // A changed password changes the fingerprint (so a reload reconnects).
  auto p1 = Make("redis: [{name: a, password: one}]");
  auto p2 = Make("redis: [{name: a, password: two}]");
  EXPECT_NE(p1[0]->Fingerprint(), p2[0]->Fingerprint());
}

}  // namespace
}  // namespace thoth::redis

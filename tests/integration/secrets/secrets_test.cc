// Distinctive secrets (PostgreSQL and Redis passwords, a Chroma token, a basic-auth password)
// are configured, every path of the exporter is driven including its failures (wrong
// passwords, servers down, bad configs, bad reloads, --once in every format, --check-config,
// debug and JSON logs, every endpoint), and every byte it printed or served is searched for
// them. A secret must never leave the process.
#include <crypt.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/harness/redis_server.h"

namespace thoth::testing {
namespace {

// Each secret is distinctive enough never to appear by accident. Pieces of them are searched
// too (a message that cuts a secret is still a leak).
const std::string kRedisPassword = "RedisSecretQz7w1";
const std::string kRedisWrongPassword = "RedisWrongXk4p9";
const std::string kRedisUrlPassword = "RedisUrlSecretMv3b";
const std::string kPostgresPassword = "PgSecretHn6d2";
const std::string kPostgresDsnPassword = "PgDsnSecretTj8c";
const std::string kChromaToken = "ChromaTokenWs5f3";
const std::string kBasicPassword = "BasicSecretLr2y8";
const std::string kBasicWrongPassword = "BasicWrongPa9e4";
const std::vector<std::string> kSecrets = {
    kRedisPassword,       kRedisWrongPassword, kRedisUrlPassword, kPostgresPassword,
    kPostgresDsnPassword, kChromaToken,        kBasicPassword,    kBasicWrongPassword};

std::string Base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (unsigned char c : in) {
    v = (v << 8) | c;
    bits += 8;
    while (bits >= 6) {
      out += t[(v >> (bits - 6)) & 63];
      bits -= 6;
    }
  }
  if (bits > 0) out += t[(v << (6 - bits)) & 63];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

// Everything collected from the exporter, with where it came from.
struct Transcript {
  std::vector<std::pair<std::string, std::string>> outputs;
  void Add(const std::string& where, const std::string& text) { outputs.emplace_back(where, text); }
  size_t bytes() const {
    size_t n = 0;
    for (const auto& [w, t] : outputs) n += t.size();
    return n;
  }
};

void ExpectNoSecret(const Transcript& transcript) {
  std::vector<std::string> needles;
  for (const auto& s : kSecrets) {
    needles.push_back(s);
    needles.push_back(s.substr(0, 8));  // a prefix: truncated values
    needles.push_back(s.substr(s.size() - 8));
  }
  needles.push_back(Base64("prometheus:" + kBasicPassword));
  needles.push_back(Base64("prometheus:" + kBasicWrongPassword));
  for (const auto& [where, text] : transcript.outputs) {
    for (const auto& needle : needles) {
      size_t at = text.find(needle);
      EXPECT_EQ(at, std::string::npos)
          << "\"" << needle << "\" in " << where << ": ..."
          << text.substr(at == std::string::npos ? 0 : (at > 200 ? at - 200 : 0), 400) << "...";
    }
  }
}

std::string Config(const RedisServer& redis, int closed_port) {
  const std::string port = std::to_string(redis.port());
  const std::string closed = std::to_string(closed_port);
  return "exporter: {scrape_timeout: 3s, log_level: debug}\n"
         "redis:\n"
         "  - {name: good, address: 'redis://127.0.0.1:" +
         port + "', password: '" + kRedisPassword +
         "'}\n"
         "  - {name: wrong, address: 'redis://127.0.0.1:" +
         port + "', password: '" + kRedisWrongPassword +
         "'}\n"
         "  - {name: inurl, address: 'redis://:" +
         kRedisUrlPassword + "@127.0.0.1:" + port +
         "'}\n"
         "  - {name: down, address: 'redis://127.0.0.1:" +
         closed + "', password: '" + kRedisPassword +
         "'}\n"
         "postgres:\n"
         "  - {name: pg, dsn: 'postgresql://exporter@127.0.0.1:" +
         closed + "/db', password: '" + kPostgresPassword +
         "', connect_timeout: 1s}\n"
         "  - {name: pgdsn, dsn: 'postgresql://exporter:" +
         kPostgresDsnPassword + "@127.0.0.1:" + closed +
         "/db', connect_timeout: 1s}\n"
         "chroma:\n"
         "  - {name: vectors, url: 'http://127.0.0.1:" +
         closed + "', token: '" + kChromaToken + "'}\n";
}

const std::vector<std::string> kArgs = {"--no-collector.container", "--no-collector.filesystem"};

TEST(Secrets, NeverLeaveTheProcess) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start({"requirepass " + kRedisPassword}, kRedisPassword)) << redis.Log();
  const int closed = FreePort();
  const std::string config = Config(redis, closed);
  Transcript transcript;

  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  ASSERT_NE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof salt), nullptr);
  crypt_data data{};
  const std::string hash = crypt_r(kBasicPassword.c_str(), salt, &data);
  const std::string good_auth = "Authorization: Basic " + Base64("prometheus:" + kBasicPassword);
  const std::string bad_auth =
      "Authorization: Basic " + Base64("prometheus:" + kBasicWrongPassword);

  for (const std::string format : {"text", "json"}) {
    SCOPED_TRACE(format);
    ExporterProcess exporter;
    WriteFile(exporter.dir() + "/web.yml", "basic_auth_users:\n  prometheus: " + hash + "\n");
    std::vector<std::string> args = kArgs;
    args.push_back("--web.config.file=" + exporter.dir() + "/web.yml");
    args.push_back("--log.level=debug");
    args.push_back("--log.format=" + format);
    ASSERT_TRUE(exporter.Start(config, args)) << exporter.Log();

    // Every endpoint, with the right, a wrong and no password.
    for (const std::string path :
         {"/", "/metrics", "/health", "/probe?collector=redis&target=good",
          "/probe?collector=redis&target=wrong", "/probe?collector=redis&target=inurl",
          "/probe?collector=redis&target=down", "/probe?collector=postgres&target=pg",
          "/probe?collector=chroma&target=vectors", "/probe?target=http://127.0.0.1:1/", "/nope"}) {
      for (const auto& headers :
           std::vector<std::vector<std::string>>{{good_auth}, {bad_auth}, {}}) {
        auto r = exporter.Request(path, headers);
        transcript.Add(format + " " + path, r.body + r.content_type);
      }
    }
    auto metrics = exporter.Request("/metrics", {good_auth});
    ASSERT_EQ(metrics.status, 200);
    // The paths above really ran: the right password works, the wrong one and the down
    // server fail.
    EXPECT_EQ(SampleValue(metrics.body, "redis_up", {{"target", "good"}}), 1) << metrics.body;
    EXPECT_EQ(SampleValue(metrics.body, "redis_up", {{"target", "inurl"}}), 0);
    EXPECT_EQ(SampleValue(metrics.body, "redis_up", {{"target", "wrong"}}), 0);
    EXPECT_EQ(SampleValue(metrics.body, "redis_up", {{"target", "down"}}), 0);

    // The server going down and coming back while scraped.
    redis.Freeze();
    transcript.Add(format + " frozen", exporter.Request("/metrics", {good_auth}).body);
    redis.Thaw();
    redis.Stop();
    transcript.Add(format + " stopped", exporter.Request("/metrics", {good_auth}).body);
    ASSERT_TRUE(redis.Restart());
    transcript.Add(format + " restarted", exporter.Request("/metrics", {good_auth}).body);

    // Bad reloads: errors next to and inside the secrets.
    for (const std::string& bad : {
             config + "bogus_section: 1\n",
             "redis:\n  - {name: x, address: 'redis://:" + kRedisUrlPassword +
                 "@127.0.0.1:notaport'}\n",
             "redis:\n  - {name: x, address: 'redis://127.0.0.1:1', password: ['" + kRedisPassword +
                 "']}\n",
             "redis:\n  - {name: x, address: 'redis://127.0.0.1:1', password: '" + kRedisPassword +
                 "', password_file: /nonexistent}\n",
             "redis:\n  - {name: x, address: 'redis://127.0.0.1:1', password: '" + kRedisPassword +
                 "\n",
             "postgres:\n  - {name: p, dsn: 'postgresql://u:" + kPostgresDsnPassword +
                 "@127.0.0.1:1/db?sslmode=bogus', password: '" + kPostgresPassword +
                 "', pool_size: -1}\n",
             "chroma:\n  - {name: c, url: 'ftp://127.0.0.1/', token: '" + kChromaToken +
                 "', expected_dimension: -5}\n",
         }) {
      exporter.WriteConfig(bad);
      auto r = exporter.Request("/-/reload", {good_auth}, "POST");
      transcript.Add(format + " reload", r.body);
      // (Until the PostgreSQL and Chroma collectors validate their sections, their bad
      // configs may load; what matters here is what is printed either way.)
      if (bad.rfind("redis:", 0) == 0 || bad.find("bogus_section") != std::string::npos) {
        EXPECT_EQ(r.status, 500) << bad;
      }
      exporter.process().Signal(SIGHUP);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      transcript.Add(format + " metrics after bad reload",
                     exporter.Request("/metrics", {good_auth}).body);
    }
    // A good reload.
    exporter.WriteConfig(config);
    EXPECT_EQ(exporter.Request("/-/reload", {good_auth}, "POST").status, 200);
    transcript.Add(format + " metrics after reload",
                   exporter.Request("/metrics", {good_auth}).body);
    transcript.Add(format + " landing", exporter.Request("/", {good_auth}).body);
    transcript.Add(format + " log", exporter.Log());
    EXPECT_NE(exporter.Log().find("basic auth failed"), std::string::npos);
  }

  // The command line: --once in every format, --check-config on good and bad configs.
  const std::string dir = MakeTempDir("thoth-secrets");
  WriteFile(dir + "/good.yml", config);
  WriteFile(dir + "/bad.yml", config + "  - {name: vectors, url: 'http://127.0.0.1:1', token: '" +
                                  kChromaToken + "', tenant: 7, unknown: 1}\n");
  WriteFile(dir + "/badredis.yml",
            "redis:\n  - {name: x, address: 'redis://127.0.0.1:1', password: '" + kRedisPassword +
                "', connect_timeout: -1s}\n");
  WriteFile(dir + "/badpw.yml",
            "redis:\n  - {name: x, address: 'redis://:" + kRedisUrlPassword + "@[::1'}\n");
  for (const std::string format : {"text", "json", "prometheus"}) {
    for (const std::string file : {"good.yml", "bad.yml", "badredis.yml", "badpw.yml"}) {
      std::vector<std::string> args = kArgs;
      args.insert(args.end(), {"--config.file=" + dir + "/" + file, "--once", "--format=" + format,
                               "--log.level=debug"});
      auto r = RunExporter(args);
      transcript.Add("--once " + format + " " + file, r.output);
    }
  }
  for (const std::string file : {"good.yml", "bad.yml", "badredis.yml", "badpw.yml"}) {
    auto r =
        RunExporter({"--config.file=" + dir + "/" + file, "--check-config", "--log.level=debug"});
    transcript.Add("--check-config " + file, r.output);
    if (file != "bad.yml") {  // bad.yml is bad only once the Chroma collector validates it
      EXPECT_EQ(r.exit_code, file == "good.yml" ? 0 : 3) << file << ": " << r.output;
    }
  }
  // Starting on a bad config fails with one line, which must not carry the secret either.
  auto r = RunExporter({"--config.file=" + dir + "/badpw.yml", "--web.listen-address=127.0.0.1:0"});
  transcript.Add("start on a bad config", r.output);
  RemoveTree(dir);

  std::printf("searched %zu outputs, %zu bytes, for %zu secrets\n", transcript.outputs.size(),
              transcript.bytes(), kSecrets.size());
  ExpectNoSecret(transcript);
}

}  // namespace
}  // namespace thoth::testing

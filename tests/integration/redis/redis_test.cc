// The Redis collector against a real redis-server (7.0 on Debian 12) started by the harness:
// values against the server's own INFO, count_keys on 100,000 keys, a minimal ACL user, a
// server stopped, frozen and restarted, and the exporter binary end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "collectors/redis/redis_collector.h"
#include "exporter/registry.h"
#include "exporter/scrape_engine.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/harness/redis_server.h"
#include "tests/test_fixtures.h"

namespace thoth::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kAdminPassword[] = "admin-Secret-4821";
constexpr char kExporterPassword[] = "exp-Secret-9917";
constexpr int kRateLimitKeys = 100000;

// One server for the suite, with a password on the default user and a minimal ACL user for
// the exporter: PING, INFO, SCAN and SELECT, nothing else (no CONFIG, no SLOWLOG).
RedisServer* g_server = nullptr;
std::string g_dir;

class RedisEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    g_dir = MakeTempDir("thoth-redis-test");
    WriteFile(g_dir + "/admin_password", std::string(kAdminPassword) + "\n");
    WriteFile(g_dir + "/exporter_password", std::string(kExporterPassword) + "\n");
    g_server = new RedisServer();
    ASSERT_TRUE(g_server->Start({std::string("user default on >") + kAdminPassword + " ~* &* +@all",
                                 std::string("user exporter on >") + kExporterPassword +
                                     " ~ratelimit:* resetchannels -@all +ping +info +scan +select"},
                                kAdminPassword))
        << g_server->Log();
    // The rate-limit keys of the stack, with TTLs, plus other keys that must not be counted.
    const std::string load =
        "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'ratelimit:' .. i, 1, 'EX', 3600) end "
        "for i = 1, 5000 do redis.call('SET', 'session:' .. i, 'x') end return 1";
    ASSERT_EQ(g_server->Command({"EVAL", load, "0", std::to_string(kRateLimitKeys)}), "1");
    ASSERT_EQ(g_server->Command({"SELECT", "0"}), "OK");
    // db1 holds keys of another application.
    const std::string db1 =
        "redis.call('SELECT', 1) for i = 1, 300 do redis.call('SET', 'ratelimit:' .. i, 1) end "
        "return 1";
    ASSERT_EQ(g_server->Command({"EVAL", db1, "0"}), "1");
  }
  void TearDown() override {
    delete g_server;
    g_server = nullptr;
    RemoveTree(g_dir);
  }
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new RedisEnvironment);

std::shared_ptr<Collector> MakeOne(const std::string& yaml) {
  auto collectors = BuildCollectors("redis", ParseYaml(yaml, "test.yml"), CollectorEnv{});
  EXPECT_EQ(collectors.size(), 1u);
  return collectors.at(0);
}

struct Scrape {
  Status status;
  Families families;
  double seconds = 0;
};

Scrape Collect(Collector& c, std::chrono::milliseconds deadline = 5000ms) {
  MetricSink sink(c.TargetLabel());
  const auto start = Clock::now();
  Scrape s;
  s.status = c.Collect(ScrapeContext{start + deadline}, sink);
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  s.families = sink.Take();
  return s;
}

double Value(const Scrape& s, const std::string& name, const Labels& labels = {}) {
  EXPECT_TRUE(thoth::Has(s.families, name, labels)) << name;
  return thoth::Value(s.families, name, labels);
}

bool Has(const Scrape& s, const std::string& name) { return thoth::Has(s.families, name); }

std::string AdminTarget(const std::string& extra = "") {
  return "redis: [{name: cache, address: '" + g_server->address() + "', password_file: " + g_dir +
         "/admin_password" + extra + "}]";
}

std::string ExporterUserTarget(const std::string& extra = "") {
  return "redis: [{name: cache, address: '" + g_server->address() +
         "', username: exporter, password_file: " + g_dir + "/exporter_password" + extra + "}]";
}

double Num(const std::string& text) { return std::stod(text); }

// A field of `redis-cli INFO ALL` (the tool an operator would compare with).
std::string CliInfo(const std::string& info, const std::string& field) {
  const std::string key = "\n" + field + ":";
  const std::string text = "\n" + info;
  size_t pos = text.find(key);
  if (pos == std::string::npos) return "";
  pos += key.size();
  return text.substr(pos, text.find_first_of("\r\n", pos) - pos);
}

TEST(RedisIntegration, ValuesEqualRedisCliInfo) {
  auto c = MakeOne(AdminTarget());
  // Something for commandstats and errorstats to show.
  g_server->Command({"GET", "session:1"});
  g_server->Command({"LPUSH", "session:1", "x"});  // WRONGTYPE
  const std::string before = g_server->Info("all");
  const Scrape s = Collect(*c);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  RunResult cli =
      thoth::testing::Run({"redis-cli", "-p", std::to_string(g_server->port()), "INFO", "ALL"}, 10s,
                          {{"REDISCLI_AUTH", kAdminPassword}});
  ASSERT_EQ(cli.exit_code, 0) << cli.output;
  const std::string& info = cli.output;

  EXPECT_EQ(Value(s, "redis_up"), 1);
  EXPECT_EQ(Value(s, "redis_instance_info",
                  {{"redis_version", CliInfo(info, "redis_version")},
                   {"role", CliInfo(info, "role")},
                   {"redis_mode", CliInfo(info, "redis_mode")},
                   {"maxmemory_policy", CliInfo(info, "maxmemory_policy")}}),
            1);
  // Values that do not move between the two reads: equal.
  for (const auto& [metric, field] : std::vector<std::pair<std::string, std::string>>{
           {"redis_memory_max_bytes", "maxmemory"},
           {"redis_total_system_memory_bytes", "total_system_memory"},
           {"redis_config_maxclients", "maxclients"},
           {"redis_blocked_clients", "blocked_clients"},
           {"redis_evicted_keys_total", "evicted_keys"},
           {"redis_rejected_connections_total", "rejected_connections"},
           {"redis_connected_slaves", "connected_slaves"},
           {"redis_rdb_last_save_timestamp_seconds", "rdb_last_save_time"},
           {"redis_expired_keys_total", "expired_keys"},
           {"redis_keyspace_misses_total", "keyspace_misses"},
           {"redis_keyspace_hits_total", "keyspace_hits"}}) {
    EXPECT_EQ(Value(s, metric), Num(CliInfo(info, field))) << metric;
  }
  EXPECT_EQ(Value(s, "redis_rdb_last_bgsave_status"),
            CliInfo(info, "rdb_last_bgsave_status") == "ok");
  const std::string db0 = CliInfo(info, "db0");  // keys=105000,expires=100000,avg_ttl=...
  EXPECT_EQ(db0.rfind("keys=105000,expires=100000,", 0), 0u) << db0;
  EXPECT_EQ(Value(s, "redis_db_keys", {{"db", "db0"}}), 105000);
  EXPECT_EQ(Value(s, "redis_db_keys_expiring", {{"db", "db0"}}), 100000);
  EXPECT_EQ(Value(s, "redis_db_keys", {{"db", "db1"}}), 300);
  // Per-command and per-error counters of commands only the admin ran.
  const std::string set = CliInfo(info, "cmdstat_set");  // calls=N,usec=...
  EXPECT_EQ(Value(s, "redis_commands_total", {{"cmd", "set"}}),
            Num(set.substr(6, set.find(',') - 6)));
  const std::string usec = set.substr(set.find("usec=") + 5);
  EXPECT_NEAR(Value(s, "redis_commands_duration_seconds_total", {{"cmd", "set"}}),
              Num(usec.substr(0, usec.find(','))) / 1e6, 1e-9);
  EXPECT_EQ(Value(s, "redis_errors_total", {{"err", "WRONGTYPE"}}),
            Num(CliInfo(info, "errorstat_WRONGTYPE").substr(6)));
  // Counters that move with every command: read between the admin's INFO before the scrape
  // and redis-cli's after it.
  for (const auto& [metric, field] : std::vector<std::pair<std::string, std::string>>{
           {"redis_commands_processed_total", "total_commands_processed"},
           {"redis_connections_received_total", "total_connections_received"},
           {"redis_net_input_bytes_total", "total_net_input_bytes"},
           {"redis_net_output_bytes_total", "total_net_output_bytes"},
           {"redis_uptime_in_seconds", "uptime_in_seconds"}}) {
    EXPECT_GE(Value(s, metric), Num(CliInfo(before, field))) << metric;
    EXPECT_LE(Value(s, metric), Num(CliInfo(info, field))) << metric;
  }
  EXPECT_NEAR(Value(s, "redis_memory_used_bytes"), Num(CliInfo(info, "used_memory")),
              Num(CliInfo(info, "used_memory")) * 0.05);
  EXPECT_GT(Value(s, "redis_ping_duration_seconds"), 0);
  EXPECT_LT(Value(s, "redis_ping_duration_seconds"), 1);
  // The admin may read the slow log.
  EXPECT_EQ(Value(s, "redis_slowlog_length"), Num(g_server->Command({"SLOWLOG", "LEN"})));
}

TEST(RedisIntegration, CountsOneHundredThousandRateLimitKeysExactly) {
  auto c =
      MakeOne(AdminTarget(", count_keys: ['db0=ratelimit:*', 'db1=ratelimit:*', "
                          "'db0=session:*', 'db0=nothing:*'], "
                          "count_keys_timeout: 20s"));
  const Scrape s = Collect(*c, 25000ms);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  EXPECT_EQ(Value(s, "redis_keys_count", {{"db", "db0"}, {"key", "ratelimit:*"}}), kRateLimitKeys);
  EXPECT_EQ(Value(s, "redis_keys_count_partial", {{"db", "db0"}, {"key", "ratelimit:*"}}), 0);
  EXPECT_EQ(Value(s, "redis_keys_count", {{"db", "db1"}, {"key", "ratelimit:*"}}), 300);
  EXPECT_EQ(Value(s, "redis_keys_count", {{"db", "db0"}, {"key", "session:*"}}), 5000);
  EXPECT_EQ(Value(s, "redis_keys_count", {{"db", "db0"}, {"key", "nothing:*"}}), 0);
  EXPECT_EQ(Value(s, "redis_keys_count_partial", {{"db", "db0"}, {"key", "nothing:*"}}), 0);
  // SCAN, never KEYS.
  EXPECT_EQ(g_server->InfoField("cmdstat_keys"), "");
  std::printf("[ measure  ] count_keys over 105,300 keys (4 patterns): scrape %.3f s\n", s.seconds);
  // A second scrape on the kept connection counts the same.
  const Scrape again = Collect(*c, 25000ms);
  EXPECT_EQ(Value(again, "redis_keys_count", {{"db", "db0"}, {"key", "ratelimit:*"}}),
            kRateLimitKeys);
}

TEST(RedisIntegration, CountKeysBudgetReportsPartial) {
  auto c = MakeOne(AdminTarget(
      ", count_keys: ['db0=ratelimit:*'], count_keys_timeout: 30ms, count_keys_batch: 10"));
  const Scrape s = Collect(*c);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  const double n = Value(s, "redis_keys_count", {{"key", "ratelimit:*"}});
  EXPECT_LT(n, kRateLimitKeys);
  EXPECT_EQ(Value(s, "redis_keys_count_partial", {{"key", "ratelimit:*"}}), 1);
  EXPECT_LT(s.seconds, 2);
}

TEST(RedisIntegration, MinimalAclUserWorksWithoutConfigOrSlowlog) {
  // A generous budget: the exact count must not depend on the load of a shared CI machine.
  auto c = MakeOne(ExporterUserTarget(", count_keys: ['db0=ratelimit:*'], count_keys_timeout: 6s"));
  const auto noperm = [] {
    const std::string v = g_server->InfoField("errorstat_NOPERM");  // count=N
    return v.empty() ? 0.0 : Num(v.substr(6));
  };
  const double before = noperm();
  const Scrape first = Collect(*c);
  ASSERT_TRUE(first.status.ok()) << first.status.message();
  EXPECT_EQ(Value(first, "redis_up"), 1);
  EXPECT_EQ(Value(first, "redis_keys_count", {{"key", "ratelimit:*"}}), kRateLimitKeys);
  // maxclients comes from INFO on Redis 7: CONFIG is never sent.
  EXPECT_EQ(Value(first, "redis_config_maxclients"), Num(g_server->InfoField("maxclients")));
  EXPECT_FALSE(Has(first, "redis_slowlog_length"));
  const double after_first = noperm();
  EXPECT_LE(after_first - before, 1);  // the one SLOWLOG probe
  for (int i = 0; i < 3; ++i) {
    const Scrape s = Collect(*c);
    ASSERT_TRUE(s.status.ok()) << s.status.message();
    EXPECT_EQ(Value(s, "redis_up"), 1);
  }
  // No error counter on the server climbs with every scrape.
  EXPECT_EQ(noperm(), after_first);
  const std::string config_get = g_server->InfoField("cmdstat_config|get");
  EXPECT_EQ(config_get.find("rejected_calls=1"), std::string::npos) << config_get;
}

TEST(RedisIntegration, WrongPasswordIsDownAndNeverPrinted) {
  WriteFile(g_dir + "/wrong_password", "Wrong-Horse-771\n");
  auto c = MakeOne("redis: [{name: cache, address: '" + g_server->address() +
                   "', username: exporter, password_file: " + g_dir + "/wrong_password}]");
  const Scrape s = Collect(*c);
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(Value(s, "redis_up"), 0);
  EXPECT_NE(s.status.message().find("WRONGPASS"), std::string::npos) << s.status.message();
  EXPECT_EQ(s.status.message().find("Wrong-Horse"), std::string::npos);
  EXPECT_EQ(SerializeText(s.families).find("Wrong-Horse"), std::string::npos);
}

// Stop, freeze and restart a server of its own while the same collector keeps scraping
// through the real scrape engine.
TEST(RedisIntegration, StoppedFrozenRestarted) {
  RedisServer server;
  ASSERT_TRUE(server.Start()) << server.Log();
  ScrapeEngine engine;
  engine.SetCollectors({MakeOne("redis: [{name: faulty, address: '" + server.address() + "'}]")});
  constexpr auto kDeadline = 2000ms;
  struct Outcome {
    double up = NAN;
    bool success = false;
    bool timed_out = false;
    double seconds = 0;
  };
  auto scrape = [&] {
    const auto start = Clock::now();
    auto results = engine.Collect(start + kDeadline);
    Outcome o;
    o.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_EQ(results.size(), 1u);
    o.success = results[0].success;
    o.timed_out = results[0].timed_out;
    FindSample(*results[0].families, "redis_up", {{"target", "faulty"}}, &o.up);
    return o;
  };
  auto until_up = [&](double want, std::chrono::seconds limit) {
    Outcome o;
    const auto until = Clock::now() + limit;
    do {
      o = scrape();
      if (o.up == want) break;
      std::this_thread::sleep_for(200ms);
    } while (Clock::now() < until);
    return o;
  };
  const double slack = 0.5;  // thread hand-off on a busy 2-core CI box

  Outcome o = scrape();
  EXPECT_EQ(o.up, 1);
  EXPECT_TRUE(o.success);

  server.Freeze();
  o = scrape();
  EXPECT_EQ(o.up, 0) << "frozen";
  EXPECT_FALSE(o.success);
  EXPECT_LT(o.seconds, 2.0 + slack);
  std::printf("[ measure  ] frozen server: scrape returned after %.3f s (deadline 2 s)\n",
              o.seconds);
  // While frozen, later scrapes stay on time too.
  o = scrape();
  EXPECT_EQ(o.up, 0);
  EXPECT_LT(o.seconds, 2.0 + slack);
  server.Thaw();
  o = until_up(1, 15s);
  EXPECT_EQ(o.up, 1) << "thawed";

  server.Stop();
  o = scrape();
  EXPECT_EQ(o.up, 0) << "stopped";
  EXPECT_FALSE(o.success);
  EXPECT_LT(o.seconds, 2.0 + slack);

  ASSERT_TRUE(server.Restart()) << server.Log();
  const auto restarted = Clock::now();
  o = until_up(1, 15s);
  EXPECT_EQ(o.up, 1) << "restarted";
  EXPECT_TRUE(o.success);
  std::printf("[ measure  ] restart: redis_up 1 again %.2f s after the server answered\n",
              std::chrono::duration<double>(Clock::now() - restarted).count());
}

// The binary answers /metrics on time with redis_up 0 while the server is frozen, and reports
// it up again after SIGCONT without a restart of the exporter.
TEST(RedisIntegration, FrozenServerThroughTheBinary) {
  RedisServer server;
  ASSERT_TRUE(server.Start()) << server.Log();
  ExporterProcess exporter;
  ASSERT_TRUE(
      exporter.Start("exporter: {scrape_timeout: 8s}\ncontainer: {self: false}\n"
                     "filesystem: []\nredis: [{name: frozen, address: '" +
                     server.address() + "'}]\n"))
      << exporter.Log();
  EXPECT_EQ(SampleValue(exporter.Metrics(), "redis_up", {{"target", "frozen"}}), 1);
  server.Freeze();
  // Prometheus' header: 2.5 s timeout -> a 2 s deadline.
  const auto start = Clock::now();
  auto r = exporter.Request("/metrics", {"X-Prometheus-Scrape-Timeout-Seconds: 2.5"});
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(SampleValue(r.body, "redis_up", {{"target", "frozen"}}), 0);
  EXPECT_EQ(SampleValue(r.body, "thoth_exporter_collector_success",
                        {{"collector", "redis"}, {"target", "frozen"}}),
            0);
  EXPECT_LT(seconds, 2.5);
  std::printf("[ measure  ] /metrics with a frozen Redis and a 2.5 s scrape timeout: %.3f s\n",
              seconds);
  server.Thaw();
  double up = 0;
  for (auto until = Clock::now() + 15s; Clock::now() < until && up != 1;) {
    std::this_thread::sleep_for(300ms);
    up = SampleValue(exporter.Metrics(), "redis_up", {{"target", "frozen"}});
  }
  EXPECT_EQ(up, 1);
}

TEST(RedisIntegration, RedissIsAConfigErrorOfTheBinary) {
  ExporterProcess exporter;
  WriteFile(exporter.dir() + "/tls.yml",
            "redis: [{name: cache, address: 'rediss://:Tls-Pw-55@127.0.0.1:6380'}]\n");
  RunResult r = RunExporter({"--check-config", "--config.file=" + exporter.dir() + "/tls.yml"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("TLS"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("tls.yml:1:"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("Tls-Pw-55"), std::string::npos) << r.output;
}

TEST(RedisIntegration, EndToEndThroughTheExporter) {
  ExporterProcess exporter;
  const std::string config =
      "exporter: {scrape_timeout: 8s}\n"
      "container: {self: false}\n"
      "filesystem: []\n" +
      ExporterUserTarget(", count_keys: ['db0=ratelimit:*'], count_keys_timeout: 6s") + "\n";
  ASSERT_TRUE(exporter.Start(config)) << exporter.Log();
  const std::string metrics = exporter.Metrics();
  EXPECT_EQ(SampleValue(metrics, "redis_up", {{"target", "cache"}}), 1) << exporter.Log();
  EXPECT_EQ(SampleValue(metrics, "thoth_exporter_collector_success",
                        {{"collector", "redis"}, {"target", "cache"}}),
            1);
  EXPECT_EQ(SampleValue(metrics, "redis_keys_count", {{"target", "cache"}, {"key", "ratelimit:*"}}),
            kRateLimitKeys);
  EXPECT_EQ(SampleValue(metrics, "redis_db_keys", {{"target", "cache"}, {"db", "db0"}}),
            Num(g_server->InfoField("db0").substr(5, g_server->InfoField("db0").find(',') - 5)));
  EXPECT_EQ(SampleValue(metrics, "redis_config_maxclients", {{"target", "cache"}}),
            Num(g_server->InfoField("maxclients")));
  auto check = PromtoolCheckMetrics(metrics);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  // Secrets appear nowhere.
  EXPECT_EQ(metrics.find(kExporterPassword), std::string::npos);
  EXPECT_EQ(exporter.Log().find(kExporterPassword), std::string::npos);

  // --once: reachable, memory against the host (no maxmemory), no evictions.
  WriteFile(exporter.dir() + "/once.yml", config);
  RunResult once =
      RunExporter({"--once", "--format=json", "--config.file=" + exporter.dir() + "/once.yml"});
  ASSERT_NE(once.output.find('{'), std::string::npos) << once.output;
  const auto doc = nlohmann::json::parse(once.output.substr(once.output.find('{')));
  std::map<std::string, std::string> status;
  for (const auto& row : doc["checks"]) {
    if (row["collector"] == "redis") status[row["check"]] = row["status"];
  }
  EXPECT_EQ(status["reachable"], "OK") << once.output;
  EXPECT_EQ(status["memory vs host (no maxmemory)"], "OK") << once.output;
  EXPECT_EQ(status["evictions"], "OK") << once.output;
  EXPECT_EQ(once.output.find(kExporterPassword), std::string::npos);
}

}  // namespace
}  // namespace thoth::testing

#include "collectors/redis/redis_collector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "collectors/redis/key_counter.h"
#include "tests/test_fixtures.h"

namespace thoth::redis {
namespace {

using namespace std::chrono_literals;

bool Glob(const std::string& pattern, const std::string& key) {
  // Enough for the tests: "prefix*" or an exact name.
  if (!pattern.empty() && pattern.back() == '*') {
    return key.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  }
  return key == pattern;
}

// A scripted Redis server shared by every connection the fake connector opens.
struct FakeServer {
  std::string info = Fixture("redis/info_all_7.0_master.txt");
  bool reachable = true;
  std::string password;  // empty: no AUTH needed
  std::string user = "default";
  std::set<std::string> refused;  // command names answered with -NOPERM
  std::map<int, std::vector<std::string>> keys;
  std::chrono::milliseconds scan_delay{0};
  bool frozen = false;  // every command blocks for its whole timeout
  int generation = 0;   // bumping it breaks every open connection
  std::string maxclients = "4000";

  int connects = 0;
  std::vector<std::vector<std::string>> commands;
  std::vector<double> timeouts;

  int Count(const std::string& name) const {
    int n = 0;
    for (const auto& c : commands) n += !c.empty() && c[0] == name;
    return n;
  }
};

class FakeConnection : public Connection {
 public:
  explicit FakeConnection(FakeServer* s) : s_(s), generation_(s->generation) {}

  StatusOr<Reply> Command(const std::vector<std::string>& argv, double timeout) override {
    s_->commands.push_back(argv);
    s_->timeouts.push_back(timeout);
    if (s_->frozen) {
      std::this_thread::sleep_for(std::chrono::duration<double>(timeout));
      return Status::Error("timed out");
    }
    if (generation_ != s_->generation || !s_->reachable) {
      return Status::Error("connection closed by the server");
    }
    const std::string& cmd = argv[0];
    if (s_->refused.count(cmd)) {
      return Reply::Error("NOPERM this user has no permissions to run the '" + cmd + "' command");
    }
    if (cmd == "AUTH") {
      const bool with_user = argv.size() == 3;
      const std::string& user = with_user ? argv[1] : std::string("default");
      Reply reply = (argv.back() == s_->password && user == s_->user)
                        ? Reply::Status("OK")
                        : Reply::Error("WRONGPASS invalid username-password pair");
      authed_ = !reply.IsError();
      return reply;
    }
    if (!s_->password.empty() && !authed_) {
      return Reply::Error("NOAUTH Authentication required.");
    }
    if (cmd == "PING") {
      return Reply::Status("PONG");
    } else if (cmd == "INFO") {
      return Reply::String(s_->info);
    } else if (cmd == "SLOWLOG" && argv[1] == "LEN") {
      return Reply::Integer(3);
    } else if (cmd == "SLOWLOG") {
      return Reply::Array({Reply::Array({Reply::Integer(17), Reply::Integer(1700000000),
                                         Reply::Integer(25000), Reply::Array({})})});
    } else if (cmd == "SELECT") {
      db_ = std::stoi(argv[1]);
      return Reply::Status("OK");
    } else if (cmd == "SCAN") {
      std::this_thread::sleep_for(s_->scan_delay);
      const auto& keys = s_->keys[db_];
      size_t cursor = std::stoul(argv[1]);
      const size_t count = std::stoul(argv[5]);
      std::vector<Reply> batch;
      size_t i = cursor;
      for (; i < keys.size() && i < cursor + count; ++i) {
        if (Glob(argv[3], keys[i])) batch.push_back(Reply::String(keys[i]));
      }
      const std::string next = i >= keys.size() ? "0" : std::to_string(i);
      return Reply::Array({Reply::String(next), Reply::Array(std::move(batch))});
    } else if (argv.size() == 3 && argv[1] == "GET" && argv[2] == "maxclients") {
      return Reply::Array({Reply::String("maxclients"), Reply::String(s_->maxclients)});
    }
    return Reply::Error("ERR unknown command '" + cmd + "'");
  }

 private:
  FakeServer* s_;
  int generation_;
  bool authed_ = false;
  int db_ = 0;
};

Connector FakeConnector(FakeServer* s) {
  return [s](const Endpoint& ep, double timeout) -> StatusOr<std::unique_ptr<Connection>> {
    (void)timeout;
    ++s->connects;
    if (!s->reachable) {
      return Status::Error("cannot connect to " + ep.Display() + ": Connection refused");
    }
    return std::unique_ptr<Connection>(std::make_unique<FakeConnection>(s));
  };
}

std::unique_ptr<RedisCollector> MakeFake(FakeServer* s, const std::string& yaml) {
  return std::make_unique<RedisCollector>(ParseTargetConfig(ParseYaml(yaml, "t.yml")), "fp",
                                          FakeConnector(s));
}

struct Result {
  Status status;
  Families families;
  double seconds = 0;
};

Result Collect(RedisCollector& c, std::chrono::milliseconds budget = 5000ms) {
  MetricSink sink(c.TargetLabel());
  const auto start = Clock::now();
  Result r;
  r.status = c.Collect(ScrapeContext{start + budget}, sink);
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.families = sink.Take();
  return r;
}

double Value(const Result& r, const std::string& name, const Labels& labels = {}) {
  EXPECT_TRUE(thoth::Has(r.families, name, labels)) << name;
  return thoth::Value(r.families, name, labels);
}

bool Has(const Result& r, const std::string& name) { return thoth::Has(r.families, name); }

std::vector<std::string> Keys(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

TEST(RedisCollector, HappyPath) {
  FakeServer s;
  s.keys[0] = Keys("ratelimit:", 2500);
  auto more = Keys("session:", 700);
  s.keys[0].insert(s.keys[0].begin() + 1000, more.begin(), more.end());
  s.keys[1] = Keys("session:", 30);
  auto c = MakeFake(&s,
                    "{name: cache, count_keys: ['db0=ratelimit:*', 'db1=session:*', "
                    "'db0=session:*'], count_keys_batch: 100}");
  Result r = Collect(*c);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(Value(r, "redis_up"), 1);
  EXPECT_GE(Value(r, "redis_ping_duration_seconds"), 0);
  EXPECT_EQ(Value(r, "redis_memory_used_bytes"), 1188464);
  EXPECT_EQ(Value(r, "redis_config_maxclients"), 10000);  // from INFO: no CONFIG sent
  EXPECT_EQ(s.Count("CONFIG"), 0);
  EXPECT_EQ(Value(r, "redis_slowlog_length"), 3);
  EXPECT_EQ(Value(r, "redis_slowlog_last_id"), 17);
  EXPECT_DOUBLE_EQ(Value(r, "redis_last_slow_execution_duration_seconds"), 0.025);
  EXPECT_EQ(Value(r, "redis_keys_count", {{"db", "db0"}, {"key", "ratelimit:*"}}), 2500);
  EXPECT_EQ(Value(r, "redis_keys_count_partial", {{"db", "db0"}, {"key", "ratelimit:*"}}), 0);
  for (const auto& f : r.families) {
    // promtool reserves a _count suffix for histograms and summaries, except when untyped.
    if (f.name == "redis_keys_count") {
      EXPECT_EQ(f.type, prometheus::MetricType::Untyped);
    }
  }
  EXPECT_EQ(Value(r, "redis_keys_count", {{"db", "db1"}, {"key", "session:*"}}), 30);
  EXPECT_EQ(Value(r, "redis_keys_count", {{"db", "db0"}, {"key", "session:*"}}), 700);
  EXPECT_EQ(s.Count("KEYS"), 0);
  EXPECT_EQ(s.Count("SCAN"), 32 + 1 + 32);
  // db0 -> db1 -> db0.
  EXPECT_EQ(s.Count("SELECT"), 2);
  // One persistent connection across scrapes.
  ASSERT_TRUE(Collect(*c).status.ok());
  EXPECT_EQ(s.connects, 1);
}

TEST(RedisCollector, ConfigRefusedIsSkippedOnceAndNotRetried) {
  FakeServer s;
  s.info = Fixture("redis/info_all_6.0_shape.txt");  // no maxclients in INFO
  s.refused = {"CONFIG"};
  auto c = MakeFake(&s, "{name: cache}");
  for (int i = 0; i < 3; ++i) {
    Result r = Collect(*c);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(Value(r, "redis_up"), 1);
    EXPECT_FALSE(Has(r, "redis_config_maxclients"));
  }
  EXPECT_EQ(s.Count("CONFIG"), 1);
}

TEST(RedisCollector, ConfigGetWhenInfoLacksMaxclients) {
  FakeServer s;
  s.info = Fixture("redis/info_all_6.0_shape.txt");
  auto c = MakeFake(&s, "{name: cache}");
  Result r = Collect(*c);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(Value(r, "redis_config_maxclients"), 4000);
  EXPECT_EQ(s.Count("CONFIG"), 1);
}

TEST(RedisCollector, RenamedConfigCommand) {
  FakeServer s;
  s.info = Fixture("redis/info_all_6.0_shape.txt");
  auto c = MakeFake(&s, "{name: cache, config_command: MYCONFIG}");
  Result r = Collect(*c);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(Value(r, "redis_config_maxclients"), 4000);
  EXPECT_EQ(s.Count("MYCONFIG"), 1);
  EXPECT_EQ(s.Count("CONFIG"), 0);
  // Disabled entirely.
  FakeServer s2;
  s2.info = s.info;
  auto off = MakeFake(&s2, "{name: cache, config_command: ''}");
  ASSERT_TRUE(Collect(*off).status.ok());
  EXPECT_EQ(s2.commands.size(), 4u);  // PING, INFO, SLOWLOG LEN, SLOWLOG GET
}

TEST(RedisCollector, SlowlogAndScanRefusedStaySuccessful) {
  FakeServer s;
  s.refused = {"SLOWLOG", "SELECT"};
  s.keys[0] = Keys("ratelimit:", 10);
  auto c = MakeFake(&s, "{name: cache, count_keys: ['db0=ratelimit:*', 'db3=x:*']}");
  for (int i = 0; i < 3; ++i) {
    Result r = Collect(*c);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_FALSE(Has(r, "redis_slowlog_length"));
    EXPECT_EQ(Value(r, "redis_keys_count", {{"db", "db0"}}), 10);
    double v;
    EXPECT_FALSE(FindSample(r.families, "redis_keys_count", {{"db", "db3"}}, &v));
  }
  EXPECT_EQ(s.Count("SLOWLOG"), 1);
  EXPECT_EQ(s.Count("SELECT"), 1);
}

TEST(RedisCollector, CountKeysBudgetGivesPartialCount) {
  FakeServer s;
  s.keys[0] = Keys("ratelimit:", 100000);
  s.scan_delay = 20ms;
  auto c = MakeFake(&s,
                    "{name: cache, count_keys: ['db0=ratelimit:*', 'db0=other:*'], "
                    "count_keys_timeout: 200ms, count_keys_batch: 100}");
  Result r = Collect(*c);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  const double n = Value(r, "redis_keys_count", {{"key", "ratelimit:*"}});
  EXPECT_GT(n, 0);
  EXPECT_LT(n, 100000);
  EXPECT_EQ(std::fmod(n, 100), 0);
  EXPECT_EQ(Value(r, "redis_keys_count_partial", {{"key", "ratelimit:*"}}), 1);
  // The budget is shared: the second pattern had none left.
  EXPECT_EQ(Value(r, "redis_keys_count", {{"key", "other:*"}}), 0);
  EXPECT_EQ(Value(r, "redis_keys_count_partial", {{"key", "other:*"}}), 1);
  EXPECT_LT(r.seconds, 2.0);
}

TEST(RedisCollector, CountKeysNeverPassesTheScrapeDeadline) {
  FakeServer s;
  s.keys[0] = Keys("ratelimit:", 100000);
  s.scan_delay = 20ms;
  auto c = MakeFake(&s,
                    "{name: cache, count_keys: ['ratelimit:*'], count_keys_timeout: 60s, "
                    "count_keys_batch: 10}");
  Result r = Collect(*c, 500ms);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(Value(r, "redis_keys_count_partial", {{"key", "ratelimit:*"}}), 1);
  EXPECT_LT(r.seconds, 0.5);
}

TEST(RedisCollector, DownServerBacksOff) {
  FakeServer s;
  s.reachable = false;
  auto c = MakeFake(&s, "{name: cache}");
  Result r = Collect(*c);
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("Connection refused"), std::string::npos);
  EXPECT_EQ(Value(r, "redis_up"), 0);
  EXPECT_EQ(r.families.size(), 1u);  // nothing but redis_up
  // Within the backoff no new connect is attempted.
  r = Collect(*c);
  EXPECT_EQ(Value(r, "redis_up"), 0);
  EXPECT_EQ(s.connects, 1);
  EXPECT_NE(r.status.message().find("backoff"), std::string::npos);
  // After it, the server is back.
  s.reachable = true;
  std::this_thread::sleep_for(600ms);
  r = Collect(*c);
  EXPECT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(Value(r, "redis_up"), 1);
  EXPECT_EQ(s.connects, 2);
}

TEST(RedisCollector, KeptConnectionBrokenByRestartReconnectsAtOnce) {
  FakeServer s;
  auto c = MakeFake(&s, "{name: cache}");
  ASSERT_TRUE(Collect(*c).status.ok());
  ++s.generation;  // server restarted: the old connection is dead
  Result r = Collect(*c);
  EXPECT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(Value(r, "redis_up"), 1);
  EXPECT_EQ(s.connects, 2);
}

TEST(RedisCollector, FrozenServerReturnsBeforeTheDeadline) {
  FakeServer s;
  auto c = MakeFake(&s, "{name: cache, command_timeout: 30s}");
  ASSERT_TRUE(Collect(*c).status.ok());
  s.frozen = true;
  s.timeouts.clear();
  Result r = Collect(*c, 1000ms);
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(Value(r, "redis_up"), 0);
  EXPECT_LT(r.seconds, 1.0);
  EXPECT_GT(r.seconds, 0.5);  // it did wait for the server, up to the deadline's reserve
  for (double t : s.timeouts) EXPECT_LE(t, 1.0);  // capped by the deadline, not 30 s
  // A frozen server still accepts connections: a fresh connection that times out backs off,
  // so the scrapes after it answer at once instead of each waiting for the deadline.
  r = Collect(*c, 1000ms);
  EXPECT_EQ(Value(r, "redis_up"), 0);
  EXPECT_EQ(s.connects, 2);
  r = Collect(*c, 1000ms);
  EXPECT_EQ(Value(r, "redis_up"), 0);
  EXPECT_LT(r.seconds, 0.2);
  EXPECT_EQ(s.connects, 2);
  EXPECT_NE(r.status.message().find("backoff"), std::string::npos) << r.status.message();
  // Thawed: back after the backoff.
  s.frozen = false;
  std::this_thread::sleep_for(600ms);
  r = Collect(*c);
  EXPECT_EQ(Value(r, "redis_up"), 1) << r.status.message();
}

TEST(RedisCollector, AuthWithAclUser) {
  FakeServer s;
  s.password = "pw-correct";
  s.user = "exporter";
  auto c = MakeFake(&s, "{name: cache, username: exporter, password: pw-correct}");
  Result r = Collect(*c);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(s.commands[0], (std::vector<std::string>{"AUTH", "exporter", "pw-correct"}));

  FakeServer bad;
  bad.password = "pw-correct";
  auto wrong = MakeFake(&bad, "{name: cache, password: pw-wrong}");
  r = Collect(*wrong);
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(Value(r, "redis_up"), 0);
  EXPECT_NE(r.status.message().find("WRONGPASS"), std::string::npos);
  EXPECT_EQ(r.status.message().find("pw-"), std::string::npos) << r.status.message();

  FakeServer noauth;
  noauth.password = "pw-correct";
  auto none = MakeFake(&noauth, "{name: cache}");
  r = Collect(*none);
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("NOAUTH"), std::string::npos);
  EXPECT_EQ(Value(r, "redis_up"), 0);
}

TEST(RedisCollector, InfoRefusedOrGarbageIsDown) {
  FakeServer s;
  s.refused = {"INFO"};
  auto c = MakeFake(&s, "{name: cache}");
  Result r = Collect(*c);
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(Value(r, "redis_up"), 0);
  s.refused.clear();
  s.info = "not an info reply";
  r = Collect(*c);
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(Value(r, "redis_up"), 0);
}

TEST(RedisCollector, TimedOutWritesUpZero) {
  FakeServer s;
  auto c = MakeFake(&s, "{name: cache}");
  MetricSink sink("cache");
  c->TimedOut(sink);
  double v = -1;
  ASSERT_TRUE(FindSample(sink.families(), "redis_up", {{"target", "cache"}}, &v));
  EXPECT_EQ(v, 0);
  EXPECT_EQ(s.connects, 0);
}

Severity Row(const std::vector<HealthCheck>& rows, const std::string& check) {
  for (const auto& r : rows) {
    if (r.check.rfind(check, 0) == 0) return r.status;
  }
  ADD_FAILURE() << "no row " << check;
  return Severity::kUnknown;
}

TEST(RedisCollector, OnceChecks) {
  FakeServer s;
  s.info = Fixture("redis/info_all_6.0_shape.txt");  // 768 MiB of 1 GiB maxmemory, 42 evictions
  auto c = MakeFake(&s, "{name: cache}");
  Result r = Collect(*c);
  std::vector<HealthCheck> rows;
  c->Checks(r.families, r.status.ok(), Thresholds{}, rows);
  EXPECT_EQ(Row(rows, "reachable"), Severity::kOk);
  EXPECT_EQ(Row(rows, "memory vs maxmemory"), Severity::kWarning);  // 75% > 70%
  EXPECT_EQ(Row(rows, "evictions"), Severity::kWarning);

  s.info = Fixture("redis/info_all_7.0_master.txt");  // no maxmemory, tiny vs host, no evictions
  r = Collect(*c);
  rows.clear();
  c->Checks(r.families, r.status.ok(), Thresholds{}, rows);
  EXPECT_EQ(Row(rows, "memory vs host"), Severity::kOk);
  EXPECT_EQ(Row(rows, "evictions"), Severity::kOk);

  s.reachable = false;
  ++s.generation;
  r = Collect(*c);
  rows.clear();
  c->Checks(r.families, r.status.ok(), Thresholds{}, rows);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(Row(rows, "reachable"), Severity::kCritical);
}

TEST(RedisKeyCounter, LyingServerCannotHoldTheCount) {
  // A server that never returns cursor 0 is cut off by the budget.
  class Endless : public Connection {
   public:
    StatusOr<Reply> Command(const std::vector<std::string>&, double) override {
      return Reply::Array({Reply::String("7"), Reply::Array({Reply::String("k")})});
    }
  } endless;
  const auto now = Clock::now();
  KeyCountResult r = CountKeys(endless, "*", 10, now + 50ms, now + 1s, 1);
  EXPECT_FALSE(r.complete);
  EXPECT_GT(r.count, 0);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - now).count(), 0.5);

  class Weird : public Connection {
   public:
    StatusOr<Reply> Command(const std::vector<std::string>&, double) override {
      return Reply::Array({Reply::Integer(0)});
    }
  } weird;
  r = CountKeys(weird, "*", 10, Clock::now() + 1s, Clock::now() + 1s, 1);
  EXPECT_FALSE(r.complete);
  EXPECT_FALSE(r.error.empty());
  EXPECT_FALSE(r.transport_failed);
}

}  // namespace
}  // namespace thoth::redis

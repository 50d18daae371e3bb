// The collector without a server: configuration, and the behaviour toward servers that refuse or
// never answer (the real-server cases are in tests/integration/postgres).
#include "collectors/postgres/postgres_collector.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exporter/memory_errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace thoth::postgres {
namespace {

int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::vector<std::shared_ptr<Collector>> Make(const std::string& yaml, MemoryErrors* errors,
                                             Thresholds thresholds = {}) {
  CollectorEnv env;
  env.memory_errors = errors;
  env.thresholds = thresholds;
  return MakeCollectors(ParseYaml(yaml, "cfg.yml"), env);
}

TEST(PgCollector, OneCollectorPerTargetWithoutConnecting) {
  MemoryErrors errors;
  auto c = Make(
      "postgres:\n  - {name: a, dsn: \"host=127.0.0.1 port=1\"}\n  - {name: b, dsn: "
      "\"host=127.0.0.1 port=2\"}\n",
      &errors);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0]->Kind(), "postgres");
  EXPECT_EQ(c[0]->Target(), "a");
  EXPECT_EQ(c[0]->TargetLabel(), "a");
  EXPECT_NE(c[0]->Fingerprint(), c[1]->Fingerprint());
  EXPECT_EQ(errors.Get("MEM-001", "postgres"), 0u);
  EXPECT_TRUE(Make("redis: []\n", &errors).empty());
}

TEST(PgCollector, FingerprintFollowsConfigAndThresholds) {
  MemoryErrors errors;
  const std::string yaml = "postgres:\n  - {name: a, dsn: \"host=h\"}\n";
  auto one = Make(yaml, &errors);
  auto same = Make(yaml, &errors);
  EXPECT_EQ(one[0]->Fingerprint(), same[0]->Fingerprint());
  auto other = Make("postgres:\n  - {name: a, dsn: \"host=h\", tables: {limit: 5}}\n", &errors);
  EXPECT_NE(one[0]->Fingerprint(), other[0]->Fingerprint());
  Thresholds lower;
  lower.long_running_query_seconds = 60;
  EXPECT_NE(one[0]->Fingerprint(), Make(yaml, &errors, lower)[0]->Fingerprint());
}

TEST(PgCollector, TimedOutReportsDown) {
  MemoryErrors errors;
  auto c = Make("postgres:\n  - {name: a, dsn: \"host=h\"}\n", &errors);
  MetricSink sink("a");
  c[0]->TimedOut(sink);
  double v = 1;
  ASSERT_TRUE(FindSample(sink.families(), "pg_up", {{"target", "a"}}, &v));
  EXPECT_EQ(v, 0);
}

TEST(PgCollector, RefusedConnectionIsDownCountedAndRedacted) {
  MemoryErrors errors;
  auto c = Make("postgres:\n  - {name: a, dsn: \"postgresql://u:TopSecret1@127.0.0.1:" +
                    std::to_string(ClosedPort()) + "/d\"}\n",
                &errors);
  MetricSink sink("a");
  Status st = c[0]->Collect(ScrapeContext{Clock::now() + std::chrono::seconds(2)}, sink);
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), ::testing::HasSubstr("Connection refused"));
  EXPECT_THAT(st.message(), ::testing::Not(::testing::HasSubstr("TopSecret1")));
  double v = 1;
  ASSERT_TRUE(FindSample(sink.families(), "pg_up", {}, &v));
  EXPECT_EQ(v, 0);
  EXPECT_EQ(errors.Get("MEM-001", "postgres"), 1u);
  EXPECT_EQ(errors.Get("MEM-007", "postgres"), 0u);
}

TEST(PgCollector, SilentServerCostsOneDeadlineNoMore) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  MemoryErrors errors;
  auto c = Make("postgres:\n  - {name: a, dsn: \"host=127.0.0.1 port=" +
                    std::to_string(ntohs(addr.sin_port)) + " user=u sslmode=disable\"}\n",
                &errors);
  MetricSink sink("a");
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(800);
  Status st = c[0]->Collect(ScrapeContext{deadline}, sink);
  const auto end = Clock::now();
  close(listener);
  EXPECT_FALSE(st.ok());
  // It aims to finish a little before the deadline; the slack is for a loaded machine.
  EXPECT_LE(end, deadline + std::chrono::milliseconds(200)) << "finish by the deadline";
  EXPECT_GE(std::chrono::duration<double>(end - start).count(), 0.5);
  EXPECT_EQ(errors.Get("MEM-001", "postgres"), 1u);
}

}  // namespace
}  // namespace thoth::postgres

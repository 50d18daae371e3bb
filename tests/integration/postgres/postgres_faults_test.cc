// Faults of a real PostgreSQL 15 under the collector: stopped, frozen (SIGSTOP) and restarted
// mid-run. A scrape must always return by its deadline, report pg_up 0 while the server is gone
// and pg_up 1 once it is back, and the exporter must never hold more than one session.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "gtest/gtest.h"
#include "tests/integration/harness/process.h"
#include "tests/integration/postgres/postgres_env.h"

namespace thoth::testing {
namespace {

// Backends of the exporter as the server sees them. A backend whose client has just dropped
// its socket (after a deadline) lingers until the server notices, so a count above one is read
// again after a moment: the exporter holding two sessions would still show two.
int SettledServerSessions() {
  int n = Pg().CountBackends("thoth-exporter");
  for (int i = 0; i < 20 && n > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    n = Pg().CountBackends("thoth-exporter");
  }
  return n;
}

Scrape CollectUntilUp(PgTarget& t, double deadline, double within_seconds) {
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(within_seconds));
  Scrape s;
  do {
    s = t.Collect(deadline);
    if (s.Value("pg_up") == 1) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (Clock::now() < until);
  return s;
}

TEST(PostgresFaults, StopFreezeAndRestartNeverHoldMoreThanOneSession) {
  auto t = MakeTarget(MonitorTargetYaml("faulty"));
  const pid_t self = getpid();
  const double deadline = 1.5;
  int scrapes = 0, down_scrapes = 0, max_tcp = 0, max_server = 0;
  double slowest = 0;
  auto scrape = [&](bool check_server) {
    Scrape s = t->Collect(deadline);
    ++scrapes;
    slowest = std::max(slowest, s.seconds);
    EXPECT_LE(s.seconds, deadline + 0.25) << "scrape " << scrapes << " overran its deadline";
    if (s.Value("pg_up") != 1) ++down_scrapes;
    max_tcp = std::max(max_tcp, CountTcpConnections(self, Pg().port()));
    if (check_server) max_server = std::max(max_server, SettledServerSessions());
    return s;
  };

  for (int round = 0; round < 4; ++round) {
    // Healthy.
    for (int i = 0; i < 30; ++i) {
      Scrape s = scrape(i % 10 == 0);
      ASSERT_EQ(s.Value("pg_up"), 1) << s.status.message();
    }
    // The counts above see the session that is there: exactly one, kept between scrapes.
    EXPECT_EQ(CountTcpConnections(self, Pg().port()), 1);
    EXPECT_EQ(Pg().CountBackends("thoth-exporter"), 1);

    // Stopped mid-run: pg_up 0 at the very next scrape, returned well within the deadline.
    ASSERT_TRUE(Pg().Stop());
    Scrape down = scrape(false);
    EXPECT_EQ(down.Value("pg_up"), 0);
    EXPECT_FALSE(down.status.ok());
    EXPECT_LT(down.seconds, 1.0);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(scrape(false).Value("pg_up"), 0);
    EXPECT_GE(t->memory_errors.Get("MEM-001", "postgres"), 1u);

    // Started again: up without a new collector.
    ASSERT_TRUE(Pg().Start());
    Scrape up = CollectUntilUp(*t, deadline, 10);
    ++scrapes;
    EXPECT_EQ(up.Value("pg_up"), 1) << up.status.message();

    // Frozen: the scrape returns at its deadline with pg_up 0.
    Pg().Freeze();
    Scrape frozen = scrape(false);
    EXPECT_EQ(frozen.Value("pg_up"), 0);
    EXPECT_GE(frozen.seconds, deadline - 0.3);
    // And the following ones (connect attempts into a frozen server) too.
    for (int i = 0; i < 2; ++i) EXPECT_EQ(scrape(false).Value("pg_up"), 0);
    Pg().Thaw();
    Scrape thawed = CollectUntilUp(*t, deadline, 10);
    ++scrapes;
    EXPECT_EQ(thawed.Value("pg_up"), 1) << thawed.status.message();
    max_server = std::max(max_server, SettledServerSessions());
  }
  while (scrapes < 200) {
    Scrape s = scrape(scrapes % 10 == 0);
    EXPECT_EQ(s.Value("pg_up"), 1);
  }
  EXPECT_LE(max_tcp, 1) << "the exporter held more than one socket to the server";
  EXPECT_LE(max_server, 1) << "the server saw more than one exporter session";
  EXPECT_GT(down_scrapes, 0);
  RecordProperty("scrapes", scrapes);
  RecordProperty("slowest_scrape_ms", static_cast<int>(slowest * 1000));
}

TEST(PostgresFaults, RefusedConnectionCountsMem001AndBacksOff) {
  const int port = FreePort();
  auto t = MakeTarget("- name: nowhere\n  dsn: \"postgresql://x@127.0.0.1:" + std::to_string(port) +
                      "/postgres\"\n");
  Scrape s = t->Collect(2);
  EXPECT_EQ(s.Value("pg_up"), 0);
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(t->memory_errors.Get("MEM-001", "postgres"), 1u);
  // Within the backoff the next scrape does not try again (and does not count again).
  Scrape again = t->Collect(2);
  EXPECT_EQ(again.Value("pg_up"), 0);
  EXPECT_EQ(t->memory_errors.Get("MEM-001", "postgres"), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  t->Collect(2);
  EXPECT_EQ(t->memory_errors.Get("MEM-001", "postgres"), 2u);
}

}  // namespace
}  // namespace thoth::testing

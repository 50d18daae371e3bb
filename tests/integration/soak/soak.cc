// Fault soak: the real exporter (PostgreSQL and Redis collectors) scraped continuously by two
// clients while its dependencies are stopped, frozen (SIGSTOP/SIGCONT) and restarted at random and
// its configuration is reloaded (good and bad). Checks and reports: no crash, no scrape past its
// deadline, `*_up` right within one scrape interval of each change, the reload status right after
// each reload, at most one PostgreSQL session per target, resident memory growth under 1 MiB and no
// file descriptor growth after warm-up.
//
// THOTH_SOAK_SECONDS sets the duration (default 90); THOTH_SOAK_SEED the fault sequence
// (default: from the clock, printed so that a failing run can be replayed).
// Not a *_test.cc file: tests/reliability/tests.cmake builds it and registers a short run.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/harness/postgres_server.h"
#include "tests/integration/harness/redis_server.h"

namespace thoth::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kScrapeTimeout = 3;  // exporter.scrape_timeout
// A scrape may end this long after the deadline (serialising, the HTTP round trip, a loaded
// 2-core CI machine) before it counts as late.
constexpr double kDeadlineSlack = 1.0;
// The scrape interval the `*_up` promise is judged at: a change must show in every scrape that
// starts one interval after it. (The Redis collector backs off reconnecting for up to 5 s.)
constexpr double kInterval = 6;
constexpr long kMaxRssGrowth = 1L << 20;

double Seconds(Clock::time_point t, Clock::time_point origin) {
  return std::chrono::duration<double>(t - origin).count();
}

// One dependency the soak breaks and mends: a Redis or a PostgreSQL server (Chroma joins the
// same way: four operations and its `*_up` metric).
struct Dependency {
  std::string target;
  std::string up_metric;
  std::unique_ptr<RedisServer> redis;
  std::unique_ptr<PostgresServer> pg;
  enum State { kUp, kStopped, kFrozen } state = kUp;

  bool Start() { return redis ? redis->Start() : pg->Start(); }
  void Stop() { redis ? redis->Stop() : (void)pg->Stop(); }
  bool Restart() { return redis ? redis->Restart() : pg->Start(); }
  void Freeze() { redis ? redis->Freeze() : pg->Freeze(); }
  void Thaw() { redis ? redis->Thaw() : pg->Thaw(); }
  std::string Log() const { return redis ? redis->Log() : pg->Log(); }
};

struct ScrapeRecord {
  double start = 0, end = 0;
  int status = 0;
  std::map<std::string, double> up;  // target -> *_up value
  double reload_ok = NAN;
};

struct Event {
  double at;
  std::string target;
  bool up_after;
};

std::string Config(const std::vector<std::unique_ptr<Dependency>>& deps, int variant) {
  const std::string timeout = variant % 2 == 0 ? "2s" : "1500ms";
  std::string redis, pg;
  for (const auto& d : deps) {
    if (d->redis) {
      redis += "  - {name: " + d->target + ", address: '" + d->redis->address() +
               "', connect_timeout: " + timeout + "}\n";
    } else {
      pg += "  - {name: " + d->target + ", dsn: '" + d->pg->MonitorDsn() + "', password_file: '" +
            d->pg->MonitorPasswordFile() + "', connect_timeout: " + timeout + "}\n";
    }
  }
  return "exporter: {scrape_timeout: 3s}\n" + (pg.empty() ? "" : "postgres:\n" + pg) + "redis:\n" +
         redis;
}

TEST(Soak, FaultsReloadsAndTwoScrapers) {
  const double duration = std::getenv("THOTH_SOAK_SECONDS") != nullptr
                              ? std::atof(std::getenv("THOTH_SOAK_SECONDS"))
                              : 90;
  const unsigned seed = std::getenv("THOTH_SOAK_SEED") != nullptr
                            ? static_cast<unsigned>(std::atol(std::getenv("THOTH_SOAK_SEED")))
                            : static_cast<unsigned>(time(nullptr));
  std::printf("soak: %.0f s, seed %u\n", duration, seed);
  std::mt19937 rng(seed);

  std::vector<std::unique_ptr<Dependency>> deps;
  {
    auto d = std::make_unique<Dependency>();
    d->target = "memory-db";
    d->up_metric = "pg_up";
    d->pg = std::make_unique<PostgresServer>();
    ASSERT_TRUE(d->Start()) << d->Log();
    deps.push_back(std::move(d));
  }
  for (const std::string name : {"cache", "queue"}) {
    auto d = std::make_unique<Dependency>();
    d->target = name;
    d->up_metric = "redis_up";
    d->redis = std::make_unique<RedisServer>();
    ASSERT_TRUE(d->Start()) << d->Log();
    deps.push_back(std::move(d));
  }
  // The exporter's sessions to PostgreSQL, sampled by the scrapers: never more than one.
  std::atomic<int> pg_connections_max{0};

  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(
      Config(deps, 0),
      {"--no-collector.container", "--no-collector.filesystem", "--no-collector.process"}))
      << exporter.Log();

  const auto origin = Clock::now();
  std::mutex mu;
  std::vector<ScrapeRecord> records;
  std::vector<Event> events;
  std::atomic<bool> stop{false};

  auto scraper = [&] {
    while (!stop) {
      ScrapeRecord rec;
      rec.start = Seconds(Clock::now(), origin);
      auto r = exporter.Request("/metrics", {}, "GET", 15);
      rec.end = Seconds(Clock::now(), origin);
      rec.status = r.status;
      for (const auto& d : deps)
        rec.up[d->target] = SampleValue(r.body, d->up_metric, {{"target", d->target}});
      rec.reload_ok = SampleValue(r.body, "thoth_exporter_config_last_reload_successful");
      for (const auto& d : deps) {
        if (!d->pg) continue;
        int n = CountTcpConnections(exporter.pid(), d->pg->port());
        int seen = pg_connections_max;
        while (n > seen && !pg_connections_max.compare_exchange_weak(seen, n)) {
        }
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        records.push_back(rec);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
    }
  };
  std::thread client1(scraper), client2(scraper);

  std::map<std::string, int> faults;
  int reload_checks = 0, reload_wrong = 0;
  int variant = 0;

  auto reload = [&](bool good) {
    exporter.WriteConfig(good ? Config(deps, ++variant)
                              : Config(deps, variant) +
                                    "  - {name: broken, address: 'redis://127.0.0.1:1', "
                                    "connect_timeout: -1s}\n");
    auto r = exporter.Request("/-/reload", {}, "POST", 15);
    ++faults[good ? "reload (good)" : "reload (bad)"];
    {
      // A reload is a change for every target too (a good one rebuilds the collectors, whose
      // first scrape reconnects): the promise is "right within one interval" after it.
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& d : deps) {
        events.push_back({Seconds(Clock::now(), origin), d->target, d->state == Dependency::kUp});
      }
    }
    auto after = exporter.Request("/metrics", {}, "GET", 15);
    double ok = SampleValue(after.body, "thoth_exporter_config_last_reload_successful");
    ++reload_checks;
    if (r.status != (good ? 200 : 500) || ok != (good ? 1 : 0)) {
      ++reload_wrong;
      ADD_FAILURE() << "reload " << (good ? "good" : "bad") << ": status " << r.status
                    << ", last_reload_successful " << ok << ": " << r.body;
    }
  };
  enum Action { kStop, kFreeze, kMend };
  auto apply = [&](Dependency& d, Action action) {
    bool up_after = true;
    if (action == kStop && d.state == Dependency::kUp) {
      d.Stop();
      d.state = Dependency::kStopped;
      ++faults["stop"];
      up_after = false;
    } else if (action == kFreeze && d.state == Dependency::kUp) {
      d.Freeze();
      d.state = Dependency::kFrozen;
      ++faults["freeze (SIGSTOP)"];
      up_after = false;
    } else if (d.state == Dependency::kStopped) {
      if (!d.Restart()) ADD_FAILURE() << d.Log();
      d.state = Dependency::kUp;
      ++faults["restart"];
    } else if (d.state == Dependency::kFrozen) {
      d.Thaw();
      d.state = Dependency::kUp;
      ++faults["thaw (SIGCONT)"];
    } else {
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    events.push_back({Seconds(Clock::now(), origin), d.target, up_after});
  };

  // Warm-up: every kind of fault and reload once, and a burst of concurrent scrapes that
  // reaches every HTTP worker thread, so that first-use allocations (thread stacks, malloc
  // arenas, error paths) happen before the footprint is measured.
  for (auto& d : deps) {
    for (Action a : {kStop, kMend, kFreeze}) {
      apply(*d, a);
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    std::this_thread::sleep_for(std::chrono::seconds(3));  // a scrape times out on the frozen one
    apply(*d, kMend);
  }
  reload(false);
  reload(true);
  {
    std::vector<std::thread> burst;
    for (int t = 0; t < 16; ++t) {
      burst.emplace_back([&] {
        for (int i = 0; i < 12; ++i) exporter.Request("/metrics", {}, "GET", 15);
      });
    }
    for (auto& t : burst) t.join();
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double warmup = Seconds(Clock::now(), origin);
  const long rss_base = ResidentBytes(exporter.pid());
  const int fds_base = OpenFds(exporter.pid());
  long rss_max = rss_base;

  // Leave room at the end to mend everything and measure.
  const double fault_end = duration - 2 * kInterval - 4;
  while (Seconds(Clock::now(), origin) < fault_end) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(1500, 4000)(rng)));
    rss_max = std::max(rss_max, ResidentBytes(exporter.pid()));
    int pick = std::uniform_int_distribution<int>(0, static_cast<int>(deps.size()))(rng);
    if (pick == static_cast<int>(deps.size())) {
      reload(std::uniform_int_distribution<int>(0, 1)(rng) == 1);  // good or bad
      continue;
    }
    Dependency& d = *deps[pick];
    apply(d, d.state != Dependency::kUp
                 ? kMend
                 : (std::uniform_int_distribution<int>(0, 1)(rng) == 0 ? kStop : kFreeze));
  }
  // Mend everything and let the scrapers see it.
  for (auto& d : deps) {
    if (d->state == Dependency::kFrozen) d->Thaw();
    if (d->state == Dependency::kStopped) {
      ASSERT_TRUE(d->Restart());
    }
    if (d->state != Dependency::kUp) {
      std::lock_guard<std::mutex> lock(mu);
      events.push_back({Seconds(Clock::now(), origin), d->target, true});
    }
    d->state = Dependency::kUp;
  }
  exporter.WriteConfig(Config(deps, 0));
  EXPECT_EQ(exporter.Request("/-/reload", {}, "POST", 15).status, 200);
  while (Seconds(Clock::now(), origin) < duration) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const long rss_end = ResidentBytes(exporter.pid());
  const int fds_end = OpenFds(exporter.pid());
  stop = true;
  client1.join();
  client2.join();

  // Judge every scrape.
  int failed = 0, late = 0, up_checked = 0, up_wrong = 0;
  double worst = 0;
  for (const auto& rec : records) {
    const double took = rec.end - rec.start;
    worst = std::max(worst, took);
    if (rec.status != 200) {
      ++failed;
      continue;
    }
    if (took > kScrapeTimeout + kDeadlineSlack) ++late;
    for (const auto& d : deps) {
      // The last change of this target before the scrape, if it is at least one interval old
      // and no later change happened while the scrape ran.
      const Event* last = nullptr;
      bool changed_during = false;
      for (const auto& e : events) {
        if (e.target != d->target) continue;
        if (e.at <= rec.start) last = &e;
        if (e.at > rec.start && e.at < rec.end) changed_during = true;
      }
      if (changed_during) continue;
      const double since = last ? rec.start - last->at : rec.start;
      if (since < kInterval) continue;
      const bool expect_up = last ? last->up_after : true;
      ++up_checked;
      if (rec.up.at(d->target) != (expect_up ? 1 : 0)) {
        ++up_wrong;
        if (up_wrong <= 10) {
          ADD_FAILURE() << d->target << " up=" << rec.up.at(d->target) << " in the scrape at "
                        << rec.start << " s, expected " << expect_up << " since " << since << " s";
        }
      }
    }
  }
  const bool running = exporter.process().Running();
  const int wait_status = exporter.process().Stop(SIGTERM);
  const std::string log = exporter.Log();

  std::printf("soak summary (seed %u)\n", seed);
  std::printf("  duration %.0f s, warm-up (with faults) %.0f s, %zu scrapes by 2 clients\n",
              duration, warmup, records.size());
  int total_faults = 0;
  for (const auto& [kind, n] : faults) {
    std::printf("  fault %-18s %d\n", kind.c_str(), n);
    total_faults += n;
  }
  std::printf("  faults injected %d\n", total_faults);
  std::printf("  failed scrapes %d, late (> %.0f s + %.0f s) %d, slowest %.3f s\n", failed,
              kScrapeTimeout, kDeadlineSlack, late, worst);
  std::printf("  *_up checks %d, wrong %d; reload checks %d, wrong %d\n", up_checked, up_wrong,
              reload_checks, reload_wrong);
  std::printf("  RSS %ld KiB after warm-up, %ld KiB at the end (growth %ld KiB), at most %ld KiB\n",
              rss_base / 1024, rss_end / 1024, (rss_end - rss_base) / 1024, rss_max / 1024);
  std::printf("  PostgreSQL sessions of the exporter at most %d (one target)\n",
              pg_connections_max.load());
  std::printf("  open fds %d after warm-up, %d at the end\n", fds_base, fds_end);
  std::printf("  exporter running at the end: %s, exit on SIGTERM: %s\n", running ? "yes" : "no",
              WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0 ? "clean" : "NOT CLEAN");

  EXPECT_TRUE(running) << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
  EXPECT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << wait_status;
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(late, 0);
  EXPECT_GT(up_checked, 0);
  EXPECT_EQ(up_wrong, 0);
  EXPECT_GT(total_faults, 0);
  EXPECT_LT(rss_end - rss_base, kMaxRssGrowth);
  EXPECT_LE(fds_end, fds_base);
  EXPECT_LE(pg_connections_max, 1);
  EXPECT_EQ(log.find("terminate called"), std::string::npos);
}

}  // namespace
}  // namespace thoth::testing

// Fault soak: the real exporter (PostgreSQL, Redis, ChromaDB and logs collectors) scraped
// continuously by two clients while its dependencies are stopped, frozen (SIGSTOP/SIGCONT) and
// restarted at random, the memory service's log is written and rotated, and its configuration is
// reloaded (good and bad). Checks and reports: no crash, no scrape past its deadline, `*_up` right
// within one scrape interval of each change, the reload status right after each reload, at most
// one PostgreSQL session per target, resident memory growth under 1 MiB and no file descriptor
// growth after warm-up, and the MEM-001 count equal to the lines written with it, exactly.
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
#include "tests/integration/harness/chroma_server.h"
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

// One dependency the soak breaks and mends: a Redis, PostgreSQL or ChromaDB server.
struct Dependency {
  std::string target;
  std::string up_metric;
  std::unique_ptr<RedisServer> redis;
  std::unique_ptr<PostgresServer> pg;
  std::unique_ptr<ChromaServer> chroma;
  enum State { kUp, kStopped, kFrozen } state = kUp;

  bool Start() {
    std::string error;
    if (chroma) return chroma->Start(&error);
    return redis ? redis->Start() : pg->Start();
  }
  void Stop() {
    if (chroma) return chroma->Kill();
    redis ? redis->Stop() : (void)pg->Stop();
  }
  bool Restart() {
    std::string error;
    if (chroma) return chroma->Restart(&error);
    return redis ? redis->Restart() : pg->Start();
  }
  void Freeze() {
    if (chroma) return chroma->Freeze();
    redis ? redis->Freeze() : pg->Freeze();
  }
  void Thaw() {
    if (chroma) return chroma->Thaw();
    redis ? redis->Thaw() : pg->Thaw();
  }
  std::string Log() const {
    if (chroma) return chroma->Log();
    return redis ? redis->Log() : pg->Log();
  }
};

// The memory service's log: lines appended at random intervals, every third with MEM-001, and
// rotated by rename and re-create now and then (the rotated files leave the glob).
class LogWriter {
 public:
  explicit LogWriter(std::string dir) : dir_(std::move(dir)) {}
  std::string glob() const { return dir_ + "/memory-service.log"; }

  void Run(const std::atomic<bool>& stop, unsigned seed) {
    std::mt19937 rng(seed);
    FILE* f = std::fopen(glob().c_str(), "a");
    while (!stop && f != nullptr) {
      for (int i = std::uniform_int_distribution<int>(1, 200)(rng); i > 0; --i, ++lines_) {
        if (lines_ % 3 == 0) {
          std::fprintf(f, "ERROR MEM-001 database unreachable (line %llu)\n",
                       static_cast<unsigned long long>(lines_));
          ++mem001_;
        } else {
          std::fprintf(f, "INFO stored memory %llu\n", static_cast<unsigned long long>(lines_));
        }
      }
      std::fflush(f);
      if (std::uniform_int_distribution<int>(0, 40)(rng) == 0) {
        std::fclose(f);
        std::rename(glob().c_str(), (glob() + "." + std::to_string(++rotations_)).c_str());
        f = std::fopen(glob().c_str(), "a");
      }
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 60)(rng)));
    }
    if (f != nullptr) std::fclose(f);
  }
  std::uint64_t mem001() const { return mem001_; }
  int rotations() const { return rotations_; }

 private:
  std::string dir_;
  std::atomic<std::uint64_t> lines_{0}, mem001_{0};
  std::atomic<int> rotations_{0};
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

std::string Config(const std::vector<std::unique_ptr<Dependency>>& deps, int variant,
                   const LogWriter& log) {
  const std::string timeout = variant % 2 == 0 ? "2s" : "1500ms";
  std::string redis, pg, chroma;
  for (const auto& d : deps) {
    if (d->chroma) {
      chroma += "  - {name: " + d->target + ", url: '" + d->chroma->url() + "', timeout: " +
                timeout + "}\n";
    } else if (d->redis) {
      redis += "  - {name: " + d->target + ", address: '" + d->redis->address() +
               "', connect_timeout: " + timeout + "}\n";
    } else {
      pg += "  - {name: " + d->target + ", dsn: '" + d->pg->MonitorDsn() + "', password_file: '" +
            d->pg->MonitorPasswordFile() + "', connect_timeout: " + timeout + "}\n";
    }
  }
  // The log's entry is the same in every variant: a reload keeps its tailer and its counts.
  return "exporter: {scrape_timeout: 3s}\n" + (pg.empty() ? "" : "postgres:\n" + pg) +
         (chroma.empty() ? "" : "chroma:\n" + chroma) + "logs:\n  - {name: memory-service, path: '" +
         log.glob() + "', format: error_codes}\nredis:\n" + redis;
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
  {
    auto d = std::make_unique<Dependency>();
    d->target = "vectors";
    d->up_metric = "chroma_up";
    d->chroma = std::make_unique<ChromaServer>();
    ASSERT_TRUE(d->Start()) << d->Log();
    deps.push_back(std::move(d));
  }
  const std::string log_dir = MakeTempDir("thoth-soak-logs");
  LogWriter log_writer(log_dir);
  WriteFile(log_writer.glob(), "");  // there before the exporter: read from its start (empty)
  // The exporter's sessions to PostgreSQL, sampled by the scrapers: never more than one.
  std::atomic<int> pg_connections_max{0};

  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(
      Config(deps, 0, log_writer),
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
  std::atomic<bool> stop_writing{false};
  std::thread writer([&] { log_writer.Run(stop_writing, seed); });

  std::map<std::string, int> faults;
  int reload_checks = 0, reload_wrong = 0;
  int variant = 0;

  auto reload = [&](bool good) {
    exporter.WriteConfig(good ? Config(deps, ++variant, log_writer)
                              : Config(deps, variant, log_writer) +
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
  exporter.WriteConfig(Config(deps, 0, log_writer));
  EXPECT_EQ(exporter.Request("/-/reload", {}, "POST", 15).status, 200);
  stop_writing = true;
  writer.join();
  while (Seconds(Clock::now(), origin) < duration) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const long rss_end = ResidentBytes(exporter.pid());
  const int fds_end = OpenFds(exporter.pid());
  stop = true;
  client1.join();
  client2.join();
  // Every MEM-001 line written, counted once: the tailer had the final mending interval to
  // finish the last rotated file (rotate_wait) and the live one.
  const std::map<std::string, std::string> mem001 = {{"code", "MEM-001"},
                                                     {"source", "memory-service"}};
  double counted = SampleValue(exporter.Request("/metrics").body, "thoth_memory_errors_total", mem001);
  for (int i = 0; i < 50 && counted != static_cast<double>(log_writer.mem001()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    counted = SampleValue(exporter.Request("/metrics").body, "thoth_memory_errors_total", mem001);
  }

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
  std::printf("  log: %llu MEM-001 lines written through %d rotations, %.0f counted\n",
              static_cast<unsigned long long>(log_writer.mem001()), log_writer.rotations(),
              counted);
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
  EXPECT_GT(log_writer.rotations(), 0);
  EXPECT_EQ(counted, static_cast<double>(log_writer.mem001()));
  EXPECT_EQ(log.find("terminate called"), std::string::npos);
  RemoveTree(log_dir);
}

}  // namespace
}  // namespace thoth::testing

#include "exporter/scrape_engine.h"

#include <atomic>
#include <condition_variable>
#include <future>
#include <thread>
#include <unordered_map>

#include "exporter/metric_sink.h"
#include "gtest/gtest.h"
#include "tests/support/legacy_text.h"

namespace thoth {
namespace {

using std::chrono::milliseconds;

// A collector whose behaviour the test sets: succeed, fail, throw, or block until released.
class FakeCollector : public Collector {
 public:
  enum class Mode { kOk, kFail, kThrow, kBlock };
  FakeCollector(std::string target, Mode mode, std::string fingerprint = "f")
      : Collector(CollectorId::Labelled("fake", std::move(target), std::move(fingerprint))),
        mode_(mode) {}

  void Start() override { ++starts; }

  Status Collect(const ScrapeContext&, MetricSink& sink) override {
    ++calls;
    sink.Gauge("fake_up", "Fake.", {}, mode_ == Mode::kOk ? 1 : 0);
    switch (mode_) {
      case Mode::kOk:
        return Status::Ok();
      case Mode::kFail:
        return Status::Error("refused");
      case Mode::kThrow:
        throw std::runtime_error("boom");
      case Mode::kBlock: {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, std::chrono::seconds(10), [&] { return released_; });
        return Status::Ok();
      }
    }
    return Status::Ok();
  }
  void TimedOut(MetricSink& sink) const override { sink.Gauge("fake_up", "Fake.", {}, 0); }

  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }

  std::atomic<int> calls{0};
  std::atomic<int> starts{0};

 private:
  Mode mode_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
};

const TargetResult* Find(const std::vector<TargetResult>& results, const std::string& target) {
  for (const auto& r : results) {
    if (r.target == target) return &r;
  }
  return nullptr;
}

TEST(ScrapeEngine, FailuresAreIsolatedAndExceptionsCaught) {
  ScrapeEngine engine;
  auto ok = std::make_shared<FakeCollector>("ok", FakeCollector::Mode::kOk);
  auto fail = std::make_shared<FakeCollector>("fail", FakeCollector::Mode::kFail);
  auto boom = std::make_shared<FakeCollector>("throw", FakeCollector::Mode::kThrow);
  engine.SetCollectors({ok, fail, boom});
  auto results = engine.Collect(Clock::now() + std::chrono::seconds(5));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(Find(results, "ok")->success);
  EXPECT_FALSE(Find(results, "fail")->success);
  EXPECT_EQ(Find(results, "fail")->error, "refused");
  EXPECT_FALSE(Find(results, "throw")->success);
  EXPECT_NE(Find(results, "throw")->error.find("boom"), std::string::npos);
  // Metrics written before a failure are still served.
  double v = -1;
  EXPECT_TRUE(FindSample(*Find(results, "fail")->families, "fake_up", {{"target", "fail"}}, &v));
  EXPECT_EQ(v, 0);
  const std::string text = SerializeResults(results, {});
  EXPECT_EQ(text.find("# TYPE fake_up"), text.rfind("# TYPE fake_up"));
  EXPECT_NE(text.find("fake_up{target=\"ok\"}"), std::string::npos) << text;
  EXPECT_NE(text.find("fake_up{target=\"fail\"}"), std::string::npos) << text;
  EXPECT_NE(text.find("fake_up{target=\"throw\"}"), std::string::npos) << text;
}

TEST(ScrapeEngine, LateTargetIsReportedAtTheDeadlineWithItsTimedOutMetrics) {
  ScrapeEngine engine;
  auto ok = std::make_shared<FakeCollector>("ok", FakeCollector::Mode::kOk);
  auto hung = std::make_shared<FakeCollector>("hung", FakeCollector::Mode::kBlock);
  engine.SetCollectors({ok, hung});
  const auto start = Clock::now();
  auto results = engine.Collect(start + milliseconds(300));
  const auto took = Clock::now() - start;
  EXPECT_GE(took, milliseconds(290));
  EXPECT_LT(took, milliseconds(2000));  // generous: the point is "not 10 s"
  EXPECT_TRUE(Find(results, "ok")->success);
  const TargetResult* late = Find(results, "hung");
  ASSERT_NE(late, nullptr);
  EXPECT_FALSE(late->success);
  EXPECT_TRUE(late->timed_out);
  double v = -1;
  EXPECT_TRUE(FindSample(*late->families, "fake_up", {{"target", "hung"}}, &v));
  EXPECT_EQ(v, 0);
  hung->Release();
}

TEST(ScrapeEngine, ConcurrentScrapesShareOneInflightCollection) {
  ScrapeEngine engine;
  auto slow = std::make_shared<FakeCollector>("slow", FakeCollector::Mode::kBlock);
  engine.SetCollectors({slow});
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  std::vector<std::future<std::vector<TargetResult>>> scrapes;
  for (int i = 0; i < 8; ++i) {
    scrapes.push_back(std::async(std::launch::async, [&] { return engine.Collect(deadline); }));
  }
  std::this_thread::sleep_for(milliseconds(200));
  slow->Release();
  for (auto& f : scrapes) {
    auto r = f.get();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(r[0].success);
  }
  EXPECT_EQ(slow->calls.load(), 1);
  // The next scrape starts a fresh collection.
  engine.Collect(Clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(slow->calls.load(), 2);
}

TEST(ScrapeEngine, HungTargetHoldsOneCollectionAcrossScrapes) {
  ScrapeEngine engine;
  auto hung = std::make_shared<FakeCollector>("hung", FakeCollector::Mode::kBlock);
  engine.SetCollectors({hung});
  for (int i = 0; i < 5; ++i) {
    auto r = engine.Collect(Clock::now() + milliseconds(50));
    EXPECT_TRUE(r[0].timed_out);
  }
  EXPECT_EQ(hung->calls.load(), 1);
  hung->Release();
}

TEST(ScrapeEngine, ReloadKeepsUnchangedInstancesAndStartsNewOnes) {
  ScrapeEngine engine;
  auto a = std::make_shared<FakeCollector>("a", FakeCollector::Mode::kOk, "v1");
  auto b = std::make_shared<FakeCollector>("b", FakeCollector::Mode::kOk, "v1");
  engine.SetCollectors({a, b});
  EXPECT_EQ(a->starts.load(), 1);
  auto a2 = std::make_shared<FakeCollector>("a", FakeCollector::Mode::kOk, "v1");
  auto b2 = std::make_shared<FakeCollector>("b", FakeCollector::Mode::kOk, "v2");
  engine.SetCollectors({a2, b2});
  auto now = engine.Collectors();
  ASSERT_EQ(now.size(), 2u);
  EXPECT_EQ(now[0].get(), a.get());   // unchanged: kept with its state
  EXPECT_EQ(now[1].get(), b2.get());  // changed: replaced
  EXPECT_EQ(a2->starts.load(), 0);
  EXPECT_EQ(b2->starts.load(), 1);
}

TEST(ScrapeEngine, FilterSelectsTargets) {
  ScrapeEngine engine;
  auto a = std::make_shared<FakeCollector>("a", FakeCollector::Mode::kOk);
  auto b = std::make_shared<FakeCollector>("b", FakeCollector::Mode::kOk);
  engine.SetCollectors({a, b});
  auto r = engine.Collect(Clock::now() + std::chrono::seconds(5),
                          [](const Collector& c) { return c.Target() == "b"; });
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].target, "b");
  EXPECT_EQ(a->calls.load(), 0);
}

TEST(SerializeResults, ConflictingTypesKeepTheFirst) {
  TargetResult r1, r2;
  MetricSink s1("a"), s2("b");
  s1.Gauge("m", "h", {}, 1);
  s2.Counter("m", "h", {}, 2);
  s2.Gauge("n", "h", {}, 3);
  r1.families = std::make_shared<const Families>(s1.Take());
  r2.families = std::make_shared<const Families>(s2.Take());
  EXPECT_EQ(SerializeResults({r1, r2}, {}),
            "# HELP m h\n# TYPE m gauge\nm{target=\"a\"} 1\n"
            "# HELP n h\n# TYPE n gauge\nn{target=\"b\"} 3\n");
}

// A sink's samples with, beside them, the same samples as the old sink built them.
struct Part {
  std::shared_ptr<const Families> families;
  std::vector<prometheus::MetricFamily> legacy;
};
Part Take(MetricSink& sink) {
  Part p;
  p.families = std::make_shared<const Families>(sink.Take());
  p.legacy = testing::LegacyFamilies(sink);
  return p;
}

// SerializeResults must write exactly what the former path wrote: MergeFamilies' copy of every
// part's families, serialized by prometheus-cpp's TextSerializer.
std::string Reference(const std::vector<Part>& parts, const Part& extra) {
  std::vector<std::vector<prometheus::MetricFamily>> legacy;
  for (const Part& p : parts) legacy.push_back(p.legacy);
  legacy.push_back(extra.legacy);
  return testing::LegacyText(testing::LegacyMerge(legacy));
}
std::vector<TargetResult> Results(const std::vector<Part>& parts) {
  std::vector<TargetResult> out(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) out[i].families = parts[i].families;
  return out;
}

TEST(SerializeResults, EqualsTheMergedCopyByteForByte) {
  MetricSink a("pg-a"), b("pg-b"), c("cache"), self;
  a.Gauge("pg_up", "Whether the server answered.", {}, 1);
  a.Counter("pg_xact_commit", "Commits.", {{"datname", "bench"}}, 12);
  a.Gauge("only_a", "", {}, 3);  // no HELP line
  b.Gauge("pg_up", "Whether the server answered.", {}, 0);
  b.Counter("pg_xact_commit", "Commits.", {{"datname", "x"}}, 1);
  b.Counter("only_a", "a different type: dropped", {}, 4);
  b.Histogram("lat_seconds", "Latency.", {{"q", "a\\b"}}, {0.1, 1}, {1, 2}, 3, 1.5);
  c.Gauge("redis_up", "Redis answered.", {}, 1);
  c.Gauge("pg_up", "Whether the server answered.", {{"odd", "yes"}}, 1);
  c.Gauge("escaped", "help with \\ and\nnewline", {{"l", "va\"l\nue"}}, 2);
  c.Histogram("lat_seconds", "Other help.", {}, {0.5}, {7}, 7, 2e-7);
  self.Gauge("thoth_exporter_collector_success", "1 when ...", {{"collector", "p"}}, 1);
  self.Gauge("redis_up", "Redis answered.", {{"from", "self"}}, 1);
  const Part pa = Take(a), pb = Take(b), pc = Take(c), extra = Take(self);
  Part empty{std::make_shared<const Families>(), {}}, none;
  std::vector<Part> parts = {pa, empty, pb, none, pc};
  const std::string got = SerializeResults(Results(parts), *extra.families);
  EXPECT_EQ(got, Reference(parts, extra));
  // Each family once, its samples in result order; the counter that conflicts is gone.
  EXPECT_EQ(got.find("# TYPE pg_up gauge"), got.rfind("# TYPE pg_up gauge"));
  EXPECT_LT(got.find("pg_up{target=\"pg-a\"}"), got.find("pg_up{target=\"pg-b\"}"));
  EXPECT_EQ(got.find("only_a{target=\"pg-b\"}"), std::string::npos);
  EXPECT_NE(got.find("redis_up{from=\"self\"}"), std::string::npos);
  EXPECT_NE(got.find("lat_seconds_bucket{target=\"cache\",le=\"0.5\"} 7"), std::string::npos);
}

TEST(SerializeResults, OnePartAndNoPart) {
  MetricSink a("x"), self;
  a.Gauge("m", "h", {}, 1);
  a.Counter("n_total", "h", {{"k", "v"}}, 2);
  const Part p = Take(a), none = Take(self);
  EXPECT_EQ(SerializeResults(Results({p}), {}), Reference({p}, none));
  EXPECT_EQ(SerializeResults({}, {}), "");
  EXPECT_EQ(SerializeResults({TargetResult{}}, {}), "");
}

// The buffers of a target's last collection are refilled by its next one once no scrape holds
// them, and a scrape that still holds them keeps what it read.
TEST(ScrapeEngine, ReusesTheBuffersOfTheLastCollection) {
  ScrapeEngine engine;
  auto ok = std::make_shared<FakeCollector>("ok", FakeCollector::Mode::kOk);
  engine.SetCollectors({ok});
  auto first = engine.Collect(Clock::now() + std::chrono::seconds(5));
  ASSERT_EQ(first.size(), 1u);
  const Families* held = first[0].families.get();
  const std::string text = SerializeResults(first, {});
  auto second = engine.Collect(Clock::now() + std::chrono::seconds(5));
  EXPECT_NE(second[0].families.get(), held);  // still held by `first`
  EXPECT_EQ(SerializeResults(first, {}), text);
  EXPECT_EQ(SerializeResults(second, {}), text);
  first.clear();
  const Families* second_buffers = second[0].families.get();
  second.clear();
  // The collection thread lets go of its copy just after it hands the result over.
  std::this_thread::sleep_for(milliseconds(100));
  auto third = engine.Collect(Clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(third[0].families.get(), second_buffers);
  EXPECT_EQ(SerializeResults(third, {}), text);
}

}  // namespace
}  // namespace thoth

namespace thoth {
namespace {

// Found by the fault soak: a reload that changed a target whose server hung let the new
// instance open a second connection beside the old instance's.
TEST(ScrapeEngine, ChangedTargetJoinsItsPredecessorsInflightCollection) {
  ScrapeEngine engine;
  auto old_instance = std::make_shared<FakeCollector>("db", FakeCollector::Mode::kBlock, "v1");
  engine.SetCollectors({old_instance});
  auto first = engine.Collect(Clock::now() + std::chrono::milliseconds(50));
  EXPECT_TRUE(first[0].timed_out);
  auto new_instance = std::make_shared<FakeCollector>("db", FakeCollector::Mode::kOk, "v2");
  engine.SetCollectors({new_instance});
  auto second = engine.Collect(Clock::now() + std::chrono::milliseconds(50));
  EXPECT_TRUE(second[0].timed_out);
  EXPECT_EQ(new_instance->calls.load(), 0);
  old_instance->Release();
  // Once the old collection ends, the new instance collects.
  std::vector<TargetResult> third;
  for (int i = 0; i < 100 && new_instance->calls.load() == 0; ++i) {
    third = engine.Collect(Clock::now() + std::chrono::seconds(2));
  }
  EXPECT_GE(new_instance->calls.load(), 1);
}

// A collector that opens one "session" on its first collection and keeps it until destroyed,
// as the PostgreSQL and Redis collectors keep their connections between scrapes.
class SessionCollector : public Collector {
 public:
  SessionCollector(std::string fingerprint, std::atomic<int>* open, std::atomic<int>* most)
      : Collector(CollectorId::Labelled("session", "db", std::move(fingerprint))),
        open_(open),
        most_(most) {}
  ~SessionCollector() override {
    if (has_session_) --*open_;
  }
  Status Collect(const ScrapeContext&, MetricSink& sink) override {
    if (!has_session_) {
      has_session_ = true;
      const int n = ++*open_;
      int seen = *most_;
      while (n > seen && !most_->compare_exchange_weak(seen, n)) {
      }
    }
    ++calls;
    sink.Gauge("fake_up", "Fake.", {}, 1);
    return Status::Ok();
  }
  std::atomic<int> calls{0};

 private:
  std::atomic<int>* open_;
  std::atomic<int>* most_;
  bool has_session_ = false;
};

// Found by the fault soak (two PostgreSQL sessions at once after a good reload): a scrape that
// began before the reload and waits for a slow target held the replaced instance, and with it
// its idle session, while a scrape after the reload had the new instance open its own. A
// replaced instance must be gone before its successor collects.
TEST(ScrapeEngine, ReplacedInstanceIsGoneBeforeItsSuccessorCollects) {
  std::atomic<int> open{0}, most{0};
  auto slow = std::make_shared<FakeCollector>("hung", FakeCollector::Mode::kBlock);
  auto old_instance = std::make_shared<SessionCollector>("v1", &open, &most);
  ScrapeEngine engine;
  engine.SetCollectors({old_instance, slow});
  std::weak_ptr<SessionCollector> old_weak = old_instance;
  old_instance.reset();
  // Scrape A: the session target answers at once, the hung one keeps A waiting to its deadline.
  auto a = std::async(std::launch::async, [&] {
    return engine.Collect(Clock::now() + std::chrono::milliseconds(400));
  });
  for (int i = 0; i < 200 && open.load() == 0; ++i) std::this_thread::sleep_for(milliseconds(2));
  ASSERT_EQ(open.load(), 1);
  // A reload changes the session target; scrape B runs while A still waits.
  auto new_instance = std::make_shared<SessionCollector>("v2", &open, &most);
  engine.SetCollectors({new_instance, slow});
  EXPECT_TRUE(old_weak.expired()) << "the replaced instance outlived the reload";
  auto b = engine.Collect(Clock::now() + std::chrono::milliseconds(100));
  EXPECT_EQ(new_instance->calls.load(), 1);
  a.get();
  EXPECT_EQ(most.load(), 1) << "two sessions to one target at once";
  slow->Release();
}

// A collector that throws half-way, as a bug would, and must drop its session afterwards.
class ThrowingSessionCollector : public Collector {
 public:
  ThrowingSessionCollector() : Collector(CollectorId::Labelled("session", "db", "f")) {}
  Status Collect(const ScrapeContext&, MetricSink& sink) override {
    session_open = true;
    sink.Gauge("fake_rows", "Fake.", {}, 7);
    throw std::runtime_error("protocol state lost; password=hunter2");
  }
  void AfterThrow(MetricSink& sink, std::string& error) override {
    ++after_throw_calls;
    session_open = false;
    sink.Gauge("fake_up", "Fake.", {}, 0);
    const auto at = error.find("hunter2");
    if (at != std::string::npos) error.replace(at, 7, "********");
  }
  std::atomic<bool> session_open{false};
  std::atomic<int> after_throw_calls{0};
};

TEST(ScrapeEngine, AfterAnExceptionTheCollectorResetsAndKeepsWhatItWrote) {
  ScrapeEngine engine;
  auto c = std::make_shared<ThrowingSessionCollector>();
  engine.SetCollectors({c});
  auto results = engine.Collect(Clock::now() + std::chrono::seconds(5));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].success);
  EXPECT_EQ(results[0].error, "internal error: protocol state lost; password=********");
  EXPECT_EQ(c->after_throw_calls.load(), 1);
  EXPECT_FALSE(c->session_open.load());
  double v = -1;
  EXPECT_TRUE(FindSample(*results[0].families, "fake_rows", {{"target", "db"}}, &v));
  EXPECT_EQ(v, 7);
  EXPECT_TRUE(FindSample(*results[0].families, "fake_up", {{"target", "db"}}, &v));
  EXPECT_EQ(v, 0);
}

TEST(ScrapeContext, IoDeadlineKeepsATenthOfTheBudgetUpToTheMargin) {
  const auto now = Clock::now();
  ScrapeContext eight;
  eight.start = now;
  eight.deadline = now + std::chrono::seconds(8);
  EXPECT_EQ(eight.deadline - eight.IoDeadline(), ScrapeContext::kMaxIoMargin);
  ScrapeContext short_budget;
  short_budget.start = now;
  short_budget.deadline = now + milliseconds(300);
  EXPECT_EQ(short_budget.deadline - short_budget.IoDeadline(), milliseconds(30));
  ScrapeContext past;
  past.start = now;
  past.deadline = now - milliseconds(5);
  EXPECT_EQ(past.IoDeadline(), past.deadline);
  // Made from a deadline, as the engine makes it: the budget counts from now.
  ScrapeContext made{Clock::now() + std::chrono::seconds(2)};
  EXPECT_LE(made.IoDeadline(), made.deadline - milliseconds(100));
  EXPECT_GT(made.IoSecondsLeft(), 1.8);
}

TEST(CollectorId, KindsOfIdentity) {
  const CollectorId labelled = CollectorId::Labelled("redis", "cache", "fp");
  EXPECT_EQ(labelled.target_label, "cache");
  const CollectorId unlabelled = CollectorId::Unlabelled("backup", "postgres", "fp");
  EXPECT_EQ(unlabelled.target, "postgres");
  EXPECT_EQ(unlabelled.target_label, "");
  const CollectorId single = CollectorId::Single("process", "fp");
  EXPECT_EQ(single.target, "process");
  EXPECT_EQ(single.target_label, "");
  EXPECT_EQ(single.fingerprint, "fp");
}

}  // namespace
}  // namespace thoth

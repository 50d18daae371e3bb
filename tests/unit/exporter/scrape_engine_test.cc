#include "exporter/scrape_engine.h"

#include <atomic>
#include <condition_variable>
#include <future>
#include <thread>

#include "gtest/gtest.h"

namespace thoth {
namespace {

using std::chrono::milliseconds;

// A collector whose behaviour the test sets: succeed, fail, throw, or block until released.
class FakeCollector : public Collector {
 public:
  enum class Mode { kOk, kFail, kThrow, kBlock };
  FakeCollector(std::string target, Mode mode, std::string fingerprint = "f")
      : target_(std::move(target)), mode_(mode), fingerprint_(std::move(fingerprint)) {}

  const std::string& Name() const override { return name_; }
  const std::string& Target() const override { return target_; }
  const std::string& Fingerprint() const override { return fingerprint_; }
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
  std::string name_ = "fake";
  std::string target_;
  Mode mode_;
  std::string fingerprint_;
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
  auto merged = MergeFamilies(results);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].metric.size(), 3u);
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

TEST(MergeFamilies, ConflictingTypesKeepTheFirst) {
  TargetResult r1, r2;
  MetricSink s1("a"), s2("b");
  s1.Gauge("m", "h", {}, 1);
  s2.Counter("m", "h", {}, 2);
  s2.Gauge("n", "h", {}, 3);
  r1.families = std::make_shared<const std::vector<prometheus::MetricFamily>>(s1.Take());
  r2.families = std::make_shared<const std::vector<prometheus::MetricFamily>>(s2.Take());
  auto merged = MergeFamilies({r1, r2});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].metric.size(), 1u);
  EXPECT_EQ(merged[1].name, "n");
}

}  // namespace
}  // namespace thoth

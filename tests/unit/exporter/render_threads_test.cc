#include "exporter/render_threads.h"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace thoth {
namespace {

TEST(RenderThreads, RunsTheJobOnAnotherThreadAndWaitsForIt) {
  RenderThreads threads;
  std::thread::id ran_on;
  int value = 0;
  threads.Run([&] {
    ran_on = std::this_thread::get_id();
    value = 42;
  });
  EXPECT_EQ(value, 42);
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(RenderThreads, SequentialRunsReuseOneThread) {
  RenderThreads threads(2);
  std::set<std::thread::id> ids;
  for (int i = 0; i < 100; ++i) threads.Run([&] { ids.insert(std::this_thread::get_id()); });
  EXPECT_EQ(threads.started(), 1u);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(threads.idle(), 1u);
}

TEST(RenderThreads, ConcurrentRunsAllFinishAndAtMostKeepThreadsStay) {
  RenderThreads threads(2);
  std::atomic<int> inside{0}, most{0}, done{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 16; ++c) {
    callers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        threads.Run([&] {
          int now = ++inside;
          int seen = most.load();
          while (now > seen && !most.compare_exchange_weak(seen, now)) {
          }
          std::this_thread::yield();
          --inside;
          ++done;
        });
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(done.load(), 16 * 50);
  EXPECT_GT(most.load(), 1) << "the jobs of concurrent callers run in parallel";
  EXPECT_LE(threads.idle(), 2u);
  EXPECT_GE(threads.started(), 2u);
}

TEST(RenderThreads, KeepZeroEndsEveryThread) {
  RenderThreads threads(0);
  std::set<std::thread::id> ids;
  for (int i = 0; i < 5; ++i) threads.Run([&] { ids.insert(std::this_thread::get_id()); });
  EXPECT_EQ(threads.started(), 5u);
  EXPECT_EQ(threads.idle(), 0u);
}

TEST(RenderThreads, DestructorEndsIdleThreads) {
  for (int i = 0; i < 20; ++i) {
    RenderThreads threads(4);
    std::atomic<int> n{0};
    std::vector<std::thread> callers;
    for (int c = 0; c < 4; ++c) callers.emplace_back([&] { threads.Run([&] { ++n; }); });
    for (auto& t : callers) t.join();
    EXPECT_EQ(n.load(), 4);
  }  // would hang here if an idle thread were not woken
}

}  // namespace
}  // namespace thoth

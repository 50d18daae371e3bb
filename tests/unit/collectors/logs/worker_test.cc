#include "collectors/logs/worker.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace thoth::logs {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(Worker, StopWakesAWaitAtOnce) {
  Worker worker;
  std::atomic<int> waits{0};
  worker.Start([&] {
    while (!worker.stopping()) {
      worker.Wait({}, 60s);
      ++waits;
    }
  });
  EXPECT_TRUE(worker.running());
  std::this_thread::sleep_for(50ms);
  auto start = Clock::now();
  worker.Stop();
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_FALSE(worker.running());
  EXPECT_EQ(waits.load(), 1);
  worker.Stop();  // twice: nothing
}

// A worker started again after a Stop() must wait again: the wake-up of the last Stop() is not
// left readable, which would make every wait return at once and the body spin.
TEST(Worker, RestartedWorkerWaitsAgain) {
  Worker worker;
  worker.Start([&] { worker.Wait({}, 60s); });
  worker.Stop();
  std::atomic<int> passes{0};
  worker.Start([&] {
    while (!worker.stopping()) {
      worker.Wait({}, 100ms);
      ++passes;
    }
  });
  std::this_thread::sleep_for(550ms);
  worker.Stop();
  EXPECT_GE(passes.load(), 2);
  EXPECT_LE(passes.load(), 7);  // about 5 timeouts of 100 ms, not thousands of wake-ups
}

TEST(Worker, WaitReturnsWhenADescriptorIsReadable) {
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ASSERT_GE(fd, 0);
  Worker worker;
  std::atomic<bool> woke{false};
  worker.Start([&] {
    worker.Wait({fd, -1}, 60s);  // -1: left out
    woke = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(woke.load());
  std::uint64_t one = 1;
  ASSERT_EQ(::write(fd, &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
  for (int i = 0; i < 500 && !woke.load(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(woke.load());
  worker.Stop();
  ::close(fd);
}

}  // namespace
}  // namespace thoth::logs

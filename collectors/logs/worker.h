#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <initializer_list>
#include <thread>

namespace thoth::logs {

// The background thread of a log source (tailer.h, journal_source.h): started and stopped by the
// collector, woken at once by Stop() while it waits for its files or its journal.
//
// Start() and Stop() are called from one thread at a time (the collector's); stopping() and
// Wait() from the worker's own thread. An eventfd (not a condition variable) is the wake-up so
// that the worker can wait on it together with inotify or sd-journal descriptors in one poll().
class Worker {
 public:
  Worker() = default;
  ~Worker();  // Stop()
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs `body` on a new thread; nothing when one is running. A worker stopped earlier can be
  // started again (a pending wake-up from the last Stop() is dropped first).
  void Start(std::function<void()> body);
  // Asks the body to return, wakes its Wait() and joins the thread; nothing when not running.
  void Stop();
  bool running() const { return thread_.joinable(); }

  // True once Stop() was called: the body returns soon after.
  bool stopping() const { return stop_.load(std::memory_order_relaxed); }
  // The flag itself, for waits elsewhere that must end on Stop() (AcquireStateFile).
  const std::atomic<bool>& stop_flag() const { return stop_; }

  // Waits up to `timeout` until Stop() or until one of `fds` (at most three) is readable (< 0:
  // left out). Returns early on a signal; the caller looks again anyway.
  void Wait(std::initializer_list<int> fds, std::chrono::milliseconds timeout) const;

 private:
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  std::thread thread_;
};

}  // namespace thoth::logs

#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace thoth {

// Runs the rendering of a response (a scrape, a probe) on a thread other than the HTTP
// worker's, and waits for it.
//
// Why: civetweb's 64 workers live as long as the server, and glibc keeps per thread a cache of
// the small blocks the thread freed (tcache, up to 7 per size class) that malloc_trim does not
// return. A scrape allocates and frees hundreds of thousands of small blocks, so each worker
// that ever served one kept a cache of its own: 2.7 MiB of resident memory with every collector
// configured (bench/). Here at most `keep` threads stay between requests and are reused, so
// steady scraping starts no thread; a burst of concurrent requests gets threads that end with
// their request and hand their caches back to the heap.
//
// If no thread can be started, the job runs on the caller's thread. Jobs must not throw.
// Thread-safe. The destructor joins the idle threads; no Run may be in progress.
class RenderThreads {
 public:
  explicit RenderThreads(std::size_t keep = 2) : keep_(keep) {}
  ~RenderThreads();
  RenderThreads(const RenderThreads&) = delete;
  RenderThreads& operator=(const RenderThreads&) = delete;

  void Run(const std::function<void()>& job);

  // Threads started so far and threads idle now (for tests).
  std::size_t started() const;
  std::size_t idle() const;

 private:
  // One Run: lives on the caller's stack; the worker touches it only under mu_ and not after
  // setting done.
  struct Call {
    const std::function<void()>* job = nullptr;
    bool done = false;
    bool exiting = false;  // the worker ended after this job; the caller joins it
    std::condition_variable cv;
  };
  struct Worker {
    std::thread thread;
    Call* call = nullptr;
    std::condition_variable cv;  // a call was given, or stopping
  };
  void Loop(Worker* w);

  const std::size_t keep_;
  mutable std::mutex mu_;
  bool stopping_ = false;
  std::size_t started_ = 0;
  std::list<Worker> workers_;  // every live worker; stable addresses
  std::list<Worker*> idle_;
};

}  // namespace thoth

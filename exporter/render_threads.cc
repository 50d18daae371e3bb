#include "exporter/render_threads.h"

#include <system_error>

namespace thoth {

RenderThreads::~RenderThreads() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (Worker* w : idle_) w->cv.notify_all();
  }
  for (Worker& w : workers_) {
    if (w.thread.joinable()) w.thread.join();
  }
}

void RenderThreads::Run(const std::function<void()>& job) {
  Call call;
  call.job = &job;
  std::unique_lock<std::mutex> lock(mu_);
  Worker* w = nullptr;
  if (!idle_.empty()) {
    w = idle_.back();
    idle_.pop_back();
    w->call = &call;
    w->cv.notify_all();
  } else {
    auto it = workers_.emplace(workers_.end());
    w = &*it;
    w->call = &call;  // before the thread starts: it finds its first call waiting
    try {
      w->thread = std::thread(&RenderThreads::Loop, this, w);
      ++started_;
    } catch (const std::system_error&) {
      workers_.erase(it);
      lock.unlock();
      job();
      return;
    }
  }
  call.cv.wait(lock, [&call] { return call.done; });
  if (!call.exiting) return;
  // The worker was not kept and has returned from Loop: reap it.
  lock.unlock();
  w->thread.join();
  lock.lock();
  for (auto it = workers_.begin(); it != workers_.end(); ++it) {
    if (&*it == w) {
      workers_.erase(it);
      break;
    }
  }
}

void RenderThreads::Loop(Worker* w) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    w->cv.wait(lock, [this, w] { return w->call != nullptr || stopping_; });
    Call* call = w->call;
    if (call == nullptr) return;  // stopping, and idle
    w->call = nullptr;
    lock.unlock();
    (*call->job)();
    lock.lock();
    // Beyond the threads kept, this one ends, and its cache of freed blocks with it.
    const bool keep = !stopping_ && idle_.size() < keep_;
    if (keep) idle_.push_back(w);
    call->exiting = !keep;
    call->done = true;
    call->cv.notify_all();
    if (!keep) return;
  }
}

std::size_t RenderThreads::started() const {
  std::lock_guard<std::mutex> lock(mu_);
  return started_;
}

std::size_t RenderThreads::idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

}  // namespace thoth

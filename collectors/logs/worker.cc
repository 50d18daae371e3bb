#include "collectors/logs/worker.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace thoth::logs {

Worker::~Worker() {
  Stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Worker::Start(std::function<void()> body) {
  if (thread_.joinable()) return;
  stop_ = false;
  if (wake_fd_ < 0) {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  } else {
    // The last Stop()'s wake-up is still readable: left there, every Wait() of the new thread
    // would return at once and the body would spin.
    std::uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(wake_fd_, &count, sizeof(count));
  }
  thread_ = std::thread(std::move(body));
}

void Worker::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  if (wake_fd_ >= 0) {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }
  thread_.join();
}

void Worker::Wait(std::initializer_list<int> fds, std::chrono::milliseconds timeout) const {
  struct pollfd polled[4];
  nfds_t n = 0;
  if (wake_fd_ >= 0) polled[n++] = {wake_fd_, POLLIN, 0};
  for (int fd : fds) {
    if (fd >= 0 && n < 4) polled[n++] = {fd, POLLIN, 0};
  }
  ::poll(polled, n, static_cast<int>(timeout.count()));
}

}  // namespace thoth::logs

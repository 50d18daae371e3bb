// The soak's other inputs beside the servers it breaks: the memory service's log as Docker's
// json-file driver writes it, the same as a systemd unit's journal entries, and a JSON statistics
// endpoint that can hang and lie. Each counts what it wrote, so that the soak can demand exact
// counts from the exporter at the end.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace thoth::testing {

// A container's json-file log under `<dir>/containers/<id>/`, with the config.v2.json Docker
// keeps beside it (name /letta-memory, running), so that the exporter finds it without the
// Engine API. Records are written in write(2) pieces of random size; every third line carries
// MEM-001; the file is rotated the way the json-file driver does with max-file=5 (the oldest
// deleted, the others shifted, a new live file).
class DockerLogWriter {
 public:
  explicit DockerLogWriter(std::string dir);
  // The `log_dir` to configure (the parent of the container's folder).
  std::string log_dir() const { return dir_ + "/containers"; }
  static constexpr const char* kContainer = "letta-memory";

  void Run(const std::atomic<bool>& stop, unsigned seed);
  std::uint64_t mem001() const { return mem001_; }
  int rotations() const { return rotations_; }

 private:
  std::string dir_, live_;
  std::atomic<std::uint64_t> mem001_{0};
  std::atomic<int> rotations_{0};
};

// A systemd unit's journal: entries of memory-service.service (every third with MEM-001) and of
// another unit (always MEM-001: must not be counted) appended through Debian's
// systemd-journal-remote into `<dir>/journal/soak-<n>.journal`. Every 20 appends a new file is
// begun (a rotation), and a file two rotations old is removed once `counted()` shows that the
// exporter has read every entry up to its end (a vacuum under the reader that loses nothing).
class JournalLogWriter {
 public:
  explicit JournalLogWriter(std::string dir);
  // False when systemd-journal-remote is not installed (the soak then leaves the journal out).
  static bool Available();
  std::string directory() const { return dir_ + "/journal"; }
  static constexpr const char* kUnit = "memory-service.service";

  // counted: the exporter's MEM-001 count for this source now (NaN when unknown).
  void Run(const std::atomic<bool>& stop, unsigned seed, const std::function<double()>& counted);
  std::uint64_t mem001() const { return mem001_; }
  int rotations() const { return rotations_; }
  int removed() const { return removed_; }
  int appends() const { return appends_; }
  // Why the last append failed ("" if none did).
  std::string error() const;

 private:
  bool Append(const std::string& file, int n, std::mt19937& rng);

  std::string dir_;
  std::uint64_t seq_ = 0;
  std::atomic<std::uint64_t> mem001_{0};
  std::atomic<int> rotations_{0}, removed_{0}, appends_{0};
  mutable std::mutex mu_;
  std::string error_;
};

// A JSON statistics endpoint (the memory service's /api/memory/stats) on 127.0.0.1 that the soak
// can stop (the port closed), hang (requests read and never answered) and make lie (200 with a
// body that is not a JSON document the exporter may accept: cut short, HTML, nested 10,000
// deep). Plain sockets, one thread; Restart() listens on the same port again.
class JsonTarget {
 public:
  enum class Mode { kGood, kHang, kLie };
  JsonTarget() = default;
  ~JsonTarget();
  JsonTarget(const JsonTarget&) = delete;
  JsonTarget& operator=(const JsonTarget&) = delete;

  bool Start(std::string* error);  // on a free port the first time, the same port after that
  void Stop();
  bool Restart(std::string* error) {
    Stop();
    return Start(error);
  }
  void SetMode(Mode mode);
  Mode mode() const { return mode_; }
  int port() const { return port_; }
  std::string url() const;
  // Requests answered per mode and connections open, for the record.
  std::string Log() const;

 private:
  void Loop();
  void Answer(int fd);

  int port_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  std::atomic<Mode> mode_{Mode::kGood};
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> good_{0}, lies_{0}, hung_{0};
  std::atomic<unsigned> lie_{0};
};

}  // namespace thoth::testing

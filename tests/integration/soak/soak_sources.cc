#include "tests/integration/soak/soak_sources.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include "tests/integration/harness/process.h"

namespace thoth::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* kJournalRemote = "/lib/systemd/systemd-journal-remote";

void Sleep(std::mt19937& rng, int lo_ms, int hi_ms) {
  std::this_thread::sleep_for(
      std::chrono::milliseconds(std::uniform_int_distribution<int>(lo_ms, hi_ms)(rng)));
}

// One json-file record of a line (the line's newline included, as Docker keeps it).
std::string DockerRecord(const std::string& line, const char* stream) {
  std::string out = "{\"log\":\"";
  for (char c : line) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\\n\",\"stream\":\"" + stream + "\",\"time\":\"2026-12-07T10:00:00.000000000Z\"}\n";
}

bool WriteAll(int fd, const std::string& text, std::mt19937& rng) {
  std::size_t done = 0;
  while (done < text.size()) {
    const std::size_t piece = std::min<std::size_t>(text.size() - done, 1 + rng() % 900);
    const ssize_t w = ::write(fd, text.data() + done, piece);
    if (w <= 0) return false;
    done += static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

// ---- Docker ---------------------------------------------------------------------------------

DockerLogWriter::DockerLogWriter(std::string dir) : dir_(std::move(dir)) {
  const std::string id = std::string(32, 'c') + std::string(32, 'd');
  const std::string folder = log_dir() + "/" + id;
  fs::create_directories(folder);
  live_ = folder + "/" + id + "-json.log";
  WriteFile(folder + "/config.v2.json", "{\"ID\":\"" + id + "\",\"Name\":\"/" + kContainer +
                                            "\",\"State\":{\"Running\":true},\"LogPath\":\"" +
                                            live_ + "\"}\n");
  WriteFile(live_, "");  // there before the exporter: read from its start (empty)
}

void DockerLogWriter::Run(const std::atomic<bool>& stop, unsigned seed) {
  std::mt19937 rng(seed);
  std::uint64_t lines = 0;
  int fd = ::open(live_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  while (!stop && fd >= 0) {
    std::string text;
    for (int i = std::uniform_int_distribution<int>(1, 100)(rng); i > 0; --i, ++lines) {
      const char* stream = lines % 2 == 0 ? "stdout" : "stderr";
      if (lines % 3 == 0) {
        text += DockerRecord(
            "ERROR MEM-001 \"agent\" store failed \\ line " + std::to_string(lines), stream);
        ++mem001_;
      } else {
        text += DockerRecord("INFO recalled memory " + std::to_string(lines), stream);
      }
    }
    if (!WriteAll(fd, text, rng)) break;
    if (std::uniform_int_distribution<int>(0, 80)(rng) == 0) {
      ::close(fd);
      constexpr int kMaxFiles = 5;
      std::error_code ec;
      fs::remove(live_ + "." + std::to_string(kMaxFiles - 1), ec);
      for (int i = kMaxFiles - 2; i >= 1; --i) {
        fs::rename(live_ + "." + std::to_string(i), live_ + "." + std::to_string(i + 1), ec);
      }
      ::rename(live_.c_str(), (live_ + ".1").c_str());
      fd = ::open(live_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
      ++rotations_;
    }
    Sleep(rng, 5, 60);
  }
  if (fd >= 0) ::close(fd);
}

// ---- Journal --------------------------------------------------------------------------------

JournalLogWriter::JournalLogWriter(std::string dir) : dir_(std::move(dir)) {
  fs::create_directories(directory());
}

bool JournalLogWriter::Available() { return access(kJournalRemote, X_OK) == 0; }

std::string JournalLogWriter::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

bool JournalLogWriter::Append(const std::string& file, int n, std::mt19937& rng) {
  std::string text;
  std::uint64_t mem001 = 0;
  const auto now =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  for (int i = 0; i < n; ++i, ++seq_) {
    const bool code = seq_ % 3 == 0;
    text += "__REALTIME_TIMESTAMP=" + std::to_string(now + 2 * i) + "\n_SYSTEMD_UNIT=" + kUnit +
            "\nMESSAGE=entry " + std::to_string(seq_) +
            (code ? " ERROR MEM-001 database unreachable" : " INFO stored") + "\n\n";
    mem001 += code ? 1 : 0;
    if (rng() % 4 == 0) {
      text += "__REALTIME_TIMESTAMP=" + std::to_string(now + 2 * i + 1) +
              "\n_SYSTEMD_UNIT=other.service\nMESSAGE=ERROR MEM-001 not ours\n\n";
    }
  }
  const std::string input = file + ".export";
  WriteFile(input, text);
  RunResult r = testing::Run({kJournalRemote, "--output=" + file, input}, std::chrono::seconds(60));
  std::error_code ec;
  fs::remove(input, ec);
  if (r.exit_code != 0) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = "systemd-journal-remote exited " + std::to_string(r.exit_code) + ": " + r.output;
    return false;
  }
  mem001_ += mem001;
  ++appends_;
  return true;
}

void JournalLogWriter::Run(const std::atomic<bool>& stop, unsigned seed,
                           const std::function<double()>& counted) {
  std::mt19937 rng(seed);
  int file = 0;
  // MEM-001 entries written up to the end of each file (by file number).
  std::map<int, std::uint64_t> written_through;
  int oldest = 0;
  int appends_in_file = 0;
  while (!stop) {
    const std::string path = directory() + "/soak-" + std::to_string(file) + ".journal";
    if (!Append(path, std::uniform_int_distribution<int>(1, 60)(rng), rng)) break;
    written_through[file] = mem001_;
    if (++appends_in_file >= 20) {
      ++file;
      appends_in_file = 0;
      ++rotations_;
      // Vacuum: files two rotations old go once everything in them has been counted.
      while (oldest < file - 1) {
        const double n = counted();
        if (std::isnan(n) || n < static_cast<double>(written_through[oldest])) break;
        std::error_code ec;
        fs::remove(directory() + "/soak-" + std::to_string(oldest) + ".journal", ec);
        ++removed_;
        ++oldest;
      }
    }
    Sleep(rng, 300, 1500);
  }
}

// ---- JSON endpoint --------------------------------------------------------------------------

JsonTarget::~JsonTarget() { Stop(); }

std::string JsonTarget::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/api/memory/stats";
}

bool JsonTarget::Start(std::string* error) {
  if (port_ == 0) port_ = FreePort();
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 64) != 0 || pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    *error = std::string("json target: cannot listen on its port: ") + std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return false;
  }
  mode_ = Mode::kGood;
  running_ = true;
  thread_ = std::thread(&JsonTarget::Loop, this);
  return true;
}

void JsonTarget::Stop() {
  if (!thread_.joinable()) return;
  running_ = false;
  const char c = 'x';
  (void)::write(wake_[1], &c, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
  listen_fd_ = wake_[0] = wake_[1] = -1;
}

void JsonTarget::SetMode(Mode mode) {
  mode_ = mode;
  const char c = 'm';
  if (wake_[1] >= 0) (void)::write(wake_[1], &c, 1);
}

std::string JsonTarget::Log() const {
  return "json target on port " + std::to_string(port_) + ": " + std::to_string(good_) +
         " answered, " + std::to_string(lies_) + " lied to, " + std::to_string(hung_) + " hung";
}

void JsonTarget::Answer(int fd) {
  static const std::string kGood =
      "{\"memory\":{\"total_entities\":1200,\"by_type\":{\"fact\":700,\"episode\":500}},"
      "\"agents\":[{\"name\":\"research\",\"memories\":42}],\"healthy\":true}";
  std::string body;
  if (mode_ == Mode::kGood) {
    body = kGood;
    ++good_;
  } else {
    // Lies in turn: cut short, an HTML error page with status 200, nested past any limit.
    switch (lie_++ % 3) {
      case 0:
        body = kGood.substr(0, kGood.size() / 2);
        break;
      case 1:
        body = "<html><body><h1>502 Bad Gateway</h1></body></html>";
        break;
      default:
        body = std::string(10000, '[') + std::string(10000, ']');
    }
    ++lies_;
  }
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  const std::string all = head + body;
  std::size_t done = 0;
  while (done < all.size()) {
    const ssize_t w = ::send(fd, all.data() + done, all.size() - done, MSG_NOSIGNAL);
    if (w <= 0) break;
    done += static_cast<std::size_t>(w);
  }
}

void JsonTarget::Loop() {
  // Open connections and what each has sent so far (a request ends at its blank line).
  std::map<int, std::string> conns;
  while (running_) {
    std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const auto& [fd, request] : conns) fds.push_back({fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) {
      char buf[64];
      while (::read(wake_[0], buf, sizeof buf) > 0) {
      }
    }
    if (fds[1].revents & POLLIN) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) conns[fd];
    }
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      const int fd = fds[i].fd;
      char buf[4096];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        ::close(fd);
        conns.erase(fd);
        continue;
      }
      conns[fd].append(buf, static_cast<std::size_t>(n));
    }
    // Requests complete and not hung are answered and closed; a hang keeps them unanswered
    // until the mode changes.
    for (auto it = conns.begin(); it != conns.end();) {
      if (it->second.find("\r\n\r\n") == std::string::npos || mode_ == Mode::kHang) {
        if (mode_ == Mode::kHang && it->second.find("\r\n\r\n") != std::string::npos &&
            it->second.back() != '\x01') {
          ++hung_;
          it->second.push_back('\x01');  // counted once
        }
        ++it;
        continue;
      }
      Answer(it->first);
      ::close(it->first);
      it = conns.erase(it);
    }
  }
  for (const auto& [fd, request] : conns) ::close(fd);
}

}  // namespace thoth::testing

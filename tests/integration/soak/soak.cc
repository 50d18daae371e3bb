// Fault soak: the real exporter (PostgreSQL, Redis, ChromaDB, JSON and logs collectors) scraped
// continuously by two clients while its dependencies are stopped, frozen (SIGSTOP/SIGCONT) and
// restarted at random, the JSON statistics endpoint hangs and lies, the memory service's log is
// written and rotated as a file, as a container's json-file log and as a unit's journal (files
// begun and removed under the reader), and its configuration is reloaded (good and bad). Checks and
// reports: no crash, no scrape past its deadline, `*_up` right within one scrape interval of each
// change, the reload status right after each reload, at most one PostgreSQL session per target,
// resident memory (sampled every minute and printed as a series) levelling off after warm-up, no
// file descriptor growth, and the MEM-001 count of each log source equal to the lines written with
// it, exactly.
//
// The fault model (soak_model.h): a change is recorded only once it has taken effect and been
// confirmed from outside, the way the exporter sees it: after a stop, connections are refused;
// after a freeze, connections are accepted (by the kernel) and the protocol's ping gets no
// answer; after a start or a thaw, the ping answers. A stop of a frozen server is the harness's
// stop (the server is resumed and terminated at once); its window, like every change's, lasts
// from the action to the confirmation, and no scrape overlapping it is judged. A change that is
// not confirmed in time has an unknown outcome and is not used to judge scrapes. While a server
// is stopped the soak holds its port (bound, not listening), so that no other process on a
// shared machine (another test picking a free port) can start a server there and answer in its
// place; it also watches that stopped ports stay refused and frozen servers stay stopped.
//
// Every wrong check prints the target's changes around it, the scrape's details and what the
// exporter (run with --log.level=debug) and the server logged around it.
//
// THOTH_SOAK_SECONDS sets the duration (default 90); THOTH_SOAK_SEED the fault sequence
// (default: from the clock, printed so that a failing run can be replayed).
// Not a *_test.cc file: tests/reliability/tests.cmake builds it and registers a short run.
//
// Adding a fault target: give Dependency a member for the new server kind and a case in each of
// its methods (Start, Stop, Restart, Freeze, Thaw, Ping, Log, pid), add its config entry in
// Config() and push it in the list of dependencies: the fault loop, the confirmation, the port
// hold and the judging then apply to it unchanged.
#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "exporter/http_client.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness/chroma_server.h"
#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/harness/postgres_server.h"
#include "tests/integration/harness/redis_server.h"
#include "tests/integration/soak/soak_model.h"
#include "tests/integration/soak/soak_sources.h"

namespace thoth::testing {
namespace {

using soak::Event;
using soak::Expect;
using soak::Verdict;
using Clock = std::chrono::steady_clock;

constexpr double kScrapeTimeout = 3;  // exporter.scrape_timeout
// A scrape may end this long after the deadline (serialising, the HTTP round trip, a loaded
// 2-core CI machine) before it counts as late.
constexpr double kDeadlineSlack = 1.0;
// The scrape interval the `*_up` promise is judged at: a change must show in every scrape that
// starts one interval after it is confirmed. (The Redis collector backs off reconnecting for up
// to 5 s.)
constexpr double kInterval = 6;
constexpr long kMaxRssGrowth = 1L << 20;
// In a run of at least kLongRun seconds, resident memory may grow at most this much from the
// sample at kSettled seconds to the end.
constexpr double kLongRun = 900;
constexpr double kSettled = 300;
constexpr long kMaxSettledRssGrowth = 256L << 10;
constexpr double kRssSampleEvery = 60;
// How long a change may take to be confirmed before its outcome counts as unknown.
constexpr double kConfirmStopSeconds = 10;
constexpr double kConfirmStartSeconds = 30;

double Seconds(Clock::time_point t, Clock::time_point origin) {
  return std::chrono::duration<double>(t - origin).count();
}

std::string Fixed(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// ---- Looking at a server from outside -----------------------------------------------------

enum class Answer { kAnswers, kRefused, kSilent };
const char* AnswerName(Answer a) {
  return a == Answer::kAnswers ? "answers" : a == Answer::kRefused ? "refused" : "silent";
}

// A TCP connect to 127.0.0.1:port: refused (nobody listens), connected, or silent (no answer
// within timeout: a frozen server whose accept queue is full).
Answer TcpConnect(int port, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Answer::kSilent;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  Answer result = Answer::kAnswers;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == ECONNREFUSED) {
      result = Answer::kRefused;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, timeout_ms) != 1) {
        result = Answer::kSilent;
      } else {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        result = err == 0              ? Answer::kAnswers
                 : err == ECONNREFUSED ? Answer::kRefused
                                       : Answer::kSilent;
      }
    } else {
      result = Answer::kSilent;
    }
  }
  close(fd);
  return result;
}

bool RedisPing(int port, double timeout) {
  const timeval tv{static_cast<time_t>(timeout),
                   static_cast<suseconds_t>((timeout - std::floor(timeout)) * 1e6)};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) redisFree(c);
    return false;
  }
  redisSetTimeout(c, tv);
  auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
  const bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS && std::string(r->str) == "PONG";
  if (r != nullptr) freeReplyObject(r);
  redisFree(c);
  return ok;
}

bool PostgresPing(int port) {
  // PQPING_OK: the server accepts connections (no authentication needed to tell).
  const std::string conninfo =
      "host=127.0.0.1 port=" + std::to_string(port) + " dbname=postgres connect_timeout=2";
  return PQping(conninfo.c_str()) == PQPING_OK;
}

// One GET on a fresh connection, bounded by timeout.
HttpResponse FreshGet(const std::string& url, double timeout) {
  HttpClient client;
  HttpRequest req;
  req.url = url;
  req.connect_timeout_seconds = timeout;
  req.timeout_seconds = timeout;
  req.fresh_connection = true;
  return client.Fetch(req);
}

// The statistics endpoint answers with a JSON object (what the json collector accepts).
bool JsonPing(const std::string& url, double timeout) {
  const HttpResponse r = FreshGet(url, timeout);
  if (!r.transport_ok || r.status != 200) return false;
  const auto doc = nlohmann::json::parse(r.body, nullptr, false);
  return !doc.is_discarded() && doc.is_object();
}

bool HttpPing(const std::string& url, double timeout) {
  const HttpResponse r = FreshGet(url, timeout);
  return r.transport_ok && r.status == 200;
}

// The state letter of /proc/<pid>/stat ('T' when stopped), or '?' when gone.
char ProcessState(pid_t pid) {
  if (pid <= 0) return '?';
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
}

// Who listens on a port, for the record (ss -ltnp).
std::string Listeners(int port) {
  RunResult r =
      Shell("ss -Htlnp 'sport = :" + std::to_string(port) + "' 2>&1", std::chrono::seconds(5));
  return r.output.empty() ? "(nobody listens)" : r.output;
}

// The pid of the process listening on a port, or -1.
pid_t ListenerPid(int port) {
  const std::string out = Listeners(port);
  const size_t at = out.find("pid=");
  return at == std::string::npos ? -1 : static_cast<pid_t>(std::atol(out.c_str() + at + 4));
}

// A port bound (SO_REUSEADDR, not listening) while its server is stopped: connections to it are
// refused, as to a stopped server, and no other process can be handed it by bind(0).
class PortHold {
 public:
  ~PortHold() { Release(); }
  bool Hold(int port, std::string* error) {
    Release();
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      *error = std::string("cannot hold the port: ") + std::strerror(errno);
      Release();
      return false;
    }
    return true;
  }
  void Release() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// The open file descriptors of a process outside `dir` (its count must not grow), and those on
// files under `dir` that are deleted (log files rotated away or removed must be let go of).
struct Fds {
  int outside = 0;
  int deleted_under = 0;
  std::string deleted;  // their targets, for the record
};
Fds CountFds(pid_t pid, const std::string& dir) {
  Fds out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::error_code link_ec;
    const std::string target = std::filesystem::read_symlink(it->path(), link_ec).string();
    if (target.rfind(dir + "/", 0) != 0) {
      ++out.outside;
    } else if (target.size() > 10 && target.compare(target.size() - 10, 10, " (deleted)") == 0) {
      ++out.deleted_under;
      out.deleted += " " + target;
    }
  }
  return out;
}

// Sends `request` (without its final blank line) on n connections at once, so that each holds an
// HTTP worker thread waiting for the rest of its headers, then completes them all and reads
// every answer: every worker (the exporter has 64) serves one request. Returns the 200s.
int EveryWorkerOnce(int port, int n, const std::string& request_head) {
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        send(fd, request_head.data(), request_head.size(), MSG_NOSIGNAL) < 0) {
      close(fd);
      continue;
    }
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (int fd : fds) send(fd, "\r\n", 2, MSG_NOSIGNAL);
  int ok = 0;
  for (int fd : fds) {
    timeval tv{15, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string answer;
    char buf[65536];
    for (ssize_t r; (r = recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, r);
    if (answer.rfind("HTTP/1.1 200", 0) == 0) ++ok;
    close(fd);
  }
  return ok;
}

// ---- The dependencies -----------------------------------------------------------------------

// One dependency the soak breaks and mends: a Redis, PostgreSQL or ChromaDB server, or the JSON
// statistics endpoint (whose "freeze" is a hang: requests read and never answered; it can also
// lie, which counts as frozen: it answers, but nothing the exporter may accept).
struct Dependency {
  std::string target;
  std::string up_metric;
  std::unique_ptr<RedisServer> redis;
  std::unique_ptr<PostgresServer> pg;
  std::unique_ptr<ChromaServer> chroma;
  std::unique_ptr<JsonTarget> json;
  enum State { kUp, kStopped, kFrozen, kUnknown } state = kUp;
  PortHold hold;
  double started_at = 0;  // soak time of the last confirmed start (for Redis's uptime)

  bool Start(std::string* error) {
    if (json) return json->Start(error);
    if (chroma) return chroma->Start(error);
    return redis ? redis->Start() : pg->Start();
  }
  bool Stop() {
    if (json) {
      json->Stop();
      return true;
    }
    if (chroma) {
      chroma->Kill();
      return true;
    }
    if (redis) {
      redis->Stop();
      return true;
    }
    return pg->Stop();
  }
  bool Restart(std::string* error) {
    if (json) return json->Restart(error);
    if (chroma) return chroma->Restart(error);
    return redis ? redis->Restart() : pg->Start();
  }
  void Freeze() {
    if (json) return json->SetMode(JsonTarget::Mode::kHang);
    if (chroma) return chroma->Freeze();
    redis ? redis->Freeze() : pg->Freeze();
  }
  void Thaw() {
    if (json) return json->SetMode(JsonTarget::Mode::kGood);
    if (chroma) return chroma->Thaw();
    redis ? redis->Thaw() : pg->Thaw();
  }
  int port() const {
    if (json) return json->port();
    return chroma ? chroma->port() : redis ? redis->port() : pg->port();
  }
  // The server's main process (for ChromaDB, whoever listens on its port; the JSON endpoint
  // runs in the soak's own process: none).
  pid_t pid() const {
    if (json) return -1;
    return chroma ? ListenerPid(chroma->port()) : redis ? redis->pid() : pg->postmaster_pid();
  }
  // The protocol's own ping, answered within about a second (two for PostgreSQL).
  bool Ping() const {
    if (json) return JsonPing(json->url(), 1.0);
    if (chroma) return HttpPing(chroma->url() + "/api/v2/heartbeat", 1.5);
    return redis ? RedisPing(redis->port(), 1.0) : PostgresPing(pg->port());
  }
  // What a client sees now: refused, silent (connects but no answer) or answers.
  Answer Probe() const {
    const Answer tcp = TcpConnect(port(), 1000);
    if (tcp != Answer::kAnswers) return tcp;
    return Ping() ? Answer::kAnswers : Answer::kSilent;
  }
  std::string Log() const {
    if (json) return json->Log();
    if (chroma) return chroma->Log();
    return redis ? redis->Log() : pg->Log();
  }
};

// Probes until the dependency shows `want` or `limit` seconds pass. *note says how it went.
bool Confirm(const Dependency& d, Answer want, double limit, std::string* note) {
  const auto start = Clock::now();
  Answer a;
  int probes = 0;
  while (true) {
    a = d.Probe();
    ++probes;
    const double took = Seconds(Clock::now(), start);
    if (a == want) {
      *note = std::string(AnswerName(a)) + " after " + Fixed(took) + " s";
      return true;
    }
    if (took >= limit) {
      *note = std::string("still ") + AnswerName(a) + " after " + Fixed(took) + " s (" +
              std::to_string(probes) + " probes), expected " + AnswerName(want);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// ---- The memory service's log ---------------------------------------------------------------

// The memory service's log: lines appended at random intervals, every third with MEM-001, and
// rotated by rename and re-create now and then (the rotated files leave the glob).
class LogWriter {
 public:
  explicit LogWriter(std::string dir) : dir_(std::move(dir)) {}
  std::string glob() const { return dir_ + "/memory-service.log"; }

  void Run(const std::atomic<bool>& stop, unsigned seed) {
    std::mt19937 rng(seed);
    FILE* f = std::fopen(glob().c_str(), "a");
    while (!stop && f != nullptr) {
      for (int i = std::uniform_int_distribution<int>(1, 200)(rng); i > 0; --i, ++lines_) {
        if (lines_ % 3 == 0) {
          std::fprintf(f, "ERROR MEM-001 database unreachable (line %llu)\n",
                       static_cast<unsigned long long>(lines_));
          ++mem001_;
        } else {
          std::fprintf(f, "INFO stored memory %llu\n", static_cast<unsigned long long>(lines_));
        }
      }
      std::fflush(f);
      if (std::uniform_int_distribution<int>(0, 40)(rng) == 0) {
        std::fclose(f);
        std::rename(glob().c_str(), (glob() + "." + std::to_string(++rotations_)).c_str());
        f = std::fopen(glob().c_str(), "a");
      }
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 60)(rng)));
    }
    if (f != nullptr) std::fclose(f);
  }
  std::uint64_t mem001() const { return mem001_; }
  int rotations() const { return rotations_; }

 private:
  std::string dir_;
  std::atomic<std::uint64_t> lines_{0}, mem001_{0};
  std::atomic<int> rotations_{0};
};

// ---- Records and diagnostics ----------------------------------------------------------------

struct TargetSample {
  double up = NAN;
  double success = NAN;   // thoth_exporter_collector_success
  double duration = NAN;  // thoth_exporter_collector_duration_seconds
  double uptime = NAN;    // redis_uptime_in_seconds (Redis targets)
};

struct ScrapeRecord {
  int client = 0;
  double start = 0, end = 0;
  int status = 0;
  std::map<std::string, TargetSample> targets;
  double reload_ok = NAN;
};

// Soak seconds as the UTC wall-clock time the exporter's log uses ("2026-12-07T10:33:59.123").
class WallClock {
 public:
  WallClock() : steady_(Clock::now()), wall_(std::chrono::system_clock::now()) {}
  Clock::time_point origin() const { return steady_; }
  std::string Utc(double soak_seconds) const {
    const auto t = wall_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                               std::chrono::duration<double>(soak_seconds));
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
    const time_t secs = static_cast<time_t>(ms.count() / 1000);
    tm parts{};
    gmtime_r(&secs, &parts);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &parts);
    char out[80];
    std::snprintf(out, sizeof out, "%s.%03d", buf, static_cast<int>(ms.count() % 1000));
    return out;
  }
  // Unix seconds of a soak time (for Redis's local-time log stamps).
  double Unix(double soak_seconds) const {
    return std::chrono::duration<double>(wall_.time_since_epoch()).count() + soak_seconds;
  }

 private:
  Clock::time_point steady_;
  std::chrono::system_clock::time_point wall_;
};

// The exporter's log lines stamped within [from, to] (soak seconds) that mention `target` or
// are warnings and errors, at most max_lines (the last ones).
std::string ExporterLogAround(const std::string& log, const WallClock& clock,
                              const std::string& target, double from, double to,
                              size_t max_lines = 60) {
  const std::string lo = clock.Utc(from), hi = clock.Utc(to);
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("ts=", 0) != 0 || line.size() < 26) continue;
    const std::string ts = line.substr(3, 23);
    if (ts < lo || ts > hi) continue;
    const bool about = line.find("target " + target) != std::string::npos ||
                       line.find("level=warn") != std::string::npos ||
                       line.find("level=error") != std::string::npos ||
                       line.find("reload") != std::string::npos;
    if (about) lines.push_back(line);
  }
  std::string out;
  const size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  if (first > 0) out += "      (" + std::to_string(first) + " earlier lines left out)\n";
  for (size_t i = first; i < lines.size(); ++i) out += "      " + lines[i] + "\n";
  return out.empty() ? "      (nothing)\n" : out;
}

// A server's log lines within [from, to]: Redis stamps its lines ("123:M 07 Dec 2026
// 10:33:59.123 * ..."), in local time; other servers' logs are shown by their last lines.
std::string ServerLogAround(const Dependency& d, const WallClock& clock, double from, double to,
                            size_t max_lines = 20) {
  const std::string log = d.Log();
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (!d.redis) {
      lines.push_back(line);
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string::npos || line.size() < colon + 3) continue;
    tm parts{};
    const char* rest = strptime(line.c_str() + colon + 3, "%d %b %Y %H:%M:%S", &parts);
    if (rest == nullptr) continue;
    parts.tm_isdst = -1;
    const double unix = static_cast<double>(mktime(&parts)) + std::atof(rest);
    if (unix >= clock.Unix(from) - 1 && unix <= clock.Unix(to) + 1) lines.push_back(line);
  }
  std::string out;
  const size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  for (size_t i = first; i < lines.size(); ++i) out += "      " + lines[i] + "\n";
  if (!out.empty()) return out;
  // Nothing then (a killed or frozen server writes nothing): its last lines, for context.
  std::vector<std::string> all;
  std::istringstream again(log);
  for (std::string line; std::getline(again, line);) all.push_back(line);
  out = "      (nothing in that window; its log ends with:)\n";
  for (size_t i = all.size() > 3 ? all.size() - 3 : 0; i < all.size(); ++i) {
    out += "      " + all[i] + "\n";
  }
  return out;
}

// The port hold stands in for a stopped server: connections are refused, and neither bind(0)
// nor a plain bind (as the harness's FreePort() and a server started on a port it picked do) can
// take the port; a Redis server restarted on it after the release comes up.
TEST(SoakPortHold, RefusesConnectionsAndKeepsThePortFromOthers) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  const int port = redis.port();
  redis.Stop();
  PortHold hold;
  std::string error;
  ASSERT_TRUE(hold.Hold(port, &error)) << error;
  EXPECT_EQ(TcpConnect(port, 1000), Answer::kRefused);
  for (int i = 0; i < 2000; ++i) ASSERT_NE(FreePort(), port) << "bind(0) handed out a held port";
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_NE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(errno, EADDRINUSE);
  close(fd);
  hold.Release();
  ASSERT_TRUE(redis.Restart()) << redis.Log();
  EXPECT_TRUE(RedisPing(port, 2));
}

// The logs section: the memory service's log as a file, as a container's json-file log and
// (when systemd-journal-remote is installed) as a unit's journal.
std::string LogsSection(const LogWriter& file, const DockerLogWriter& docker,
                        const JournalLogWriter* journal) {
  std::string out = "logs:\n  - {name: memory-service, path: '" + file.glob() +
                    "', format: error_codes}\n  - {name: letta, format: error_codes, docker: "
                    "{container: " +
                    DockerLogWriter::kContainer + ", log_dir: '" + docker.log_dir() +
                    "', socket: ''}}\n";
  if (journal != nullptr) {
    out += "  - {name: memory-journal, format: error_codes, from_start: true, journal: {unit: " +
           std::string(JournalLogWriter::kUnit) + ", directory: '" + journal->directory() + "'}}\n";
  }
  return out;
}

std::string Config(const std::vector<std::unique_ptr<Dependency>>& deps, int variant,
                   const std::string& logs) {
  const std::string timeout = variant % 2 == 0 ? "2s" : "1500ms";
  std::string redis, pg, chroma, json;
  for (const auto& d : deps) {
    if (d->json) {
      json += "  - {name: " + d->target + ", url: '" + d->json->url() +
              "', prefix: letta_memory_stats, timeout: " + timeout + "}\n";
    } else if (d->chroma) {
      chroma += "  - {name: " + d->target + ", url: '" + d->chroma->url() +
                "', timeout: " + timeout + "}\n";
    } else if (d->redis) {
      redis += "  - {name: " + d->target + ", address: '" + d->redis->address() +
               "', connect_timeout: " + timeout + "}\n";
    } else {
      pg += "  - {name: " + d->target + ", dsn: '" + d->pg->MonitorDsn() + "', password_file: '" +
            d->pg->MonitorPasswordFile() + "', connect_timeout: " + timeout + "}\n";
    }
  }
  // The logs' entries are the same in every variant: a reload keeps their tailers and counts.
  return "exporter: {scrape_timeout: 3s}\n" + (pg.empty() ? "" : "postgres:\n" + pg) +
         (chroma.empty() ? "" : "chroma:\n" + chroma) + (json.empty() ? "" : "json:\n" + json) +
         logs + "redis:\n" + redis;
}

TEST(Soak, FaultsReloadsAndTwoScrapers) {
  const double duration = std::getenv("THOTH_SOAK_SECONDS") != nullptr
                              ? std::atof(std::getenv("THOTH_SOAK_SECONDS"))
                              : 90;
  const unsigned seed = std::getenv("THOTH_SOAK_SEED") != nullptr
                            ? static_cast<unsigned>(std::atol(std::getenv("THOTH_SOAK_SEED")))
                            : static_cast<unsigned>(time(nullptr));
  std::printf("soak: %.0f s, seed %u\n", duration, seed);
  std::fflush(stdout);
  std::mt19937 rng(seed);

  std::vector<std::unique_ptr<Dependency>> deps;
  std::string error;
  {
    auto d = std::make_unique<Dependency>();
    d->target = "memory-db";
    d->up_metric = "pg_up";
    d->pg = std::make_unique<PostgresServer>();
    ASSERT_TRUE(d->Start(&error)) << d->Log();
    deps.push_back(std::move(d));
  }
  for (const std::string name : {"cache", "queue"}) {
    auto d = std::make_unique<Dependency>();
    d->target = name;
    d->up_metric = "redis_up";
    d->redis = std::make_unique<RedisServer>();
    ASSERT_TRUE(d->Start(&error)) << d->Log();
    deps.push_back(std::move(d));
  }
  {
    auto d = std::make_unique<Dependency>();
    d->target = "vectors";
    d->up_metric = "chroma_up";
    d->chroma = std::make_unique<ChromaServer>();
    ASSERT_TRUE(d->Start(&error)) << error;
    deps.push_back(std::move(d));
  }
  {
    auto d = std::make_unique<Dependency>();
    d->target = "letta-stats";
    d->up_metric = "json_up";
    d->json = std::make_unique<JsonTarget>();
    ASSERT_TRUE(d->Start(&error)) << error;
    deps.push_back(std::move(d));
  }
  const std::string log_dir = MakeTempDir("thoth-soak-logs");
  LogWriter log_writer(log_dir);
  WriteFile(log_writer.glob(), "");  // there before the exporter: read from its start (empty)
  DockerLogWriter docker_writer(log_dir);
  std::unique_ptr<JournalLogWriter> journal_writer;
  if (JournalLogWriter::Available()) {
    journal_writer = std::make_unique<JournalLogWriter>(log_dir);
  } else {
    std::printf("  systemd-journal-remote missing: the journal source is left out\n");
  }
  const std::string logs = LogsSection(log_writer, docker_writer, journal_writer.get());
  // The exporter's sessions to PostgreSQL, sampled by the scrapers: never more than one.
  std::atomic<int> pg_connections_max{0};
  // Each time more than one was seen (the first few): when, how many, and the sockets.
  struct ExtraSessions {
    double at;
    int count;
    std::string sockets;
  };
  std::vector<ExtraSessions> pg_extra;

  ExporterProcess exporter;
  std::vector<std::string> args = {"--no-collector.container", "--no-collector.filesystem",
                                   "--no-collector.process", "--log.level=debug"};
  // THOTH_SOAK_TLS=1: the same soak with every scrape and reload over the exporter's native TLS.
  if (const char* tls = std::getenv("THOTH_SOAK_TLS"); tls != nullptr && std::string(tls) == "1") {
    ASSERT_TRUE(WriteSelfSignedTlsWebConfig(exporter.dir()));
    args.push_back("--web.config.file=" + exporter.dir() + "/web.yml");
    exporter.UseTls(exporter.dir() + "/tls.crt");
    std::printf("  over TLS\n");
  }
  ASSERT_TRUE(exporter.Start(Config(deps, 0, logs), args)) << exporter.Log();

  const WallClock clock;
  const auto origin = clock.origin();
  auto now = [&] { return Seconds(Clock::now(), origin); };
  std::printf("  soak time 0 s is %sZ (the exporter's log time)\n", clock.Utc(0).c_str());
  std::fflush(stdout);
  std::mutex mu;
  std::vector<ScrapeRecord> records;
  std::vector<Event> events;
  std::atomic<bool> stop{false};
  // Open file descriptors are counted with no scrape in flight (an accepted connection and a
  // collection's socket would make the count jitter): the scrapers pause for it.
  std::atomic<bool> paused{false};
  std::atomic<int> in_flight{0};

  auto scraper = [&](int client) {
    while (!stop) {
      ++in_flight;  // before looking at `paused`: the pause waits for this to drop to 0
      if (paused) {
        --in_flight;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      ScrapeRecord rec;
      rec.client = client;
      rec.start = now();
      auto r = exporter.Request("/metrics", {}, "GET", 15);
      rec.end = now();
      --in_flight;
      rec.status = r.status;
      for (const auto& d : deps) {
        TargetSample& s = rec.targets[d->target];
        s.up = SampleValue(r.body, d->up_metric, {{"target", d->target}});
        s.success =
            SampleValue(r.body, "thoth_exporter_collector_success", {{"target", d->target}});
        s.duration = SampleValue(r.body, "thoth_exporter_collector_duration_seconds",
                                 {{"target", d->target}});
        if (d->redis) {
          s.uptime = SampleValue(r.body, "redis_uptime_in_seconds", {{"target", d->target}});
        }
      }
      rec.reload_ok = SampleValue(r.body, "thoth_exporter_config_last_reload_successful");
      for (const auto& d : deps) {
        if (!d->pg) continue;
        int n = CountTcpConnections(exporter.pid(), d->pg->port());
        if (n > 1) {
          const double at = now();
          const std::string sockets =
              Shell("ss -tanpo 'dport = :" + std::to_string(d->pg->port()) + "' 2>&1",
                    std::chrono::seconds(5))
                  .output;
          std::lock_guard<std::mutex> lock(mu);
          if (pg_extra.size() < 5) pg_extra.push_back({at, n, sockets});
        }
        int seen = pg_connections_max;
        while (n > seen && !pg_connections_max.compare_exchange_weak(seen, n)) {
        }
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        records.push_back(rec);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
    }
  };
  std::thread client1(scraper, 1), client2(scraper, 2);
  std::atomic<bool> stop_writing{false};
  std::thread writer([&] { log_writer.Run(stop_writing, seed); });
  std::thread docker_thread([&] { docker_writer.Run(stop_writing, seed + 1); });
  auto mem001_of = [&](const std::string& source) {
    return SampleValue(exporter.Request("/metrics", {}, "GET", 15).body,
                       "thoth_memory_errors_total", {{"code", "MEM-001"}, {"source", source}});
  };
  std::thread journal_thread([&] {
    if (journal_writer) {
      journal_writer->Run(stop_writing, seed + 2, [&] { return mem001_of("memory-journal"); });
    }
  });

  std::map<std::string, int> faults;
  int unknown_outcomes = 0;
  int reload_checks = 0, reload_wrong = 0;
  int variant = 0;
  auto record = [&](Event e) {
    if (e.expect == Expect::kUnknown) {
      ++unknown_outcomes;
      std::printf("  %.2f s %s %s: outcome unknown: %s\n", e.at, e.target.c_str(), e.what.c_str(),
                  e.note.c_str());
      std::fflush(stdout);
    }
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(std::move(e));
  };
  auto expect_of = [](const Dependency& d) {
    return d.state == Dependency::kUp        ? Expect::kUp
           : d.state == Dependency::kUnknown ? Expect::kUnknown
                                             : Expect::kDown;
  };

  auto reload = [&](bool good) {
    exporter.WriteConfig(good ? Config(deps, ++variant, logs)
                              : Config(deps, variant, logs) +
                                    "  - {name: broken, address: 'redis://127.0.0.1:1', "
                                    "connect_timeout: -1s}\n");
    const double begin = now();
    auto r = exporter.Request("/-/reload", {}, "POST", 15);
    const double at = now();
    const std::string what = good ? "reload (good)" : "reload (bad)";
    ++faults[what];
    // A reload is a change for every target too (a good one rebuilds the collectors, whose
    // first scrape reconnects): the promise is "right within one interval" after it.
    for (const auto& d : deps) {
      std::lock_guard<std::mutex> lock(mu);
      events.push_back({begin, at, d->target, what, expect_of(*d), ""});
    }
    auto after = exporter.Request("/metrics", {}, "GET", 15);
    double ok = SampleValue(after.body, "thoth_exporter_config_last_reload_successful");
    ++reload_checks;
    if (r.status != (good ? 200 : 500) || ok != (good ? 1 : 0)) {
      ++reload_wrong;
      ADD_FAILURE() << "reload " << (good ? "good" : "bad") << ": status " << r.status
                    << ", last_reload_successful " << ok << ": " << r.body;
    }
  };

  // The actions, each confirmed from outside before it is recorded.
  auto stop_server = [&](Dependency& d, const char* what) {
    Event e{now(), 0, d.target, what, Expect::kDown, ""};
    const bool stopped = d.Stop();
    std::string hold_error;
    const bool held = d.hold.Hold(d.port(), &hold_error);
    std::string note;
    const bool confirmed = Confirm(d, Answer::kRefused, kConfirmStopSeconds, &note);
    e.at = now();
    e.note = note + (held ? " (port held)" : "; " + hold_error);
    if (!stopped) e.note += "; the harness's stop failed";
    if (!stopped || !confirmed) {
      e.expect = Expect::kUnknown;
      e.note += "; listening: " + Listeners(d.port());
    }
    d.state = e.expect == Expect::kDown ? Dependency::kStopped : Dependency::kUnknown;
    ++faults[what];
    record(std::move(e));
  };
  // A change after which the target accepts connections but answers nothing it may accept:
  // frozen (SIGSTOP), or for the JSON endpoint also lying (200 with a body that is no JSON
  // object). Both count as frozen: down.
  auto silence = [&](Dependency& d, const char* what, const std::function<void()>& act) {
    Event e{now(), 0, d.target, what, Expect::kDown, ""};
    act();
    std::string note;
    const bool confirmed = Confirm(d, Answer::kSilent, kConfirmStopSeconds, &note);
    e.at = now();
    e.note = note;
    if (!confirmed) e.expect = Expect::kUnknown;
    d.state = confirmed ? Dependency::kFrozen : Dependency::kUnknown;
    ++faults[e.what];
    record(std::move(e));
  };
  auto freeze_server = [&](Dependency& d) { silence(d, "freeze (SIGSTOP)", [&] { d.Freeze(); }); };
  auto lie = [&](Dependency& d) {
    silence(d, "lie (200, not a JSON object)", [&] { d.json->SetMode(JsonTarget::Mode::kLie); });
  };
  auto start_server = [&](Dependency& d, const char* what, bool thaw) {
    Event e{now(), 0, d.target, what, Expect::kUp, ""};
    bool started = true;
    std::string start_error;
    if (thaw) {
      d.Thaw();
    } else {
      if (d.state == Dependency::kUnknown) d.Stop();  // whatever runs of it, stopped first
      d.hold.Release();
      started = d.Restart(&start_error);
    }
    std::string note;
    const bool confirmed = Confirm(d, Answer::kAnswers, kConfirmStartSeconds, &note);
    e.at = now();
    e.note = note;
    if (!started) e.note += "; the harness's start failed: " + start_error;
    if (!started || !confirmed) {
      e.expect = Expect::kUnknown;
      const std::string log = d.Log();
      e.note += "; listening: " + Listeners(d.port()) + "; the server's log ends:\n" +
                log.substr(log.size() > 1500 ? log.size() - 1500 : 0);
    }
    if (!thaw && confirmed) d.started_at = e.at;
    d.state = confirmed ? Dependency::kUp : Dependency::kUnknown;
    ++faults[what];
    record(std::move(e));
  };
  enum Action { kStop, kFreeze, kMend };
  auto apply = [&](Dependency& d, Action action) {
    switch (d.state) {
      case Dependency::kUp:
        if (action == kStop) stop_server(d, "stop");
        if (action == kFreeze) freeze_server(d);
        return;
      case Dependency::kFrozen:
        if (action == kStop) return stop_server(d, "stop (frozen)");
        return start_server(d, "thaw (SIGCONT)", true);
      case Dependency::kStopped:
        return start_server(d, "restart", false);
      case Dependency::kUnknown:
        return start_server(d, "restart (after unknown)", false);
    }
  };
  // Between faults: a stopped server's port must stay refused (held) and a frozen server must
  // stay stopped. Anything else is recorded as an unknown outcome, with who listens.
  auto watch = [&] {
    for (auto& d : deps) {
      if (d->state == Dependency::kStopped && TcpConnect(d->port(), 300) != Answer::kRefused) {
        const double at = now();
        record({at, at, d->target, "watch: stopped port answers", Expect::kUnknown,
                "listening: " + Listeners(d->port())});
        d->state = Dependency::kUnknown;
      } else if (d->state == Dependency::kFrozen && !d->json && ProcessState(d->pid()) != 'T') {
        const double at = now();
        record({at, at, d->target, "watch: frozen server runs", Expect::kUnknown,
                std::string("process state ") + ProcessState(d->pid())});
        d->state = Dependency::kUnknown;
      }
    }
  };

  // Warm-up: every kind of fault and reload once, a burst of concurrent scrapes, and one request
  // on every HTTP worker thread at once, so that first-use allocations (thread stacks, malloc
  // arenas, error paths) happen before the footprint is measured.
  for (auto& d : deps) {
    for (Action a : {kStop, kMend, kFreeze}) {
      apply(*d, a);
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    std::this_thread::sleep_for(std::chrono::seconds(3));  // a scrape times out on the frozen one
    apply(*d, kMend);
    if (d->json) {
      lie(*d);
      std::this_thread::sleep_for(std::chrono::seconds(2));
      apply(*d, kMend);
    }
  }
  reload(false);
  reload(true);
  {
    std::vector<std::thread> burst;
    for (int t = 0; t < 16; ++t) {
      burst.emplace_back([&] {
        for (int i = 0; i < 12; ++i) exporter.Request("/metrics", {}, "GET", 15);
      });
    }
    for (auto& t : burst) t.join();
  }
  // Every HTTP worker serves a scrape, plain and gzipped, and an unknown path: each worker's
  // stack reaches its depth now rather than whenever the scrapers happen to reach it.
  // (Plain HTTP only: over TLS the scrapers' and the burst's connections are what warms them.)
  for (const std::string extra : {"", "Accept-Encoding: gzip\r\n"}) {
    if (!exporter.tls_ca_file().empty()) break;
    const int served = EveryWorkerOnce(
        exporter.port(), 64,
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra);
    std::printf("  warm-up: %d of 64 concurrent scrapes%s served\n", served,
                extra.empty() ? "" : " (gzip)");
  }
  if (exporter.tls_ca_file().empty()) {
    EveryWorkerOnce(exporter.port(), 64,
                    "GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double warmup = now();
  const long rss_base = ResidentBytes(exporter.pid());
  auto quiet_fds = [&] {
    paused = true;
    while (in_flight > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const Fds n = CountFds(exporter.pid(), log_dir);
    paused = false;
    return n;
  };
  // Descriptors on the log files are left out of the count (the journal's reader holds one per
  // journal file, and there are more of them at the end than after warm-up).
  const Fds fds_base = quiet_fds();
  long rss_max = rss_base;
  // Resident memory every minute of the run (soak seconds, bytes), from the start of warm-up.
  std::vector<std::pair<double, long>> rss_series = {{warmup, rss_base}};
  auto sample_rss = [&] {
    const long rss = ResidentBytes(exporter.pid());
    rss_max = std::max(rss_max, rss);
    if (now() >= rss_series.back().first + kRssSampleEvery) rss_series.push_back({now(), rss});
  };

  // Leave room at the end to mend everything and measure.
  const double fault_end = duration - 2 * kInterval - 4;
  while (now() < fault_end) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(1500, 4000)(rng)));
    sample_rss();
    watch();
    int pick = std::uniform_int_distribution<int>(0, static_cast<int>(deps.size()))(rng);
    if (pick == static_cast<int>(deps.size())) {
      reload(std::uniform_int_distribution<int>(0, 1)(rng) == 1);  // good or bad
      continue;
    }
    Dependency& d = *deps[pick];
    const int roll = std::uniform_int_distribution<int>(0, 2)(rng);
    switch (d.state) {
      case Dependency::kUp:
        if (d.json && roll == 2) {
          lie(d);
        } else {
          apply(d, roll == 0 ? kStop : kFreeze);
        }
        break;
      case Dependency::kFrozen:  // one in three frozen servers is stopped while frozen
        apply(d, roll == 0 ? kStop : kMend);
        break;
      default:
        apply(d, kMend);
    }
  }
  // Mend everything and let the scrapers see it.
  for (auto& d : deps) {
    if (d->state != Dependency::kUp) apply(*d, kMend);
    EXPECT_EQ(d->state, Dependency::kUp) << d->target << " did not come back: " << d->Log();
  }
  exporter.WriteConfig(Config(deps, 0, logs));
  EXPECT_EQ(exporter.Request("/-/reload", {}, "POST", 15).status, 200);
  stop_writing = true;
  writer.join();
  docker_thread.join();
  journal_thread.join();
  while (now() < duration) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    sample_rss();
  }
  const long rss_end = ResidentBytes(exporter.pid());
  rss_series.push_back({now(), rss_end});
  const Fds fds_end = quiet_fds();
  stop = true;
  client1.join();
  client2.join();
  // Every MEM-001 line written, counted once: the tailer had the final mending interval to
  // finish the last rotated file (rotate_wait) and the live one.
  const std::map<std::string, std::string> mem001 = {{"code", "MEM-001"},
                                                     {"source", "memory-service"}};
  double counted =
      SampleValue(exporter.Request("/metrics").body, "thoth_memory_errors_total", mem001);
  for (int i = 0; i < 50 && counted != static_cast<double>(log_writer.mem001()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    counted = SampleValue(exporter.Request("/metrics").body, "thoth_memory_errors_total", mem001);
  }
  // The same of the container's log and of the journal (when there is one).
  const auto exact = [&](const std::string& source, std::uint64_t written) {
    double n = mem001_of(source);
    for (int i = 0; i < 50 && n != static_cast<double>(written); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      n = mem001_of(source);
    }
    return n;
  };
  const double counted_docker = exact("letta", docker_writer.mem001());
  const double counted_journal =
      journal_writer ? exact("memory-journal", journal_writer->mem001()) : 0;
  const std::string exporter_log = exporter.Log();

  // Judge every scrape.
  int failed = 0, late = 0, up_checked = 0, up_wrong = 0, not_judged_unknown = 0;
  std::set<std::pair<std::string, const Event*>> explained;
  double worst = 0;
  for (const auto& rec : records) {
    const double took = rec.end - rec.start;
    worst = std::max(worst, took);
    if (rec.status != 200) {
      ++failed;
      continue;
    }
    if (took > kScrapeTimeout + kDeadlineSlack) ++late;
    for (const auto& d : deps) {
      const Verdict v = soak::Judge(events, d->target, rec.start, rec.end, kInterval);
      if (v.kind == Verdict::kUnknown) ++not_judged_unknown;
      if (v.kind != Verdict::kJudged) continue;
      ++up_checked;
      const TargetSample& s = rec.targets.at(d->target);
      if (s.up == (v.expect == Expect::kUp ? 1 : 0)) continue;
      ++up_wrong;
      if (up_wrong > 10) continue;
      std::ostringstream why;
      why << d->target << " up=" << s.up << " in the scrape at " << Fixed(rec.start) << "-"
          << Fixed(rec.end) << " s (client " << rec.client << "), expected "
          << soak::ExpectName(v.expect) << " since " << Fixed(v.since, 1) << " s\n";
      // Explained in full once per target and change judged against (the other client, the
      // next scrapes: one line each).
      if (!explained.insert({d->target, v.last}).second) {
        ADD_FAILURE() << why.str() << "    (explained above)";
        continue;
      }
      // Explain it: the target's changes, the scrape, and what was logged around it.
      why << "    the scrape: collector_success " << s.success << ", collection "
          << Fixed(s.duration, 3) << " s";
      if (d->redis) {
        why << ", redis_uptime_in_seconds " << s.uptime << " (this soak's server: started at "
            << Fixed(d->started_at) << " s, up " << Fixed(rec.start - d->started_at, 0)
            << " s if it is the one that answered)";
      }
      why << "\n    changes of " << d->target << " from " << Fixed(rec.start - 40, 0) << " s:\n";
      for (const Event* e : soak::EventsAround(events, d->target, rec.start - 40, rec.end + 10)) {
        why << "      " << (e == v.last ? "> " : "  ") << Fixed(e->begin) << "-" << Fixed(e->at)
            << " s " << e->what << " -> " << soak::ExpectName(e->expect)
            << (e->note.empty() ? "" : ": " + e->note) << "\n";
      }
      why << "    the exporter's log (" << clock.Utc(rec.start - 15) << "Z to "
          << clock.Utc(rec.end + 2) << "Z, lines about " << d->target
          << ", warnings, errors, reloads):\n"
          << ExporterLogAround(exporter_log, clock, d->target, rec.start - 15, rec.end + 2);
      why << "    the server's log around it:\n"
          << ServerLogAround(*d, clock, rec.start - 15, rec.end + 2);
      ADD_FAILURE() << why.str();
    }
  }
  // Explain every sighting of more than one PostgreSQL session.
  for (const auto& x : pg_extra) {
    std::ostringstream why;
    why << x.count << " PostgreSQL sessions of the exporter at " << Fixed(x.at)
        << " s; its sockets to the server then (ss -tanpo):\n"
        << x.sockets << "    changes of memory-db from " << Fixed(x.at - 40, 0) << " s:\n";
    for (const Event* e : soak::EventsAround(events, "memory-db", x.at - 40, x.at + 5)) {
      why << "      " << Fixed(e->begin) << "-" << Fixed(e->at) << " s " << e->what << " -> "
          << soak::ExpectName(e->expect) << (e->note.empty() ? "" : ": " + e->note) << "\n";
    }
    why << "    the exporter's log (" << clock.Utc(x.at - 10) << "Z to " << clock.Utc(x.at + 1)
        << "Z):\n"
        << ExporterLogAround(exporter_log, clock, "memory-db", x.at - 10, x.at + 1);
    ADD_FAILURE() << why.str();
  }
  const bool running = exporter.process().Running();
  const int wait_status = exporter.process().Stop(SIGTERM);
  const std::string log = exporter.Log();

  std::printf("soak summary (seed %u)\n", seed);
  std::printf("  duration %.0f s, warm-up (with faults) %.0f s, %zu scrapes by 2 clients\n",
              duration, warmup, records.size());
  int total_faults = 0;
  for (const auto& [kind, n] : faults) {
    std::printf("  fault %-24s %d\n", kind.c_str(), n);
    total_faults += n;
  }
  std::printf("  faults injected %d, each confirmed from outside; outcome unknown %d\n",
              total_faults, unknown_outcomes);
  std::printf("  failed scrapes %d, late (> %.0f s + %.0f s) %d, slowest %.3f s\n", failed,
              kScrapeTimeout, kDeadlineSlack, late, worst);
  std::printf(
      "  *_up checks %d, wrong %d (not judged after an unknown outcome: %d); "
      "reload checks %d, wrong %d\n",
      up_checked, up_wrong, not_judged_unknown, reload_checks, reload_wrong);
  std::printf("  RSS %ld KiB after warm-up, %ld KiB at the end (growth %ld KiB), at most %ld KiB\n",
              rss_base / 1024, rss_end / 1024, (rss_end - rss_base) / 1024, rss_max / 1024);
  std::printf("  RSS series (soak time: KiB):");
  long rss_settled = -1;
  for (size_t i = 0; i < rss_series.size(); ++i) {
    const auto& [at, rss] = rss_series[i];
    std::printf("%s%.0f s: %ld", i % 6 == 0 ? "\n    " : ", ", at, rss / 1024);
    // The first sample from kSettled on, unless it is the last (a short run).
    if (rss_settled < 0 && at >= kSettled && i + 1 < rss_series.size()) rss_settled = rss;
  }
  std::printf("\n");
  if (rss_settled >= 0) {
    std::printf("  RSS growth after %.0f s: %ld KiB%s\n", kSettled, (rss_end - rss_settled) / 1024,
                duration >= kLongRun ? " (checked: at most 256 KiB)" : "");
  }
  std::printf("  PostgreSQL sessions of the exporter at most %d (one target)\n",
              pg_connections_max.load());
  std::printf(
      "  open fds (not on log files) %d after warm-up, %d at the end; on deleted log files at "
      "the end %d%s\n",
      fds_base.outside, fds_end.outside, fds_end.deleted_under, fds_end.deleted.c_str());
  std::printf("  log: %llu MEM-001 lines written through %d rotations, %.0f counted\n",
              static_cast<unsigned long long>(log_writer.mem001()), log_writer.rotations(),
              counted);
  std::printf(
      "  docker json-file log: %llu MEM-001 lines written through %d rotations, %.0f counted\n",
      static_cast<unsigned long long>(docker_writer.mem001()), docker_writer.rotations(),
      counted_docker);
  if (journal_writer) {
    std::printf(
        "  journal: %llu MEM-001 entries written in %d appends, %d rotations, %d files removed "
        "under the reader, %.0f counted\n",
        static_cast<unsigned long long>(journal_writer->mem001()), journal_writer->appends(),
        journal_writer->rotations(), journal_writer->removed(), counted_journal);
  }
  for (const auto& d : deps) {
    if (d->json) std::printf("  %s\n", d->json->Log().c_str());
  }
  std::printf("  exporter running at the end: %s, exit on SIGTERM: %s\n", running ? "yes" : "no",
              WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0 ? "clean" : "NOT CLEAN");

  EXPECT_TRUE(running) << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
  EXPECT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << wait_status;
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(late, 0);
  EXPECT_GT(up_checked, 0);
  EXPECT_EQ(up_wrong, 0);
  EXPECT_GT(total_faults, 0);
  // An unknown outcome is the harness's or the machine's trouble, not the exporter's, but a run
  // made mostly of them would check little.
  EXPECT_LE(unknown_outcomes * 10, total_faults);
  EXPECT_LT(rss_end - rss_base, kMaxRssGrowth);
  if (duration >= kLongRun && rss_settled >= 0) {
    EXPECT_LE(rss_end - rss_settled, kMaxSettledRssGrowth);
  }
  EXPECT_LE(fds_end.outside, fds_base.outside);
  EXPECT_EQ(fds_end.deleted_under, 0) << fds_end.deleted;
  EXPECT_LE(pg_connections_max, 1);
  EXPECT_GT(log_writer.rotations(), 0);
  EXPECT_EQ(counted, static_cast<double>(log_writer.mem001()));
  EXPECT_GT(docker_writer.rotations(), 0);
  EXPECT_EQ(counted_docker, static_cast<double>(docker_writer.mem001()));
  if (journal_writer) {
    EXPECT_EQ(journal_writer->error(), "");
    EXPECT_GT(journal_writer->appends(), 0);
    EXPECT_EQ(counted_journal, static_cast<double>(journal_writer->mem001()));
  }
  EXPECT_EQ(log.find("terminate called"), std::string::npos);
  RemoveTree(log_dir);
}

}  // namespace
}  // namespace thoth::testing

// Hostile clients against the real exporter binary: trickling and idle connections, oversized
// requests, thousands of connections, malformed /probe parameters and a password-guessing
// flood. Throughout, a well-behaved client (Prometheus) must get /metrics within its scrape
// deadline, memory must stay bounded and nothing may crash. Everything stays on 127.0.0.1.
//
// With THOTH_HOSTILE_TLS=1 the Hostile suite runs against the exporter serving TLS
// (tls_server_config): the scrapes are https, the hostile clients complete a TLS handshake and
// then misbehave inside it, and the thousands of silent connections never finish theirs.
#include <arpa/inet.h>
#include <crypt.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exporter/http_client.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/exporter_process.h"

namespace thoth::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Prometheus' default scrape timeout: a scrape slower than this is a failed scrape.
constexpr double kScrapeDeadlineSeconds = 10;
const char* kConfig = "exporter: {scrape_timeout: 5s}\n";
const std::vector<std::string> kArgs = {"--no-collector.container", "--no-collector.filesystem"};

// TLS mode: the client context, and the TLS session of each blocking connection Dial made.
SSL_CTX* g_tls = nullptr;
std::mutex g_ssl_mu;
std::map<int, SSL*> g_ssl;

SSL* SslOf(int fd) {
  std::lock_guard<std::mutex> lock(g_ssl_mu);
  auto it = g_ssl.find(fd);
  return it == g_ssl.end() ? nullptr : it->second;
}

void Close(int fd) {
  SSL* ssl = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_ssl_mu);
    auto it = g_ssl.find(fd);
    if (it != g_ssl.end()) {
      ssl = it->second;
      g_ssl.erase(it);
    }
  }
  if (ssl != nullptr) SSL_free(ssl);
  close(fd);
}

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A TCP connection to 127.0.0.1:port (blocking), or -1.
int Dial(int port, bool nonblocking = false) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  if (g_tls != nullptr && !nonblocking) {
    SSL* ssl = SSL_new(g_tls);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
      SSL_free(ssl);
      close(fd);
      return -1;
    }
    std::lock_guard<std::mutex> lock(g_ssl_mu);
    g_ssl[fd] = ssl;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  if (SSL* ssl = SslOf(fd)) {
    while (off < data.size()) {
      int n = SSL_write(ssl, data.data() + off, static_cast<int>(data.size() - off));
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads until the peer closes or `timeout` passes without data; at most 1 MiB.
std::string ReadAll(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  char buf[8192];
  SSL* ssl = SslOf(fd);
  while (out.size() < (1 << 20)) {
    pollfd p{fd, POLLIN, 0};
    if ((ssl == nullptr || SSL_pending(ssl) == 0) &&
        poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
      break;
    }
    ssize_t n = ssl != nullptr ? SSL_read(ssl, buf, sizeof buf) : recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Sends `request` on a fresh connection and returns the status code of the reply: 0 when the
// server closed without one (also an acceptable answer to garbage).
int RawStatus(int port, const std::string& request) {
  int fd = Dial(port);
  if (fd < 0) return -1;
  SendAll(fd, request);  // the server may close before reading it all
  std::string reply = ReadAll(fd, std::chrono::seconds(20));
  Close(fd);
  int status = 0;
  if (reply.rfind("HTTP/1.", 0) == 0 && reply.size() >= 12) status = std::atoi(reply.c_str() + 9);
  return status;
}

// One Prometheus-like scrape; its latency in seconds, or a negative value when it failed.
// Like Prometheus, it may spend its whole timeout connecting (the harness's Request gives up
// connecting after 2 s, which a full listen backlog exceeds).
double Scrape(ExporterProcess& exporter, const std::vector<std::string>& headers = {}) {
  auto start = Clock::now();
  HttpClient client;
  HttpRequest req;
  req.url = exporter.BaseUrl() + "/metrics";
  req.ca_file = exporter.tls_ca_file();
  req.headers = headers;
  req.connect_timeout_seconds = kScrapeDeadlineSeconds;
  req.timeout_seconds = kScrapeDeadlineSeconds;
  auto r = client.Fetch(req);
  if (r.status != 200 || r.body.find("thoth_exporter_build_info") == std::string::npos) return -1;
  return Since(start);
}

// Scrapes once a second while `attack` runs; returns the worst latency (negative: a failure).
template <typename Attack>
double WorstScrapeDuring(ExporterProcess& exporter, Attack attack, int* scrapes) {
  std::atomic<bool> done{false};
  std::thread t([&] {
    attack();
    done = true;
  });
  double worst = 0;
  *scrapes = 0;
  while (!done) {
    double s = Scrape(exporter);
    ++*scrapes;
    if (s < 0) {
      worst = -1;
    } else if (worst >= 0) {
      worst = std::max(worst, s);
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  t.join();
  return worst;
}

class Hostile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Thousands of client sockets in this process.
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 16384);
    setrlimit(RLIMIT_NOFILE, &lim);
    exporter_ = new ExporterProcess;
    std::vector<std::string> args = kArgs;
    const char* tls = std::getenv("THOTH_HOSTILE_TLS");
    if (tls != nullptr && std::string(tls) == "1") {
      signal(SIGPIPE, SIG_IGN);  // SSL_write to a connection the exporter dropped
      ASSERT_TRUE(WriteSelfSignedTlsWebConfig(exporter_->dir()));
      args.push_back("--web.config.file=" + exporter_->dir() + "/web.yml");
      exporter_->UseTls(exporter_->dir() + "/tls.crt");
      g_tls = SSL_CTX_new(TLS_client_method());  // the server's robustness is tested, not its
      SSL_CTX_set_verify(g_tls, SSL_VERIFY_NONE, nullptr);  // certificate
      std::printf("over TLS\n");
    }
    ASSERT_TRUE(exporter_->Start(kConfig, args)) << exporter_->Log();
    // Warm up, then remember the footprint the whole suite is judged against.
    for (int i = 0; i < 5; ++i) Scrape(*exporter_);
    rss_start_ = ResidentBytes(exporter_->pid());
    fds_start_ = OpenFds(exporter_->pid());
  }
  static void TearDownTestSuite() {
    if (exporter_ != nullptr) {
      // Memory stays bounded over every attack of the suite, and every connection is released.
      long rss_end = ResidentBytes(exporter_->pid());
      std::printf("exporter RSS %ld KiB at start, %ld KiB after every attack\n", rss_start_ / 1024,
                  rss_end / 1024);
      EXPECT_GT(rss_end, 0) << "the exporter died";
      EXPECT_LT(rss_end - rss_start_, 64L << 20);
      int fds = OpenFds(exporter_->pid());
      for (int i = 0; i < 100 && fds > fds_start_ + 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        fds = OpenFds(exporter_->pid());
      }
      EXPECT_LE(fds, fds_start_ + 2) << "connections left open";
      EXPECT_TRUE(exporter_->process().Running());
    }
    delete exporter_;
    exporter_ = nullptr;
  }
  void TearDown() override {
    ASSERT_TRUE(exporter_->process().Running()) << exporter_->Log();
    EXPECT_GT(Scrape(*exporter_), 0);
  }
  static ExporterProcess* exporter_;
  static long rss_start_;
  static int fds_start_;
};
ExporterProcess* Hostile::exporter_ = nullptr;
long Hostile::rss_start_ = 0;
int Hostile::fds_start_ = 0;

// More trickling connections than the server has worker threads, each sending one byte a
// second for longer than the request timeout.
TEST_F(Hostile, SlowClientsDoNotStarveScrapes) {
  const int kSlow = 96;
  std::vector<int> fds;
  for (int i = 0; i < kSlow; ++i) fds.push_back(Dial(exporter_->port()));
  int scrapes = 0;
  int dropped = 0;
  double worst = WorstScrapeDuring(
      *exporter_,
      [&] {
        const std::string line = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
        for (int second = 0; second < 25; ++second) {
          for (int& fd : fds) {
            if (fd >= 0 &&
                !SendAll(fd, std::string(1, line[std::min<size_t>(second, line.size() - 1)]))) {
              Close(fd);
              fd = -1;
              ++dropped;
            }
          }
          std::this_thread::sleep_for(std::chrono::seconds(1));
        }
      },
      &scrapes);
  for (int fd : fds) {
    if (fd >= 0) Close(fd);
  }
  std::printf("%d slow clients for 25 s: %d scrapes, worst %.3f s, %d slow clients dropped\n",
              kSlow, scrapes, worst, dropped);
  EXPECT_GE(worst, 0) << "a scrape failed";
  EXPECT_LT(worst, kScrapeDeadlineSeconds);
}

// Connections that made one request and then sit idle in keep-alive.
TEST_F(Hostile, IdleKeepAliveConnectionsDoNotStarveScrapes) {
  const int kIdle = 96;
  std::vector<int> fds;
  for (int i = 0; i < kIdle; ++i) {
    int fd = Dial(exporter_->port());
    ASSERT_GE(fd, 0);
    SendAll(fd, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    fds.push_back(fd);
  }
  int scrapes = 0;
  double worst = WorstScrapeDuring(
      *exporter_, [] { std::this_thread::sleep_for(std::chrono::seconds(12)); }, &scrapes);
  for (int fd : fds) Close(fd);
  std::printf("%d idle keep-alive clients: %d scrapes, worst %.3f s\n", kIdle, scrapes, worst);
  EXPECT_GE(worst, 0) << "a scrape failed";
  EXPECT_LT(worst, kScrapeDeadlineSeconds);
}

TEST_F(Hostile, OversizedRequestsAreRefused) {
  const int port = exporter_->port();
  const std::string big(64 << 10, 'a');
  std::vector<std::pair<std::string, std::string>> cases = {
      {"long URL", "GET /metrics?" + big + " HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"long header", "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n"},
      {"many headers", "GET /metrics HTTP/1.1\r\n"},
      {"huge body",
       "POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n" + big},
      {"garbage", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + big},
      {"no version", "GET /metrics\r\n\r\n"},
      {"bad method", std::string(20000, 'G') + " / HTTP/1.1\r\n\r\n"},
  };
  for (int i = 0; i < 2000; ++i) cases[2].second += "X-H" + std::to_string(i) + ": v\r\n";
  cases[2].second += "\r\n";
  for (const auto& [what, request] : cases) {
    int status = RawStatus(port, request);
    std::printf("%s: %d\n", what.c_str(), status);
    // Refused (4xx) or dropped (0); the huge body is never read, so its request may succeed.
    EXPECT_TRUE(status == 0 || (status >= 400 && status < 500) ||
                (what == "huge body" && status == 200))
        << what << ": " << status;
    EXPECT_GT(Scrape(*exporter_), 0) << what;
  }
}

TEST_F(Hostile, ThousandsOfConnections) {
  const int kConnections = 3000;
  std::vector<int> fds;
  int scrapes = 0;
  double worst = WorstScrapeDuring(
      *exporter_,
      [&] {
        for (int i = 0; i < kConnections; ++i) {
          int fd = Dial(exporter_->port(), /*nonblocking=*/true);
          if (fd >= 0) fds.push_back(fd);
        }
        // Half of them send a request and never read the answer; the rest stay silent.
        for (size_t i = 0; i < fds.size(); i += 2) {
          (void)send(fds[i], "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 33, MSG_NOSIGNAL);
        }
        std::this_thread::sleep_for(std::chrono::seconds(5));
        for (int fd : fds) Close(fd);
        std::this_thread::sleep_for(std::chrono::seconds(3));
      },
      &scrapes);
  std::printf("%zu concurrent connections: %d scrapes, worst %.3f s\n", fds.size(), scrapes, worst);
  EXPECT_GE(fds.size(), static_cast<size_t>(kConnections) * 9 / 10);
  EXPECT_GE(worst, 0) << "a scrape failed";
  EXPECT_LT(worst, kScrapeDeadlineSeconds);
}

TEST_F(Hostile, MalformedProbeParameters) {
  const std::vector<std::string> queries = {
      "/probe",
      "/probe?",
      "/probe?target",
      "/probe?target=",
      "/probe?target=%",
      "/probe?target=%zz",
      "/probe?target=%00",
      "/probe?target=http%3A%2F%2F127.0.0.1%00.evil",
      "/probe?target=http://[::1",
      "/probe?target=http://127.0.0.1:99999/",
      "/probe?target=http://127.0.0.1:-1/",
      "/probe?target=http://%5B::1%5D:0/",
      "/probe?target=" + std::string(12000, 'x'),
      "/probe?module=&target=x",
      "/probe?module=" + std::string(5000, 'm') + "&target=http://127.0.0.1/",
      "/probe?target=a&target=b&target=c",
      "/probe?collector=&target=",
      "/probe?collector=postgres&target=../../etc/passwd",
      "/probe?collector=http&target=%FF%FE",
      "/probe?&&&&=&=&",
      "/probe?target=http://user:pass@127.0.0.1/",
      "/probe?target=http://127.0.0.1/%2e%2e/%2e%2e/etc/passwd",
      "/probe?debug=true&target=http://127.0.0.1/",
  };
  for (const auto& q : queries) {
    auto start = Clock::now();
    auto r = exporter_->Request(q, {}, "GET", kScrapeDeadlineSeconds);
    EXPECT_TRUE(r.status >= 400 && r.status < 500) << q.substr(0, 80) << ": " << r.status;
    EXPECT_LT(Since(start), kScrapeDeadlineSeconds) << q.substr(0, 80);
  }
}

// /probe is no proxy: other schemes, hosts, ports and paths than the allowlist's are refused
// without a connection being made. A listening socket counts the connections it receives.
TEST(HostileProbe, NoProxyNoLocalFiles) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 64), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string port = std::to_string(ntohs(addr.sin_port));

  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(
      std::string(kConfig) + "probe:\n  allowed_targets: ['http://127.0.0.1:" + port + "/ok*']\n",
      kArgs))
      << exporter.Log();
  const std::vector<std::string> refused = {
      "file:///etc/passwd",
      "file://127.0.0.1/etc/passwd",
      "gopher://127.0.0.1:" + port + "/_INFO",
      "dict://127.0.0.1:" + port + "/ok",
      "ftp://127.0.0.1:" + port + "/ok",
      "telnet://127.0.0.1:" + port,
      "ldap://127.0.0.1:" + port + "/ok",
      "smtp://127.0.0.1:" + port + "/ok",
      "scp://127.0.0.1:" + port + "/ok",
      "http://127.0.0.1:" + port + "/other",
      "http://localhost:" + port + "/ok",
      "http://127.0.0.2:" + port + "/ok",
      "https://127.0.0.1:" + port + "/ok",
      "http://127.0.0.1:" + port + "/ok/%2e%2e/admin",
      "http://127.0.0.1:" + port + "/ok/..%2fadmin",
      "http://127.0.0.1:" + port + "@169.254.169.254/ok",
      "http://169.254.169.254/latest/meta-data/",
      "HTTP://127.0.0.1:" + port + "/other",
  };
  auto encode = [](const std::string& s) {
    std::string out;
    char buf[4];
    for (unsigned char c : s) {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
    return out;
  };
  for (const auto& url : refused) {
    auto r = exporter.Request("/probe?target=" + encode(url));
    EXPECT_EQ(r.status, 403) << url << ": " << r.body;
  }
  int accepted = 0;
  while (true) {
    int c = accept(listener, nullptr, nullptr);
    if (c < 0) break;
    ++accepted;
    close(c);
  }
  EXPECT_EQ(accepted, 0) << "a refused target was fetched";
  // (Numeric spellings such as http://127.1/ and http://0x7f000001/ are not in the list: libcurl
  // normalizes them to 127.0.0.1 before the allowlist judges them, so they are the allowed URL.)
  // The allowed one does connect (so the counter above can see a fetch).
  std::thread answer([&] {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 10000) > 0) {
      int c = accept(listener, nullptr, nullptr);
      ReadAll(c, std::chrono::milliseconds(300));
      SendAll(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
      close(c);
    }
  });
  auto ok = exporter.Request("/probe?target=" + encode("http://127.0.0.1:" + port + "/ok"));
  answer.join();
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(SampleValue(ok.body, "probe_success"), 1) << ok.body;
  close(listener);
}

// A thousand wrong passwords: refused with 429 past 10 failures a second, logged without the
// password, and the scraper whose password is right keeps being served.
TEST(HostileAuth, WrongPasswordAThousandTimes) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  ASSERT_NE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof salt), nullptr);
  crypt_data data{};
  std::string hash = crypt_r("Right-Horse-Battery-7", salt, &data);
  ExporterProcess exporter;
  WriteFile(exporter.dir() + "/web.yml", "basic_auth_users:\n  prometheus: " + hash + "\n");
  std::vector<std::string> args = kArgs;
  args.push_back("--web.config.file=" + exporter.dir() + "/web.yml");
  args.push_back("--log.level=debug");
  ASSERT_TRUE(exporter.Start(kConfig, args)) << exporter.Log();
  // base64 of prometheus:Right-Horse-Battery-7 and prometheus:Wr0ng-Guess-<i>.
  auto b64 = [](const std::string& in) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
      unsigned v =
          (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
      out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    }
    if (i + 1 == in.size()) {
      unsigned v = (unsigned char)in[i] << 16;
      out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
      unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
      out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
    }
    return out;
  };
  const std::string good = "Authorization: Basic " + b64("prometheus:Right-Horse-Battery-7");
  ASSERT_GT(Scrape(exporter, {good}), 0);

  std::atomic<int> denied{0}, limited{0}, other{0}, next{0};
  auto start = Clock::now();
  std::vector<std::thread> attackers;
  for (int t = 0; t < 8; ++t) {
    attackers.emplace_back([&] {
      for (int i = next++; i < 1000; i = next++) {
        auto r = exporter.Request(
            "/metrics",
            {"Authorization: Basic " + b64("prometheus:Wr0ng-Guess-" + std::to_string(i))}, "GET",
            30);
        (r.status == 401 ? denied : r.status == 429 ? limited : other)++;
      }
    });
  }
  double worst = 0;
  int good_scrapes = 0;
  while (next < 1000) {
    double s = Scrape(exporter, {good});
    ++good_scrapes;
    worst = s < 0 ? -1 : (worst < 0 ? worst : std::max(worst, s));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  for (auto& t : attackers) t.join();
  double elapsed = Since(start);
  std::printf(
      "1000 wrong passwords in %.1f s: %d denied (401), %d rate limited (429), %d other; "
      "%d good scrapes, worst %.3f s\n",
      elapsed, denied.load(), limited.load(), other.load(), good_scrapes, worst);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(denied + limited, 1000);
  // At most 10 bcrypt checks of a wrong password per second (plus one window of slack).
  EXPECT_LE(denied, 10 * (static_cast<int>(elapsed) + 2));
  EXPECT_GT(limited, 0);
  EXPECT_GE(worst, 0) << "the right password was refused during the flood";
  EXPECT_LT(worst, kScrapeDeadlineSeconds);

  std::string log = exporter.Log();
  EXPECT_EQ(log.find("Wr0ng-Guess"), std::string::npos);
  EXPECT_EQ(log.find("Right-Horse-Battery"), std::string::npos);
  EXPECT_EQ(log.find(b64("prometheus:Wr0ng-Guess-1")), std::string::npos);
  EXPECT_NE(log.find("basic auth failed for user \"prometheus\""), std::string::npos) << log;
  // Logged, but not once per attempt.
  size_t lines = 0;
  for (size_t p = log.find("basic auth failed"); p != std::string::npos;
       p = log.find("basic auth failed", p + 1)) {
    ++lines;
  }
  EXPECT_LE(lines, static_cast<size_t>(elapsed / 10) + 2);
}

}  // namespace
}  // namespace thoth::testing

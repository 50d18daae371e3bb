// Load generator of the benchmark suite (bench/run.sh). Everything goes to 127.0.0.1 and every
// run is bounded by a scrape count and a wall-clock limit.
//
//   loadgen pair --n N --max-seconds S --a URL --a-pids P[,P] [--b URL[,URL...] --b-pids P[,P]]
//     Scrapes side A and side B alternately (the order flips every round so neither side always
//     runs on a warm cache). A side with several URLs (the six peers) counts one scrape as the
//     sequential scrape of all its URLs, and its CPU and memory as the sum over its processes.
//     Prints one JSON object: per side n, median/p99 latency (ms), CPU seconds per 1,000 scrapes
//     (utime+stime from /proc/<pid>/stat), RSS (MiB, VmRSS) 0.5 s after the run, peak RSS
//     (VmHWM), bytes of one scrape.
//
//   loadgen conc --duration S --group NAME=URL,THREADS [--group ...]
//     THREADS workers per group request URL in a loop for S seconds; prints per group the count,
//     errors and the latency percentiles (ms).
#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

size_t Discard(char*, size_t size, size_t n, void* bytes) {
  *static_cast<size_t*>(bytes) += size * n;
  return size * n;
}

// One reusable connection per URL, like a Prometheus scraper keeps.
struct Fetcher {
  CURL* curl = nullptr;
  size_t bytes = 0;
  explicit Fetcher(const std::string& url) {
    curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &bytes);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  }
  ~Fetcher() { curl_easy_cleanup(curl); }
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;
  // Returns the latency in seconds, negative on a transport error or a status >= 400.
  double Get() {
    bytes = 0;
    auto start = Clock::now();
    CURLcode rc = curl_easy_perform(curl);
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return (rc == CURLE_OK && status < 400) ? s : -1;
  }
};

double CpuSeconds(const std::vector<int>& pids) {
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double total = 0;
  for (int pid : pids) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(f, line);
    // Fields after the command name, which may contain spaces, start after the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::atof(field.c_str());
      if (i == 15) stime = std::atof(field.c_str());
    }
    total += (utime + stime) / ticks;
  }
  return total;
}

// Sum over pids of a /proc/<pid>/status field in kB ("VmRSS:", "VmHWM:"), in MiB.
double StatusMiB(const std::vector<int>& pids, const std::string& field) {
  double kib = 0;
  for (int pid : pids) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind(field, 0) == 0) kib += std::atof(line.c_str() + field.size());
    }
  }
  return kib / 1024.0;
}
double RssMiB(const std::vector<int>& pids) { return StatusMiB(pids, "VmRSS:"); }
// The peak resident size since the process started (VmHWM).
double PeakRssMiB(const std::vector<int>& pids) { return StatusMiB(pids, "VmHWM:"); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct Side {
  std::vector<std::unique_ptr<Fetcher>> fetchers;
  std::vector<int> pids;
  std::vector<double> latencies;
  int errors = 0;
  double cpu_before = 0, cpu_after = 0;
  size_t bytes = 0;

  void Scrape() {
    double total = 0;
    bytes = 0;
    bool ok = true;
    for (auto& f : fetchers) {
      double s = f->Get();
      bytes += f->bytes;
      if (s < 0) ok = false;
      total += s < 0 ? 0 : s;
    }
    if (ok) {
      latencies.push_back(total);
    } else {
      ++errors;
    }
  }
  std::string Json() const {
    size_t n = latencies.size() + static_cast<size_t>(errors);
    double per1000 = n ? (cpu_after - cpu_before) * 1000.0 / static_cast<double>(n) : 0;
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "{\"n\": %zu, \"errors\": %d, \"median_ms\": %.3f, \"p99_ms\": %.3f, "
                  "\"cpu_s_per_1000\": %.3f, \"rss_mib\": %.2f, \"peak_rss_mib\": %.2f, "
                  "\"bytes\": %zu}",
                  n, errors, Percentile(latencies, 0.5) * 1000, Percentile(latencies, 0.99) * 1000,
                  per1000, RssMiB(pids), PeakRssMiB(pids), bytes);
    return buf;
  }
};

int Pair(std::map<std::string, std::string>& opt) {
  int n = std::atoi(opt["n"].c_str());
  double max_seconds = opt.count("max-seconds") ? std::atof(opt["max-seconds"].c_str()) : 120;
  int warmup = opt.count("warmup") ? std::atoi(opt["warmup"].c_str()) : 3;
  Side sides[2];
  const char* names[2] = {"a", "b"};
  int count = 0;
  for (int i = 0; i < 2; ++i) {
    for (const auto& url : Split(opt[std::string(names[i])], ','))
      sides[i].fetchers.push_back(std::make_unique<Fetcher>(url));
    for (const auto& p : Split(opt[std::string(names[i]) + "-pids"], ','))
      sides[i].pids.push_back(std::atoi(p.c_str()));
    if (!sides[i].fetchers.empty()) ++count;
  }
  for (int w = 0; w < warmup; ++w) {
    for (auto& s : sides) s.Scrape();
  }
  for (auto& s : sides) {
    s.latencies.clear();
    s.errors = 0;
    s.cpu_before = CpuSeconds(s.pids);
  }
  auto stop = Clock::now() + std::chrono::duration<double>(max_seconds);
  for (int round = 0; round < n && Clock::now() < stop; ++round) {
    int first = round % 2;
    for (int k = 0; k < 2; ++k) {
      Side& s = sides[(first + k) % 2];
      if (!s.fetchers.empty()) s.Scrape();
    }
  }
  for (auto& s : sides) s.cpu_after = CpuSeconds(s.pids);
  // Resident memory at rest: an exporter may hand memory back just after its last answer.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::printf("{\"a\": %s", sides[0].Json().c_str());
  if (count > 1) std::printf(", \"b\": %s", sides[1].Json().c_str());
  std::printf("}\n");
  return 0;
}

int Concurrent(const std::vector<std::string>& groups, double duration) {
  struct Group {
    std::string name, url;
    int threads = 1;
    std::mutex mu;
    std::vector<double> latencies;
    int errors = 0;
  };
  std::vector<std::unique_ptr<Group>> gs;
  for (const auto& spec : groups) {
    auto g = std::make_unique<Group>();
    auto eq = spec.find('=');
    auto comma = spec.rfind(',');
    if (eq == std::string::npos || comma == std::string::npos || comma < eq) {
      std::fprintf(stderr, "bad --group %s (NAME=URL,THREADS)\n", spec.c_str());
      return 2;
    }
    g->name = spec.substr(0, eq);
    g->url = spec.substr(eq + 1, comma - eq - 1);
    g->threads = std::atoi(spec.c_str() + comma + 1);
    gs.push_back(std::move(g));
  }
  auto stop = Clock::now() + std::chrono::duration<double>(duration);
  std::vector<std::thread> workers;
  for (auto& g : gs) {
    for (int t = 0; t < g->threads; ++t) {
      workers.emplace_back([&g, stop] {
        Fetcher f(g->url);
        std::vector<double> mine;
        int errors = 0;
        while (Clock::now() < stop) {
          double s = f.Get();
          if (s < 0) {
            ++errors;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          } else {
            mine.push_back(s);
          }
        }
        std::lock_guard<std::mutex> lock(g->mu);
        g->latencies.insert(g->latencies.end(), mine.begin(), mine.end());
        g->errors += errors;
      });
    }
  }
  for (auto& w : workers) w.join();
  std::printf("{");
  for (size_t i = 0; i < gs.size(); ++i) {
    const auto& g = *gs[i];
    std::printf(
        "%s\"%s\": {\"n\": %zu, \"errors\": %d, \"p50_ms\": %.3f, \"p90_ms\": %.3f, "
        "\"p99_ms\": %.3f, \"max_ms\": %.3f}",
        i ? ", " : "", g.name.c_str(), g.latencies.size(), g.errors,
        Percentile(g.latencies, 0.5) * 1000, Percentile(g.latencies, 0.9) * 1000,
        Percentile(g.latencies, 0.99) * 1000, Percentile(g.latencies, 1.0) * 1000);
  }
  std::printf("}\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: loadgen pair|conc --option value ...\n");
    return 2;
  }
  curl_global_init(CURL_GLOBAL_ALL);
  std::string mode = argv[1];
  std::map<std::string, std::string> opt;
  std::vector<std::string> groups;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0) {
      std::fprintf(stderr, "unexpected %s\n", argv[i]);
      return 2;
    }
    key = key.substr(2);
    if (key == "group") {
      groups.push_back(argv[i + 1]);
    } else {
      opt[key] = argv[i + 1];
    }
  }
  int rc = 2;
  if (mode == "pair") rc = Pair(opt);
  if (mode == "conc") rc = Concurrent(groups, std::atof(opt["duration"].c_str()));
  curl_global_cleanup();
  return rc;
}

// The Docker source against real json-file logs in a temporary directory: a writer at full
// speed with Docker's rotation (<id>-json.log -> .1 -> .2 ..., a new file) 1,000 times and a
// restart in the middle, lines longer than Docker's 16 KiB split into partial records; the
// container found through a fake Engine API on a unix socket, and waited for until it exists.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "collectors/logs/docker_source.h"
#include "collectors/logs/logs_collector.h"
#include "exporter/health_check.h"
#include "exporter/memory_errors.h"
#include "exporter/registry.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/process.h"
#include "tests/unit/docker/fake_docker_api.h"

namespace thoth::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

std::shared_ptr<Collector> MakeLog(const std::string& entry, MemoryErrors* errors) {
  CollectorEnv env;
  env.memory_errors = errors;
  auto c = BuildCollectors("logs", ParseYaml("logs: [" + entry + "]", "test.yml"), env);
  return c.at(0);
}

const logs::LogCounters& Counters(const std::shared_ptr<Collector>& c) {
  return static_cast<logs::LogCollector&>(*c).counters();
}

template <typename Pred>
bool WaitFor(Pred pred, milliseconds timeout) {
  auto until = Steady::now() + timeout;
  while (!pred()) {
    if (Steady::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

std::string WaitingRow(const std::shared_ptr<Collector>& c) {
  std::vector<HealthCheck> checks;
  c->Checks({}, true, Thresholds{}, checks);
  for (const auto& row : checks) {
    if (row.check == "source") return row.value;
  }
  return "";
}

int DescriptorsOn(const std::string& path) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/self/fd", ec)) {
    std::error_code link_ec;
    if (fs::read_symlink(e.path(), link_ec).string() == path) ++n;
  }
  return n;
}

std::string JsonRecord(const std::string& log, const char* stream = "stdout") {
  std::string out = "{\"log\":\"";
  for (char c : log) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out + "\",\"stream\":\"" + stream + "\",\"time\":\"2026-12-07T10:00:00.000000000Z\"}\n";
}

// Writes json-file records as Docker's daemon does, in write(2) pieces of random size, and
// rotates the way its json-file driver does with max-file=5.
class DockerWriter {
 public:
  DockerWriter(std::string live, unsigned seed) : live_(std::move(live)), rng_(seed) {}
  ~DockerWriter() { Close(); }

  void Open() {
    Close();
    fd_ = ::open(live_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    ASSERT_GE(fd_, 0) << live_;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Every 10th line carries MEM-001; every 97th is a long line split into three partial
  // records, with MEM-002 cut across them (counted only when joined).
  void WriteLines(int n) {
    std::string text;
    for (int i = 0; i < n; ++i, ++lines_) {
      if (lines_ % 97 == 96) {
        text +=
            JsonRecord("long " + std::to_string(lines_) + std::string(rng_() % 40, 'y') + " ME");
        text += JsonRecord("M-0" + std::string(0, 'z'), "stdout");
        text += JsonRecord("02 tail\n");
        ++mem002_;
        continue;
      }
      std::string line = "line " + std::to_string(lines_);
      if (lines_ % 10 == 0) {
        line += " ERROR MEM-001 connection timeout \"quoted\" \\ back";
        ++mem001_;
      }
      text += JsonRecord(line + std::string(rng_() % 60, 'x') + "\n",
                         lines_ % 3 == 0 ? "stderr" : "stdout");
    }
    std::size_t done = 0;
    while (done < text.size()) {
      std::size_t piece = std::min<std::size_t>(text.size() - done, 1 + rng_() % 900);
      ssize_t w = ::write(fd_, text.data() + done, piece);
      ASSERT_GT(w, 0);
      done += static_cast<std::size_t>(w);
    }
  }
  // Docker's json-file rotation with max-file files: the oldest deleted, the others shifted.
  void Rotate(int max_files = 5) {
    fs::remove(live_ + "." + std::to_string(max_files - 1));
    for (int i = max_files - 2; i >= 1; --i) {
      std::error_code ec;
      fs::rename(live_ + "." + std::to_string(i), live_ + "." + std::to_string(i + 1), ec);
    }
    ASSERT_EQ(::rename(live_.c_str(), (live_ + ".1").c_str()), 0);
    Open();
  }
  std::uint64_t mem001() const { return mem001_; }
  std::uint64_t mem002() const { return mem002_; }
  std::uint64_t lines() const { return lines_; }
  std::mt19937& rng() { return rng_; }

 private:
  std::string live_;
  std::mt19937 rng_;
  int fd_ = -1;
  std::uint64_t lines_ = 0, mem001_ = 0, mem002_ = 0;
};

const std::string kId = std::string(32, 'a') + std::string(32, 'b');

class DockerSource : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("thoth-logs-docker");
    log_dir_ = dir_ + "/containers";
    fs::create_directories(log_dir_);
  }
  void TearDown() override { RemoveTree(dir_); }
  // A container directory as Docker leaves it: config.v2.json naming it.
  std::string MakeContainer(const std::string& id, const std::string& name) {
    fs::create_directories(log_dir_ + "/" + id);
    WriteFile(log_dir_ + "/" + id + "/config.v2.json",
              "{\"ID\":\"" + id + "\",\"Name\":\"/" + name +
                  "\",\"State\":{\"Running\":true},\"Config\":{\"Image\":\"letta\"}}");
    return log_dir_ + "/" + id + "/" + id + "-json.log";
  }
  std::string dir_, log_dir_;
};

TEST_F(DockerSource, ThousandDockerRotationsAndARestartCountEveryLineOnce) {
  const std::string live = MakeContainer(kId, "letta-memory");
  MakeContainer(std::string(64, 'c'), "another");  // not ours
  const std::string entry =
      "{name: letta, format: error_codes, docker: {container: letta-memory, "
      "log_dir: " +
      log_dir_ + ", socket: \"\"}, state_file: " + dir_ + "/positions}";
  MemoryErrors errors;
  DockerWriter writer(live, 20261207);
  writer.Open();
  auto log = MakeLog(entry, &errors);
  log->Start();
  ASSERT_TRUE(WaitFor([&] { return DescriptorsOn(live) >= 2; }, seconds(10)));
  EXPECT_EQ(WaitingRow(log), "");

  const auto started = Steady::now();
  for (int r = 0; r < 1000; ++r) {
    writer.WriteLines(20 + static_cast<int>(writer.rng()() % 200));
    ASSERT_TRUE(WaitFor([&] { return DescriptorsOn(live) >= 2; }, seconds(10))) << "rotation " << r;
    if (r == 500) {
      // A restart in the middle, with rotations while the exporter is down.
      log.reset();
      writer.WriteLines(300);
      writer.Rotate();
      writer.WriteLines(300);
      writer.Rotate();
      writer.WriteLines(100);
      log = MakeLog(entry, &errors);
      log->Start();
      ASSERT_TRUE(WaitFor([&] { return DescriptorsOn(live) >= 2; }, seconds(10)));
    }
    writer.Rotate();
  }
  writer.WriteLines(100);
  ASSERT_TRUE(WaitFor(
      [&] {
        return errors.Get("MEM-001", "letta") >= writer.mem001() &&
               errors.Get("MEM-002", "letta") >= writer.mem002();
      },
      seconds(60)))
      << errors.Get("MEM-001", "letta") << " of " << writer.mem001();
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(errors.Get("MEM-001", "letta"), writer.mem001());
  EXPECT_EQ(errors.Get("MEM-002", "letta"), writer.mem002());
  EXPECT_EQ(Counters(log).lines() > 0, true);
  std::printf("[ info ] %llu lines, 1,002 Docker rotations and a restart in %.1f s\n",
              static_cast<unsigned long long>(writer.lines()),
              std::chrono::duration<double>(Steady::now() - started).count());
}

TEST_F(DockerSource, RestartsAtFullSpeedNeitherLoseNorRecount) {
  const std::string live = MakeContainer(kId, "letta-memory");
  const std::string entry =
      "{name: letta, format: error_codes, docker: {container: " + kId.substr(0, 12) +
      ", log_dir: " + log_dir_ + ", socket: \"\"}, state_file: " + dir_ + "/positions}";
  MemoryErrors errors;
  DockerWriter writer(live, 7);
  writer.Open();
  auto log = MakeLog(entry, &errors);
  log->Start();
  ASSERT_TRUE(WaitFor([&] { return DescriptorsOn(live) >= 2; }, seconds(10)));
  std::atomic<bool> stop{false};
  std::atomic<int> rotations{0};
  // No long (split) lines here: a restart between the pieces of one is the documented limit.
  std::thread writing([&] {
    for (int i = 0; !stop; ++i) {
      writer.WriteLines(50);
      if (i % 200 == 199) {
        // Enough files kept that none is deleted before it is read, even while the exporter
        // is down (at full speed the writer rotates every few milliseconds).
        writer.Rotate(1000);
        ++rotations;
      }
    }
  });
  for (int run = 0; run < 4; ++run) {
    std::this_thread::sleep_for(milliseconds(200 + 100 * run));
    log.reset();
    if (run % 2 == 1) std::this_thread::sleep_for(milliseconds(200));
    log = MakeLog(entry, &errors);
    log->Start();
  }
  stop = true;
  writing.join();
  ASSERT_TRUE(
      WaitFor([&] { return errors.Get("MEM-001", "letta") >= writer.mem001(); }, seconds(60)));
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(errors.Get("MEM-001", "letta"), writer.mem001());
  // Split lines were written too (every 97th): whether each restart fell between the pieces
  // of one decides whether its MEM-002 is counted; never more than written.
  EXPECT_LE(errors.Get("MEM-002", "letta"), writer.mem002());
  EXPECT_GT(rotations.load(), 0);
}

TEST_F(DockerSource, FoundThroughTheApiAndWaitedForUntilItExists) {
  // The log lives where the API's LogPath says, not under log_dir.
  const std::string elsewhere = dir_ + "/elsewhere";
  fs::create_directories(elsewhere);
  const std::string live = elsewhere + "/" + kId + "-json.log";
  std::atomic<bool> exists{false};
  FakeDockerApi docker;
  const std::string socket = dir_ + "/docker.sock";
  ASSERT_TRUE(docker.Start(socket, [&](const std::string& path) -> std::pair<int, std::string> {
    if (path.rfind("/containers/json", 0) == 0) {
      if (!exists) return {200, "[]"};
      return {200, "[{\"Id\":\"" + std::string(64, 'd') + "\",\"Names\":[\"/other\"]},{\"Id\":\"" +
                       kId + "\",\"Names\":[\"/letta-memory\"]}]"};
    }
    if (path == "/containers/" + kId + "/json") {
      return {200, "{\"Id\":\"" + kId + "\",\"LogPath\":\"" + live + "\"}"};
    }
    return {404, "{\"message\":\"no such container\"}"};
  }));
  MemoryErrors errors;
  auto log = MakeLog(
      "{name: letta, format: error_codes, docker: {container: letta-memory, "
      "log_dir: " +
          log_dir_ + ", socket: " + socket + "}}",
      &errors);
  log->Start();
  ASSERT_TRUE(WaitFor(
      [&] {
        return WaitingRow(log).find("waiting for container letta-memory") != std::string::npos;
      },
      seconds(10)))
      << WaitingRow(log);
  // It appears, with lines already written: they are its first lines, all counted.
  DockerWriter writer(live, 3);
  writer.Open();
  writer.WriteLines(500);
  exists = true;
  ASSERT_TRUE(
      WaitFor([&] { return errors.Get("MEM-001", "letta") >= writer.mem001(); }, seconds(15)));
  writer.WriteLines(250);
  writer.Rotate();
  writer.WriteLines(250);
  ASSERT_TRUE(
      WaitFor([&] { return errors.Get("MEM-001", "letta") >= writer.mem001(); }, seconds(15)));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(errors.Get("MEM-001", "letta"), writer.mem001());
  EXPECT_EQ(errors.Get("MEM-002", "letta"), writer.mem002());
  EXPECT_EQ(WaitingRow(log), "");
  bool inspected = false;
  for (const auto& p : docker.Requests()) inspected |= p == "/containers/" + kId + "/json";
  EXPECT_TRUE(inspected);
}

struct Lines : logs::LineHandler {
  void OnLine(std::string_view line) override {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(line);
  }
  void OnOverlongLine() override {}
  void OnRotation() override {}
  void OnTruncation() override {}
  void Flush() override {}
  std::vector<std::string> Get() {
    std::lock_guard<std::mutex> lock(mu);
    return lines;
  }
  std::mutex mu;
  std::vector<std::string> lines;
};

TEST_F(DockerSource, ContainerRecreatedUnderTheSameNameIsFollowedToItsNewFile) {
  const std::string old_live = MakeContainer(kId, "letta-memory");
  WriteFile(old_live, JsonRecord("before start\n"));
  logs::LogSourceConfig config;
  config.kind = logs::LogSourceConfig::Kind::kDocker;
  config.container = "letta-memory";
  config.docker_log_dir = log_dir_;
  config.docker_socket = "";
  logs::TailerOptions options;
  options.name = "letta";
  Lines lines;
  logs::DockerSource source(config, options, &lines);
  source.recheck_interval = milliseconds(200);
  source.Start();
  ASSERT_TRUE(WaitFor([&] { return DescriptorsOn(old_live) >= 1; }, seconds(10)));
  {
    std::ofstream out(old_live, std::ios::app);
    out << JsonRecord("old container\n");
  }
  ASSERT_TRUE(WaitFor([&] { return lines.Get().size() >= 1; }, seconds(10)));
  // docker rm + docker run --name letta-memory: a new id, a new directory, lines already there.
  RemoveTree(log_dir_ + "/" + kId);
  const std::string new_id(64, 'e');
  const std::string new_live = MakeContainer(new_id, "letta-memory");
  WriteFile(new_live, JsonRecord("new container first\n") + JsonRecord("MEM-004 second\n"));
  ASSERT_TRUE(WaitFor([&] { return lines.Get().size() >= 3; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(300));
  source.Stop();
  EXPECT_EQ(lines.Get(),
            (std::vector<std::string>{"old container", "new container first", "MEM-004 second"}));
}

TEST_F(DockerSource, ComposeServiceFoundByItsLabel) {
  // `docker compose up` names the container <project>-letta-memory-1 (no container_name, so
  // that --scale works); its service label names the service.
  fs::create_directories(log_dir_ + "/" + kId);
  WriteFile(log_dir_ + "/" + kId + "/config.v2.json",
            "{\"ID\":\"" + kId +
                "\",\"Name\":\"/deploy-letta-memory-1\",\"State\":{\"Running\":true},"
                "\"Config\":{\"Labels\":{\"com.docker.compose.service\":\"letta-memory\"}}}");
  const std::string live = log_dir_ + "/" + kId + "/" + kId + "-json.log";
  DockerWriter writer(live, 11);
  writer.Open();
  MemoryErrors errors;
  auto log = MakeLog(
      "{name: letta, format: error_codes, docker: {container: letta-memory, "
      "log_dir: " +
          log_dir_ + ", socket: \"\"}}",
      &errors);
  log->Start();
  ASSERT_TRUE(WaitFor([&] { return DescriptorsOn(live) >= 2; }, seconds(10)));
  writer.WriteLines(300);
  ASSERT_TRUE(
      WaitFor([&] { return errors.Get("MEM-001", "letta") >= writer.mem001(); }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(errors.Get("MEM-001", "letta"), writer.mem001());
}

}  // namespace
}  // namespace thoth::testing

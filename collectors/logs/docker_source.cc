#include "collectors/logs/docker_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "docker/engine_api.h"
#include "exporter/http_client.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace thoth::logs {

namespace {

using Clock = std::chrono::steady_clock;

// config.v2.json is a few KiB; a bigger file is not read.
constexpr std::size_t kMaxConfigBytes = 4 << 20;

bool ReadSmallFile(const std::string& path, std::size_t max, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  out->clear();
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || out->size() + static_cast<std::size_t>(n) > max) {
      ::close(fd);
      return n == 0;
    }
    out->append(buf, static_cast<std::size_t>(n));
  }
}

// Docker names a container's log <log_dir>/<id>/<id>-json.log; an API answer naming anything
// with glob characters or a newline is not trusted as a path.
bool SafeLogPath(const std::string& p) {
  return !p.empty() && p.front() == '/' && p.find_first_of("*?[]{}\n") == std::string::npos;
}

bool NameMatches(const std::string& wanted, const std::string& id, const std::string& name) {
  if (name == wanted) return true;
  return wanted.size() >= 12 && IsDockerId(wanted) && id.compare(0, wanted.size(), wanted) == 0;
}

}  // namespace

std::string ParseInspectLogPath(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return "";
  auto it = doc.find("LogPath");
  if (it == doc.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

bool ParseConfigV2(std::string_view text, ContainerConfigV2* out) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return false;
  auto id = doc.find("ID");
  auto name = doc.find("Name");
  if (id == doc.end() || !id->is_string() || !IsDockerId(id->get<std::string>())) return false;
  out->id = id->get<std::string>();
  out->name.clear();
  if (name != doc.end() && name->is_string()) {
    out->name = name->get<std::string>();
    if (!out->name.empty() && out->name.front() == '/') out->name.erase(0, 1);
  }
  out->compose_service.clear();
  auto config = doc.find("Config");
  if (config != doc.end() && config->is_object()) {
    auto labels = config->find("Labels");
    if (labels != config->end() && labels->is_object()) {
      auto service = labels->find("com.docker.compose.service");
      if (service != labels->end() && service->is_string()) {
        out->compose_service = service->get<std::string>();
      }
    }
  }
  out->running = false;
  auto state = doc.find("State");
  if (state != doc.end() && state->is_object()) {
    auto running = state->find("Running");
    out->running = running != state->end() && running->is_boolean() && running->get<bool>();
  }
  return true;
}

DockerSource::DockerSource(LogSourceConfig config, TailerOptions tailer, LineHandler* handler)
    : config_(std::move(config)), base_(std::move(tailer)), json_(handler, base_.max_line_bytes) {
  // The tailer's bound is on raw records: JSON escaping and the stream/time fields make a
  // record longer than its line (up to 6 bytes per byte for \u00XX escapes).
  base_.max_line_bytes = std::min<std::size_t>(base_.max_line_bytes * 6 + 4096, 64 << 20);
  SetWaiting("container " + config_.container + " not looked for yet");
}

DockerSource::~DockerSource() { Stop(); }

void DockerSource::SetWaiting(std::string why) {
  std::lock_guard<std::mutex> lock(mu_);
  waiting_ = std::move(why);
}

std::string DockerSource::Waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_;
}

DockerSource::Found DockerSource::ResolveByApi(bool* api_answered) {
  *api_answered = false;
  Found f;
  if (config_.docker_socket.empty()) return f;
  struct stat st {};
  if (::stat(config_.docker_socket.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return f;
  if (!http_) http_ = std::make_unique<HttpClient>();
  HttpRequest req;
  req.unix_socket = config_.docker_socket;
  // A local daemon answers in milliseconds; a hung one must not hold up `--once` (whose scrape
  // runs this) beyond its deadline: then the configuration files are read instead.
  req.timeout_seconds = 1;
  req.connect_timeout_seconds = 0.5;
  req.max_body_bytes = 8 << 20;
  req.url = "http://localhost/containers/json?all=1";
  HttpResponse list = http_->Fetch(req);
  if (!list.transport_ok || list.status != 200) return f;
  StatusOr<std::vector<DockerContainer>> listed = ParseDockerContainerList(list.body);
  if (!listed.ok()) return f;
  std::vector<DockerContainer> containers = std::move(listed.value());
  *api_answered = true;
  auto found = [&](const DockerContainer& c) {
    f.id = c.id;
    req.url = "http://localhost/containers/" + c.id + "/json";
    HttpResponse inspect = http_->Fetch(req);
    std::string path;
    if (inspect.transport_ok && inspect.status == 200) path = ParseInspectLogPath(inspect.body);
    // LogPath is empty for log drivers other than json-file (and local).
    if (SafeLogPath(path)) {
      f.log_path = path;
    } else {
      f.log_path = config_.docker_log_dir + "/" + c.id + "/" + c.id + "-json.log";
    }
    return f;
  };
  for (const auto& c : containers) {
    if (NameMatches(config_.container, c.id, c.name)) return found(c);
  }
  // A Compose service's container (named <project>-<service>-1): by its service label.
  req.url = "http://localhost/containers/json?all=1&filters=" +
            UrlEncode("{\"label\":[\"com.docker.compose.service=" + config_.container + "\"]}");
  HttpResponse by_label = http_->Fetch(req);
  if (by_label.transport_ok && by_label.status == 200) {
    StatusOr<std::vector<DockerContainer>> labelled = ParseDockerContainerList(by_label.body);
    if (labelled.ok() && !labelled->empty()) return found(labelled->front());
  }
  f.error = "no container " + config_.container + " (Docker API on " + config_.docker_socket + ")";
  return f;
}

DockerSource::Found DockerSource::ResolveByFiles() {
  Found f;
  DIR* dir = ::opendir(config_.docker_log_dir.c_str());
  if (dir == nullptr) {
    f.error = "cannot read " + config_.docker_log_dir + ": " + std::strerror(errno);
    return f;
  }
  ContainerConfigV2 best, by_service;
  std::string text;
  while (struct dirent* e = ::readdir(dir)) {
    std::string id = e->d_name;
    if (!IsDockerId(id)) continue;
    ContainerConfigV2 c;
    if (!ReadSmallFile(config_.docker_log_dir + "/" + id + "/config.v2.json", kMaxConfigBytes,
                       &text) ||
        !ParseConfigV2(text, &c) || c.id != id) {
      continue;
    }
    if (NameMatches(config_.container, c.id, c.name)) {
      if (best.id.empty() || (c.running && !best.running)) best = c;
    } else if (c.compose_service == config_.container) {
      // A Compose service's container (named <project>-<service>-1).
      if (by_service.id.empty() || (c.running && !by_service.running)) by_service = c;
    }
  }
  ::closedir(dir);
  if (best.id.empty()) best = by_service;
  if (best.id.empty()) {
    f.error = "no container " + config_.container + " in " + config_.docker_log_dir;
    return f;
  }
  f.id = best.id;
  f.log_path = config_.docker_log_dir + "/" + best.id + "/" + best.id + "-json.log";
  return f;
}

DockerSource::Found DockerSource::Resolve() {
  bool api_answered = false;
  Found f = ResolveByApi(&api_answered);
  if (!f.id.empty() || api_answered) return f;
  return ResolveByFiles();
}

void DockerSource::UseLogPath(const std::string& log_path, bool from_start) {
  TailerOptions options = base_;
  // The live file and Docker's rotated ones: a rename to .1 is the same file, still followed.
  options.glob = log_path + "*";
  options.from_start = options.from_start || from_start;
  tailer_ = std::make_unique<Tailer>(std::move(options), &json_);
  log_path_ = log_path;
  SetWaiting("");
}

void DockerSource::PollOnce() {
  if (thread_.joinable()) return;
  if (!tailer_) {
    Found f = Resolve();
    if (f.id.empty()) {
      SetWaiting("waiting for container " + config_.container + ": " + f.error);
      return;
    }
    UseLogPath(f.log_path, false);
  }
  tailer_->PollOnce();
}

void DockerSource::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  // Started again after a Stop(): the file found before resumes from its saved positions.
  if (tailer_ && !tailer_->started()) tailer_->Start();
  thread_ = std::thread([this] { Run(); });
}

void DockerSource::Stop() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  if (tailer_) tailer_->Stop();
}

void DockerSource::Run() {
  auto next_check = Clock::now();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, next_check, [this] { return stop_; });
      if (stop_) return;
    }
    Found f = Resolve();
    if (!tailer_) {
      if (f.id.empty()) {
        std::string why = "waiting for container " + config_.container + ": " + f.error;
        if (!waited_) spdlog::info("log {}: {}", base_.name, why);
        waited_ = true;
        SetWaiting(std::move(why));
        next_check = Clock::now() + retry_interval;
        continue;
      }
      spdlog::info("log {}: container {} ({}), reading {}", base_.name, config_.container,
                   f.id.substr(0, 12), f.log_path);
      UseLogPath(f.log_path, waited_);
      tailer_->Start();
    } else if (!f.id.empty() && f.log_path != log_path_) {
      // Re-created under the same name (a new id): the new file is read from its first line.
      // The old container's log went with it (Docker deletes it with the container).
      spdlog::info("log {}: container {} is now {}, reading {}", base_.name, config_.container,
                   f.id.substr(0, 12), f.log_path);
      tailer_->Stop();
      UseLogPath(f.log_path, true);
      tailer_->Start();
    }
    next_check = Clock::now() + recheck_interval;
  }
}

}  // namespace thoth::logs

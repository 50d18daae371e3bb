#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "collectors/logs/docker_json_line.h"
#include "collectors/logs/log_source.h"
#include "collectors/logs/tailer.h"

namespace thoth {
class HttpClient;
}

namespace thoth::logs {

// Pure parsers of what tells where a container's json-file log is.
// GET /containers/{id}/json: its LogPath ("" when absent or not a string).
std::string ParseInspectLogPath(std::string_view text);
// A container directory's config.v2.json: its ID, Name (without the leading '/') and whether
// it runs. False when the text is not such a file.
struct ContainerConfigV2 {
  std::string id;
  std::string name;
  bool running = false;
  std::string compose_service;  // Config.Labels["com.docker.compose.service"]
};
bool ParseConfigV2(std::string_view text, ContainerConfigV2* out);

// A Docker container's json-file log, found by name or id through the Docker API on `socket`
// (its LogPath), else from the config.v2.json files under log_dir; failing that, the container
// of the Compose service of that name (label com.docker.compose.service; with replicas, one). The
// files
// (<id>-json.log and Docker's rotated <id>-json.log.1, .2, ...) are followed by the file
// tailer, with its rename/create logic and its device/inode/offset positions, and each record
// is decoded by a DockerJsonHandler.
//
// A container that does not exist yet is looked for every few seconds (Waiting() says so) and
// read from its first line once it appears; a container re-created under the same name (a new
// id) is followed to its new file, also from its first line.
class DockerSource : public LogSource {
 public:
  DockerSource(LogSourceConfig config, TailerOptions tailer, LineHandler* handler);
  ~DockerSource() override;

  void Start() override;
  void Stop() override;
  void PollOnce() override;
  std::string Waiting() const override;

  // How often a missing container is looked for, and a found one checked for a new id.
  std::chrono::milliseconds retry_interval{2000};
  std::chrono::milliseconds recheck_interval{10000};

 private:
  struct Found {
    std::string id;
    std::string log_path;
    std::string error;  // why not found
  };
  Found Resolve();
  Found ResolveByApi(bool* api_answered);
  Found ResolveByFiles();
  // Makes the tailer for a log path (not started).
  void UseLogPath(const std::string& log_path, bool from_start);
  void Run();
  void SetWaiting(std::string why);

  LogSourceConfig config_;
  TailerOptions base_;
  DockerJsonHandler json_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<Tailer> tailer_;
  std::string log_path_;
  bool waited_ = false;  // not found at first: its file is read from the start when it comes

  mutable std::mutex mu_;
  std::string waiting_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace thoth::logs

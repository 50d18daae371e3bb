#include "collectors/logs/log_source.h"

#include "collectors/logs/docker_source.h"
#include "collectors/logs/journal_source.h"

namespace thoth::logs {

namespace {

// Today's files: the tailer itself.
class FileSource : public LogSource {
 public:
  FileSource(TailerOptions options, LineHandler* handler) : tailer_(std::move(options), handler) {}
  void Start() override { tailer_.Start(); }
  void Stop() override { tailer_.Stop(); }
  void PollOnce() override { tailer_.PollOnce(); }

 private:
  Tailer tailer_;
};

}  // namespace

bool ParseLogSource(const ConfigNode& entry, LogSourceConfig* out) {
  int given =
      (entry.Has("path") ? 1 : 0) + (entry.Has("docker") ? 1 : 0) + (entry.Has("journal") ? 1 : 0);
  if (given != 1) {
    entry.Fail("needs exactly one of path, docker, journal (the source of the log)");
  }
  if (entry.Has("docker")) {
    ConfigNode d = entry.Child("docker");
    if (!d.IsMap())
      entry.FailKey("docker", "must be a map with container, log_dir, socket, stream");
    d.ExpectKeys({"container", "log_dir", "socket", "stream"});
    out->kind = LogSourceConfig::Kind::kDocker;
    out->container = d.RequiredString("container");
    if (!out->container.empty() && out->container.front() == '/') out->container.erase(0, 1);
    if (out->container.empty() || out->container.find('/') != std::string::npos) {
      d.FailKey("container", "must be a container name or id");
    }
    out->docker_log_dir = d.String("log_dir", out->docker_log_dir);
    if (out->docker_log_dir.empty() || out->docker_log_dir.front() != '/') {
      d.FailKey("log_dir", "must be an absolute path");
    }
    out->docker_socket = d.String("socket", out->docker_socket);
    if (!out->docker_socket.empty() && out->docker_socket.front() != '/') {
      d.FailKey("socket", "must be an absolute path (or \"\" for none)");
    }
    out->docker_stream = d.String("stream", "");
    if (!out->docker_stream.empty() && out->docker_stream != "stdout" &&
        out->docker_stream != "stderr") {
      d.FailKey("stream", "expected stdout or stderr (or leave it out for both)");
    }
    return true;
  }
  if (entry.Has("journal")) {
    ConfigNode j = entry.Child("journal");
    if (!j.IsMap()) entry.FailKey("journal", "must be a map with unit, directory");
    j.ExpectKeys({"unit", "directory"});
    out->kind = LogSourceConfig::Kind::kJournal;
    out->unit = j.RequiredString("unit");
    if (out->unit.empty() || out->unit.find_first_of("\n=") != std::string::npos) {
      j.FailKey("unit", "must be a systemd unit name");
    }
    // A unit given without a type is a service, as systemctl takes it.
    if (out->unit.find('.') == std::string::npos) out->unit += ".service";
    out->journal_dir = j.String("directory", "");
    if (!out->journal_dir.empty() && out->journal_dir.front() != '/') {
      j.FailKey("directory", "must be an absolute path (or \"\" for the system journal)");
    }
    return true;
  }
  return false;
}

std::unique_ptr<LogSource> MakeLogSource(const LogSourceConfig& config, TailerOptions tailer,
                                         LineHandler* handler) {
  switch (config.kind) {
    case LogSourceConfig::Kind::kDocker:
      return std::make_unique<DockerSource>(config, std::move(tailer), handler);
    case LogSourceConfig::Kind::kJournal:
      return std::make_unique<JournalSource>(config, std::move(tailer), handler);
    case LogSourceConfig::Kind::kFile:
      break;
  }
  return std::make_unique<FileSource>(std::move(tailer), handler);
}

}  // namespace thoth::logs

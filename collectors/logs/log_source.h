#pragma once

#include <memory>
#include <string>

#include "collectors/logs/line_assembler.h"
#include "collectors/logs/tailer.h"
#include "exporter/config_reader.h"

namespace thoth::logs {

// Where a log's lines come from: exactly one of `path:` (files), `docker:` or `journal:`.
struct LogSourceConfig {
  enum class Kind { kFile, kDocker, kJournal };
  Kind kind = Kind::kFile;
  // docker: {container, log_dir, socket, stream}
  std::string container;  // name (with or without its leading '/') or id
  std::string docker_log_dir = "/var/lib/docker/containers";
  std::string docker_socket = "/var/run/docker.sock";  // "" = configuration files only
  std::string docker_stream;  // "stdout" or "stderr": only that stream; "" = both
  // journal: {unit, directory}
  std::string unit;
  std::string journal_dir;  // "" = the system journal
};

// Reads `docker:` or `journal:` of a `logs` entry into *out (throws ConfigError naming the
// key). Returns false when the entry has neither (a `path:` entry).
bool ParseLogSource(const ConfigNode& entry, LogSourceConfig* out);

// What a log collector reads through: a file glob, a Docker container's json-file log or a
// systemd unit's journal entries. Lines go to the LineHandler given at construction, from the
// source's own thread once started, else from the caller's thread in PollOnce().
class LogSource {
 public:
  virtual ~LogSource() = default;
  // Follows the source on a background thread, from its saved position.
  virtual void Start() = 0;
  // Stops following and writes the final position to the state file.
  virtual void Stop() = 0;
  // Reads what is there now from the saved position, on the caller's thread, without writing
  // the state file (`--once`); only when not started.
  virtual void PollOnce() = 0;
  // "" while the source is being read; else why not (a container or unit that does not exist
  // yet, a journal that cannot be opened), for the landing page and `--once`.
  virtual std::string Waiting() const { return ""; }
};

// The source of a log. `tailer` carries the name, state file, line bound and from_start (and
// test timings); `tailer.glob` is the path of a file source.
std::unique_ptr<LogSource> MakeLogSource(const LogSourceConfig& config, TailerOptions tailer,
                                         LineHandler* handler);

}  // namespace thoth::logs

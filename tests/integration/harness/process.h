#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace thoth::testing {

// A fresh directory under /tmp, readable by every user (PostgreSQL runs as `postgres`).
std::string MakeTempDir(const std::string& prefix);
void RemoveTree(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();
// True once something accepts connections on 127.0.0.1:port.
bool WaitForPort(int port, std::chrono::milliseconds timeout);

struct RunResult {
  int exit_code = -1;  // -1: could not run or timed out
  std::string output;  // stdout and stderr together
};
// Runs argv to completion (killed after timeout).
RunResult Run(const std::vector<std::string>& argv,
              std::chrono::milliseconds timeout = std::chrono::seconds(120),
              const std::map<std::string, std::string>& env = {});
// Runs a shell command line.
RunResult Shell(const std::string& command,
                std::chrono::milliseconds timeout = std::chrono::seconds(120));

// A child process in its own process group, stopped (SIGKILL to the group) when destroyed.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // stdout and stderr go to log_path (appended). env entries are added to the environment.
  bool Start(const std::vector<std::string>& argv, const std::string& log_path,
             const std::map<std::string, std::string>& env = {});
  pid_t pid() const { return pid_; }
  bool Running();
  void Signal(int sig);
  // Sends sig and waits up to timeout for the exit, then SIGKILLs. Returns the wait status.
  int Stop(int sig = 15, std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  pid_t pid_ = -1;
};

// Where the build put the exporter binary, and the source tree.
std::string ExporterBinary();
std::string SourceDir();
std::string FixturesDir();

// Reads VmRSS of a process in bytes (0 if gone).
long ResidentBytes(pid_t pid);
// Counts the open file descriptors of a process.
int OpenFds(pid_t pid);

}  // namespace thoth::testing

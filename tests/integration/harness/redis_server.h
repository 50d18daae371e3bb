#pragma once

#include <csignal>
#include <string>
#include <vector>

#include "tests/integration/harness/process.h"

namespace thoth::testing {

// A real redis-server on a free port of 127.0.0.1, run in the foreground as a ChildProcess in a
// temporary directory with persistence off (`--save '' --appendonly no`). Its config file is
// <dir>/redis.conf: `extra_config` lines (e.g. ACL `user ...` directives, `requirepass`) are
// appended to it. Stopped by PID and its directory removed when destroyed.
class RedisServer {
 public:
  RedisServer() = default;
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts and waits until PING answers (false after 10 s). admin_password is what the
  // harness's own commands authenticate with as the default user ("" = none).
  bool Start(const std::vector<std::string>& extra_config = {},
             const std::string& admin_password = "");
  // SIGTERM and wait for the exit (the port is then free again).
  void Stop();
  // Starts again on the same port with the same configuration.
  bool Restart();
  void Freeze() { process_.Signal(SIGSTOP); }
  void Thaw() { process_.Signal(SIGCONT); }

  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  const std::string& dir() const { return dir_; }
  std::string address() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  std::string Log() const;

  // Runs one command as the admin (a fresh hiredis connection, 10 s timeout). Returns the reply
  // as text: a bulk/status string, an integer in decimal, "ERR..." for an error reply, array
  // elements joined by '\n'. Empty on a transport failure (see *ok).
  std::string Command(const std::vector<std::string>& argv, bool* ok = nullptr) const;
  // The server's own INFO <section> (raw text).
  std::string Info(const std::string& section = "all") const { return Command({"INFO", section}); }
  // One field of INFO ALL, e.g. InfoField("used_memory"); "" when absent.
  std::string InfoField(const std::string& field) const;

 private:
  bool Launch();

  std::string dir_;
  int port_ = 0;
  std::string admin_password_;
  ChildProcess process_;
};

}  // namespace thoth::testing

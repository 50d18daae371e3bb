#pragma once

#include <string>

#include "tests/integration/harness/process.h"

namespace thoth::testing {

// A real nginx on 127.0.0.1 (single process, no daemon) writing its access log in `combined`
// followed by $request_time (Start), or in plain `combined` (StartCombined). Locations answer
// with fixed statuses: /status/<code> for 200, 401, 403, 404, 429, 500, 502, and / serves a
// small file. Stopped by PID when destroyed.
class NginxServer {
 public:
  NginxServer();
  ~NginxServer();

  // extra_log_format: appended after $request_time in the log format (e.g.
  // " $upstream_response_time"), to test fields added by operators.
  bool Start(const std::string& extra_log_format = "");
  // As the stack's deployment guide configures nginx: `access_log PATH;` without a format,
  // i.e. nginx's predefined `combined` (no $request_time).
  bool StartCombined();
  void Stop();
  // SIGUSR1: nginx reopens its log files (what logrotate's postrotate does).
  void ReopenLogs();

  int port() const { return port_; }
  std::string url(const std::string& path) const;
  std::string access_log() const { return dir_ + "/logs/access.log"; }
  const std::string& dir() const { return dir_; }

 private:
  bool Launch(const std::string& log_directives);

  std::string dir_;
  int port_ = 0;
  ChildProcess process_;
};

}  // namespace thoth::testing

#include "tests/integration/harness/nginx_server.h"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>

namespace thoth::testing {

NginxServer::NginxServer() : dir_(MakeTempDir("thoth-nginx")) {}

NginxServer::~NginxServer() {
  Stop();
  RemoveTree(dir_);
}

bool NginxServer::Start(const std::string& extra_log_format) {
  return Launch(
      "  log_format timed '$remote_addr - $remote_user [$time_local] \"$request\" "
      "$status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_time" +
      extra_log_format + "';\n  access_log " + access_log() + " timed;\n");
}

bool NginxServer::StartCombined() { return Launch("  access_log " + access_log() + ";\n"); }

bool NginxServer::Launch(const std::string& log_directives) {
  mkdir((dir_ + "/logs").c_str(), 0755);
  mkdir((dir_ + "/tmp").c_str(), 0755);
  mkdir((dir_ + "/html").c_str(), 0755);
  WriteFile(dir_ + "/html/index.html", "hello\n");
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreePort();
    std::string statuses;
    for (int code : {200, 401, 403, 404, 429, 500, 502}) {
      statuses += "    location = /status/" + std::to_string(code) + " { return " +
                  std::to_string(code) + "; }\n";
    }
    WriteFile(dir_ + "/nginx.conf",
              "daemon off;\nmaster_process off;\nworker_processes 1;\npid " + dir_ +
                  "/nginx.pid;\nerror_log " + dir_ +
                  "/logs/error.log;\nevents { worker_connections 256; }\nhttp {\n" +
                  log_directives + "  client_body_temp_path " + dir_ + "/tmp;\n  proxy_temp_path " +
                  dir_ + "/tmp;\n  fastcgi_temp_path " + dir_ + "/tmp;\n  uwsgi_temp_path " + dir_ +
                  "/tmp;\n  scgi_temp_path " + dir_ +
                  "/tmp;\n"
                  "  server {\n    listen 127.0.0.1:" +
                  std::to_string(port_) + ";\n    root " + dir_ + "/html;\n" + statuses +
                  "  }\n}\n");
    if (!process_.Start({"/usr/sbin/nginx", "-p", dir_, "-e", dir_ + "/logs/error.log", "-c",
                         dir_ + "/nginx.conf"},
                        dir_ + "/stdout.log")) {
      return false;
    }
    if (WaitForPort(port_, std::chrono::seconds(10))) return true;
    process_.Stop(9);
  }
  return false;
}

void NginxServer::Stop() { process_.Stop(SIGTERM, std::chrono::seconds(10)); }

void NginxServer::ReopenLogs() { process_.Signal(SIGUSR1); }

std::string NginxServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

}  // namespace thoth::testing

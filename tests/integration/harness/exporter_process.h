#pragma once

#include <map>
#include <string>
#include <vector>

#include "exporter/http_client.h"
#include "tests/integration/harness/process.h"

namespace thoth::testing {

// The real exporter binary, started on a free port of 127.0.0.1 with a config file written
// into a temporary directory. Stopped when destroyed.
class ExporterProcess {
 public:
  ExporterProcess();
  ~ExporterProcess();

  // Writes config_yaml to <dir>/config.yml and starts the exporter with it; extra_args are
  // appended. Waits until /health answers (false if it does not within 10 s).
  bool Start(const std::string& config_yaml, const std::vector<std::string>& extra_args = {},
             const std::map<std::string, std::string>& env = {});
  void Stop();
  // Talk https to the exporter from now on, trusting ca_file (the exporter is started with a
  // web config whose tls_server_config does not require client certificates).
  void UseTls(const std::string& ca_file) { tls_ca_file_ = ca_file; }
  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
  std::string BaseUrl() const;
  const std::string& tls_ca_file() const { return tls_ca_file_; }
  // Rewrites the config file (for reload tests).
  void WriteConfig(const std::string& config_yaml);

  // GET (or another method) on the exporter; headers as "Name: value".
  HttpResponse Request(const std::string& path, const std::vector<std::string>& headers = {},
                       const std::string& method = "GET", double timeout_seconds = 30);
  std::string Metrics() { return Request("/metrics").body; }

  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  const std::string& dir() const { return dir_; }
  std::string config_path() const { return dir_ + "/config.yml"; }
  std::string Log() const;  // everything the exporter printed so far
  ChildProcess& process() { return process_; }

 private:
  std::string dir_;
  int port_ = 0;
  std::string tls_ca_file_;
  ChildProcess process_;
};

// Makes a self-signed certificate for 127.0.0.1 (dir/tls.crt, dir/tls.key, with openssl) and
// dir/web.yml serving TLS with it, no client certificate asked. Returns false if openssl fails.
// Then: start with "--web.config.file=" + dir + "/web.yml" and UseTls(dir + "/tls.crt").
bool WriteSelfSignedTlsWebConfig(const std::string& dir);

// Runs the exporter binary to completion with args (e.g. --once), returns its exit code and
// output.
RunResult RunExporter(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {});

// Value of the first sample of `name` whose labels include every pair in `labels`, parsed from
// Prometheus text; NaN when absent.
double SampleValue(const std::string& text, const std::string& name,
                   const std::map<std::string, std::string>& labels = {});

// Pipes text through `promtool check metrics`; returns its exit code and findings.
RunResult PromtoolCheckMetrics(const std::string& text);

// promtool's lint findings on text, one a line, without the two it raises on node_exporter's own
// names that SPEC §5 keeps for compatibility (node_memory_MemTotal_bytes and
// node_memory_MemAvailable_bytes: "should be written in 'snake_case' not 'camelCase'"). Empty
// means clean.
std::vector<std::string> PromtoolFindings(const std::string& text);

}  // namespace thoth::testing

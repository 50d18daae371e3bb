#include "tests/integration/harness/exporter_process.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace thoth::testing {

ExporterProcess::ExporterProcess() : dir_(MakeTempDir("thoth-exporter")) {}

ExporterProcess::~ExporterProcess() {
  Stop();
  RemoveTree(dir_);
}

void ExporterProcess::WriteConfig(const std::string& config_yaml) {
  WriteFile(config_path(), config_yaml);
}

bool ExporterProcess::Start(const std::string& config_yaml,
                            const std::vector<std::string>& extra_args,
                            const std::map<std::string, std::string>& env) {
  WriteConfig(config_yaml);
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreePort();
    std::vector<std::string> argv = {ExporterBinary(), "--config.file=" + config_path(),
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    if (!process_.Start(argv, dir_ + "/exporter.log", env)) return false;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until && process_.Running()) {
      if (Request("/health", {}, "GET", 1).status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    process_.Stop(9);
  }
  return false;
}

void ExporterProcess::Stop() { process_.Stop(15, std::chrono::seconds(10)); }

bool WriteSelfSignedTlsWebConfig(const std::string& dir) {
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
      "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
      dir + "/tls.key -out " + dir + "/tls.crt 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) return false;
  std::ofstream(dir + "/web.yml") << "tls_server_config:\n  cert_file: tls.crt\n"
                                     "  key_file: tls.key\n";
  return true;
}

std::string ExporterProcess::BaseUrl() const {
  return (tls_ca_file_.empty() ? "http://127.0.0.1:" : "https://127.0.0.1:") +
         std::to_string(port_);
}

HttpResponse ExporterProcess::Request(const std::string& path,
                                      const std::vector<std::string>& headers,
                                      const std::string& method, double timeout_seconds) {
  HttpClient client;
  HttpRequest req;
  req.method = method;
  req.url = BaseUrl() + path;
  req.ca_file = tls_ca_file_;
  req.headers = headers;
  req.timeout_seconds = timeout_seconds;
  req.connect_timeout_seconds = 2;
  req.max_body_bytes = 256 << 20;
  return client.Fetch(req);
}

std::string ExporterProcess::Log() const { return ReadFile(dir_ + "/exporter.log"); }

RunResult RunExporter(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {ExporterBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, std::chrono::seconds(120), env);
}

double SampleValue(const std::string& text, const std::string& name,
                   const std::map<std::string, std::string>& labels) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line.compare(0, name.size(), name) != 0) continue;
    if (line.size() <= name.size() || (line[name.size()] != '{' && line[name.size()] != ' ')) {
      continue;
    }
    bool all = true;
    for (const auto& [k, v] : labels) {
      std::string want = k + "=\"" + v + "\"";
      size_t at = line.find(want);
      if (at == std::string_view::npos || (line[at - 1] != '{' && line[at - 1] != ',')) {
        all = false;
        break;
      }
    }
    if (!all) continue;
    size_t space = line.rfind(' ');
    return std::strtod(std::string(line.substr(space + 1)).c_str(), nullptr);
  }
  return std::nan("");
}

RunResult PromtoolCheckMetrics(const std::string& text) {
  std::string dir = MakeTempDir("thoth-promtool");
  WriteFile(dir + "/metrics.txt", text);
  RunResult r = Shell("promtool check metrics < " + dir + "/metrics.txt");
  RemoveTree(dir);
  return r;
}

std::vector<std::string> PromtoolFindings(const std::string& text) {
  RunResult r = PromtoolCheckMetrics(text);
  std::vector<std::string> findings;
  if (r.exit_code != 0 && r.exit_code != 3) {  // 3 = lint findings; anything else: no verdict
    findings.push_back("promtool exited " + std::to_string(r.exit_code) + ": " + r.output);
    return findings;
  }
  std::size_t pos = 0;
  while (pos < r.output.size()) {
    std::size_t eol = r.output.find('\n', pos);
    if (eol == std::string::npos) eol = r.output.size();
    std::string line = r.output.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty()) continue;
    bool peer_name = line.rfind("node_memory_MemTotal_bytes ", 0) == 0 ||
                     line.rfind("node_memory_MemAvailable_bytes ", 0) == 0;
    if (peer_name && line.find("camelCase") != std::string::npos) continue;
    findings.push_back(line);
  }
  return findings;
}

}  // namespace thoth::testing

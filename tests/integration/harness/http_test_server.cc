#include "tests/integration/harness/http_test_server.h"

#include <civetweb.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

namespace thoth::testing {

namespace {

std::string Var(const mg_request_info* ri, const char* name, const std::string& def) {
  if (ri->query_string == nullptr) return def;
  std::vector<char> buf(64 * 1024);
  int n = mg_get_var(ri->query_string, std::strlen(ri->query_string), name, buf.data(), buf.size());
  return n >= 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : def;
}

int IntVar(const mg_request_info* ri, const char* name, int def) {
  std::string v = Var(ri, name, "");
  return v.empty() ? def : std::atoi(v.c_str());
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 302:
      return "Found";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

void Write(mg_connection* conn, const std::string& data) {
  if (!data.empty()) mg_write(conn, data.data(), data.size());
}

}  // namespace

HttpTestServer::~HttpTestServer() { Stop(); }

bool HttpTestServer::Start(int threads) {
  port_ = FreePort();
  const std::string ports = "127.0.0.1:" + std::to_string(port_);
  const std::string nthreads = std::to_string(threads);
  const char* options[] = {"listening_ports",
                           ports.c_str(),
                           "num_threads",
                           nthreads.c_str(),
                           "enable_keep_alive",
                           "yes",
                           "request_timeout_ms",
                           "30000",
                           nullptr};
  mg_callbacks callbacks{};
  ctx_ = mg_start(&callbacks, this, options);
  if (ctx_ == nullptr) return false;
  mg_set_request_handler(ctx_, "/", &HttpTestServer::Handle, this);
  return WaitForPort(port_, std::chrono::seconds(5));
}

void HttpTestServer::Stop() {
  stopping_ = true;
  if (ctx_ != nullptr) mg_stop(ctx_);
  ctx_ = nullptr;
}

std::string HttpTestServer::Url(const std::string& path_and_query) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path_and_query;
}

std::vector<int> HttpTestServer::RemotePorts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return remote_ports_;
}

void HttpTestServer::Wait(int ms) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stopping_ && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int HttpTestServer::Handle(mg_connection* conn, void* self) {
  return static_cast<HttpTestServer*>(self)->Serve(conn);
}

int HttpTestServer::Serve(mg_connection* conn) {
  const mg_request_info* ri = mg_get_request_info(conn);
  {
    std::lock_guard<std::mutex> lock(mu_);
    remote_ports_.push_back(ri->remote_port);
  }
  const std::string uri = ri->local_uri != nullptr ? ri->local_uri : "";
  int status = IntVar(ri, "status", 200);
  std::string body = Var(ri, "body", R"({"status":"healthy"})");
  if (uri == "/auth") {
    const char* auth = mg_get_header(conn, "Authorization");
    const std::string want = "Bearer " + Var(ri, "token", "");
    status = auth != nullptr && want == auth ? 200 : 401;
    if (status == 401) body = R"({"detail":"Not authenticated"})";
  } else if (uri != "/respond") {
    status = 404;
    body = "not found";
  }
  if (int n = IntVar(ri, "body_bytes", -1); n >= 0) body.assign(static_cast<std::size_t>(n), 'x');
  const std::string type = Var(ri, "content_type", "application/json");
  const std::string location = Var(ri, "location", "");

  Wait(IntVar(ri, "delay_ms", 0));
  if (Var(ri, "garbage", "") == "1") {
    Write(conn, "SSH-2.0-OpenSSH_9.2\r\nthis is not HTTP\r\n\r\n");
    return 1;
  }
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) +
                     "\r\nContent-Type: " + type + "\r\n";
  if (!location.empty()) head += "Location: " + location + "\r\n";
  if (Var(ri, "chunked", "") == "1") {
    head += "Transfer-Encoding: chunked\r\n\r\n";
    Write(conn, head);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", body.size());
    if (!body.empty()) Write(conn, size + body + "\r\n");
    Write(conn, "0\r\n\r\n");
    return status;
  }
  head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  Write(conn, head);
  if (int stall = IntVar(ri, "stall_ms", 0); stall > 0) {
    Write(conn, body.substr(0, body.size() / 2));
    Wait(stall);
    Write(conn, body.substr(body.size() / 2));
    return status;
  }
  Write(conn, body);
  return status;
}

TlsFront::~TlsFront() { Stop(); }

bool TlsFront::Start(int backend_port, int valid_days) {
  dir_ = MakeTempDir("thoth-tls-front");
  cert_path_ = dir_ + "/cert.pem";
  const std::string key = dir_ + "/key.pem";
  RunResult made =
      Run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-nodes", "-keyout", key, "-out", cert_path_, "-days", std::to_string(valid_days),
           "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
          std::chrono::seconds(30));
  if (made.exit_code != 0) {
    error_ = "openssl req failed: " + made.output;
    return false;
  }
  RunResult end = Run({"openssl", "x509", "-enddate", "-noout", "-in", cert_path_});
  // "notAfter=Dec 21 02:00:00 2025 GMT"
  std::tm tm{};
  const auto eq = end.output.find('=');
  if (end.exit_code != 0 || eq == std::string::npos ||
      strptime(end.output.c_str() + eq + 1, "%b %d %H:%M:%S %Y GMT", &tm) == nullptr) {
    error_ = "cannot read the certificate's end date: " + end.output;
    return false;
  }
  not_after_ = static_cast<double>(timegm(&tm));

  port_ = FreePort();
  const std::string conf = dir_ + "/nginx.conf";
  WriteFile(conf, std::string(geteuid() == 0 ? "user root;\n" : "") +
                      "worker_processes 1;\n"
                      "daemon off;\n"
                      "pid " +
                      dir_ +
                      "/nginx.pid;\n"
                      "error_log " +
                      dir_ +
                      "/error.log warn;\n"
                      "events { worker_connections 512; }\n"
                      "http {\n"
                      "  access_log off;\n"
                      "  client_body_temp_path " +
                      dir_ +
                      "/body;\n"
                      "  proxy_temp_path " +
                      dir_ +
                      "/proxy;\n"
                      "  fastcgi_temp_path " +
                      dir_ +
                      "/fastcgi;\n"
                      "  uwsgi_temp_path " +
                      dir_ +
                      "/uwsgi;\n"
                      "  scgi_temp_path " +
                      dir_ +
                      "/scgi;\n"
                      "  server {\n"
                      "    listen 127.0.0.1:" +
                      std::to_string(port_) +
                      " ssl;\n"
                      "    ssl_certificate " +
                      cert_path_ +
                      ";\n"
                      "    ssl_certificate_key " +
                      key +
                      ";\n"
                      "    location / {\n"
                      "      proxy_pass http://127.0.0.1:" +
                      std::to_string(backend_port) +
                      ";\n"
                      "      proxy_buffering off;\n"
                      "    }\n"
                      "  }\n"
                      "}\n");
  if (!nginx_.Start({"nginx", "-p", dir_, "-e", dir_ + "/error.log", "-c", conf},
                    dir_ + "/nginx.out")) {
    error_ = "cannot start nginx";
    return false;
  }
  if (!WaitForPort(port_, std::chrono::seconds(10))) {
    error_ =
        "nginx did not listen: " + ReadFile(dir_ + "/error.log") + ReadFile(dir_ + "/nginx.out");
    return false;
  }
  return true;
}

void TlsFront::Stop() {
  if (nginx_.pid() > 0) nginx_.Stop(15, std::chrono::seconds(5));
  if (!dir_.empty()) RemoveTree(dir_);
  dir_.clear();
}

std::string TlsFront::Url(const std::string& path_and_query) const {
  return "https://127.0.0.1:" + std::to_string(port_) + path_and_query;
}

}  // namespace thoth::testing

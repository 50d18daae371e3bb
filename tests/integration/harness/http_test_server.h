#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "tests/integration/harness/process.h"

struct mg_context;
struct mg_connection;

namespace thoth::testing {

// A local HTTP/1.1 server on 127.0.0.1 (civetweb, plain HTTP) whose behaviour each request
// chooses in its query string, so that one server serves every probe test:
//
//   /respond?status=503            status code (default 200)
//           &body=TEXT             body (default {"status":"healthy"}); body_bytes=N sends N 'x'
//           &content_type=TYPE     default application/json
//           &delay_ms=300          wait before answering (time to first byte)
//           &stall_ms=2000         send the headers and half the body, then wait
//           &garbage=1             answer with bytes that are not HTTP
//           &location=URL          add a Location header (with status=302: a redirect)
//           &chunked=1             no Content-Length (chunked encoding)
//   /auth?token=T                  200 with {"status":"healthy"} when the request carries
//                                  "Authorization: Bearer T", else 401
//
// Keep-alive is on, so that a client that reuses connections is visible: every request's client
// port is recorded (RemotePorts). Waits are cut short by Stop(). Thread-safe.
class HttpTestServer {
 public:
  HttpTestServer() = default;
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  // `threads` bounds the requests served at once (one per civetweb worker).
  bool Start(int threads = 128);
  void Stop();

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" + path_and_query.
  std::string Url(const std::string& path_and_query) const;
  // The client port of every request so far, in arrival order.
  std::vector<int> RemotePorts() const;

 private:
  static int Handle(mg_connection* conn, void* self);
  int Serve(mg_connection* conn);
  // Sleeps up to ms, returning early when the server stops.
  void Wait(int ms) const;

  mg_context* ctx_ = nullptr;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<int> remote_ports_;
};

// nginx terminating TLS on 127.0.0.1 with a self-signed certificate made by `openssl req` for
// 127.0.0.1 (subjectAltName IP), proxying every request to a plain HTTP backend. civetweb's own
// TLS crashes with OpenSSL 3, hence a real nginx.
class TlsFront {
 public:
  TlsFront() = default;
  ~TlsFront();
  TlsFront(const TlsFront&) = delete;
  TlsFront& operator=(const TlsFront&) = delete;

  // false (with the reason in error()) when nginx or openssl are missing or fail.
  bool Start(int backend_port, int valid_days = 30);
  void Stop();

  int port() const { return port_; }
  std::string Url(const std::string& path_and_query) const;
  const std::string& cert_path() const { return cert_path_; }
  // The certificate's notAfter in unix seconds, as `openssl x509 -enddate` reports it.
  double cert_not_after() const { return not_after_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  std::string cert_path_;
  double not_after_ = 0;
  int port_ = 0;
  std::string error_;
  ChildProcess nginx_;
};

}  // namespace thoth::testing

#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/app.h"
#include "exporter/status.h"
#include "exporter/web_config.h"

class CivetServer;

namespace thoth {

class TlsServer;

// The exporter's HTTP endpoints on civetweb (SPEC §3): /, /metrics (or --web.telemetry-path),
// /probe, /health, /-/reload. Paths are exact; anything else is 404. Basic auth, when
// configured, guards every path but /health. Requests are bounded in header size and time.
// With `tls_server_config` in the web config, the same endpoints are served over TLS only
// (see TlsServer); `http_server_config.headers` go on every response.
class HttpServer {
 public:
  // web_config_path: the file `web` was read from, re-read by ReloadWebConfig ("" for none).
  HttpServer(App& app, std::string listen_address, std::string telemetry_path, WebConfig web,
             std::string web_config_path = "");
  ~HttpServer();

  Status Start();
  void Stop();
  // The address actually bound (useful with port 0).
  std::string BoundAddress() const;

  // Re-reads the web config file (SIGHUP, /-/reload): users, headers and TLS settings apply
  // from the next request on. On any error the running web config stays, whole. Turning TLS on
  // or off needs a restart (the listener would change).
  Status ReloadWebConfig();

  class Handler;

 private:
  // What a request needs from the web config: one consistent snapshot per request.
  struct WebState {
    std::shared_ptr<BasicAuth> auth;
    std::vector<std::string> headers;  // "Name: value"
  };
  std::shared_ptr<const WebState> web_state() const;
  static std::shared_ptr<const WebState> MakeWebState(const WebConfig& web);

  App& app_;
  std::string listen_address_;
  std::string telemetry_path_;
  WebConfig web_;
  std::string web_config_path_;
  mutable std::mutex web_mu_;
  std::shared_ptr<const WebState> web_state_;
  std::unique_ptr<TlsServer> tls_;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<CivetServer> server_;
};

// The parameters of a /probe request, URL-decoded from its query string (civetweb's
// mg_get_var). A parameter that is absent, or longer than 8 KiB decoded, is not present.
struct ProbeQuery {
  std::string target, collector, module;
  bool has_target = false, has_collector = false, has_module = false;
};
ProbeQuery ParseProbeQuery(const char* query_string);

// gzip-compresses data (for Accept-Encoding: gzip). Empty on failure.
std::string Gzip(const std::string& data);
// True when an Accept-Encoding header value accepts gzip (and does not say gzip;q=0).
bool AcceptsGzip(const char* accept_encoding);

}  // namespace thoth

#pragma once

#include <memory>
#include <string>

#include "exporter/app.h"
#include "exporter/status.h"
#include "exporter/web_config.h"

class CivetServer;

namespace thoth {

// The exporter's HTTP endpoints on civetweb (SPEC §3): /, /metrics (or --web.telemetry-path),
// /probe, /health, /-/reload. Paths are exact; anything else is 404. Basic auth, when
// configured, guards every path but /health. Requests are bounded in header size and time.
class HttpServer {
 public:
  HttpServer(App& app, std::string listen_address, std::string telemetry_path,
             std::unique_ptr<BasicAuth> auth);
  ~HttpServer();

  Status Start();
  void Stop();
  // The address actually bound (useful with port 0).
  std::string BoundAddress() const;

  class Handler;

 private:
  App& app_;
  std::string listen_address_;
  std::string telemetry_path_;
  std::unique_ptr<BasicAuth> auth_;
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

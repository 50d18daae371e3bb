#include "exporter/http_server.h"

#include <malloc.h>
#include <zlib.h>

#include <cstring>
#include <exception>
#include <functional>
#include <optional>
#include <vector>

#include "CivetServer.h"
#include "exporter/render_threads.h"
#include "exporter/tls_server.h"
#include "spdlog/spdlog.h"

namespace thoth {

std::string Gzip(const std::string& data) {
  z_stream zs{};
  // 15 window bits + 16 selects the gzip wrapper; level 1: scrapes are latency-bound.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out;
  out.resize(deflateBound(&zs, data.size()) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : "";
}

bool AcceptsGzip(const char* accept_encoding) {
  if (accept_encoding == nullptr) return false;
  std::string_view v(accept_encoding);
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t comma = v.find(',', pos);
    if (comma == std::string_view::npos) comma = v.size();
    std::string_view item = v.substr(pos, comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    std::string_view coding = item.substr(0, item.find(';'));
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding == "gzip" || coding == "*") {
      std::string_view params = item.size() > coding.size() ? item.substr(coding.size()) : "";
      size_t q = params.find("q=");
      if (q == std::string_view::npos) return true;
      double qv = std::strtod(std::string(params.substr(q + 2)).c_str(), nullptr);
      return qv > 0;
    }
    pos = comma + 1;
  }
  return false;
}

namespace {

// The http_server_config.headers of the request being served (set by Dispatch).
thread_local const std::vector<std::string>* t_configured_headers = nullptr;

void Send(mg_connection* conn, int status, const char* status_text, const std::string& type,
          const std::string& body, const std::vector<std::string>& extra_headers = {}) {
  std::string head =
      "HTTP/1.1 " + std::to_string(status) + " " + status_text + "\r\nContent-Type: " + type +
      "\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nCache-Control: no-store\r\n"
      // Keep-alive is off (see the server options): the connection closes after this response,
      // and a client that is not told so reuses it and fails its next request (0.7-5 % of the
      // requests of a client that keeps connections, as Prometheus does).
      "Connection: close\r\n";
  for (const auto& h : extra_headers) head += h + "\r\n";
  if (t_configured_headers != nullptr) {
    for (const auto& h : *t_configured_headers) head += h + "\r\n";
  }
  head += "\r\n";
  // One write for head and a small body: two small writes would wait for the client's delayed
  // ACK where Nagle's algorithm is on (~40 ms a response). A large body (a scrape of thousands
  // of series) is written on its own rather than copied behind the head: the socket has
  // TCP_NODELAY, and the body fills whole segments anyway.
  if (body.size() <= 16384) {
    head += body;
    mg_write(conn, head.data(), head.size());
    return;
  }
  mg_write(conn, head.data(), head.size());
  mg_write(conn, body.data(), body.size());
}

std::string QueryVar(const char* query_string, const char* name, bool* present) {
  *present = false;
  if (query_string == nullptr) return "";
  std::vector<char> buf(8192);
  int n = mg_get_var(query_string, std::strlen(query_string), name, buf.data(), buf.size());
  if (n < 0) return "";  // -1 absent, -2 too long: both refused as missing
  *present = true;
  return std::string(buf.data(), static_cast<size_t>(n));
}

// After a response: a large scrape (10,000 tables) frees megabytes; hand the free pages back
// once the body and its compressed copy are gone too, so that resident memory reflects what the
// exporter holds rather than its largest scrape. Only above 1 MiB free: trimming consolidates
// every free chunk, which cost a quarter of an ordinary scrape's CPU time when done every time.
void TrimFreedMemory() {
  if (mallinfo2().fordblks > (1 << 20)) malloc_trim(0);
}

// Runs `render` on one of the render threads (see RenderThreads for why) and returns its
// result; exceptions reach the caller.
template <typename T>
T OffWorker(RenderThreads& threads, const std::function<T()>& render) {
  T result{};
  std::exception_ptr error;
  threads.Run([&] {
    try {
      result = render();
    } catch (...) {
      error = std::current_exception();
    }
  });
  if (error) std::rethrow_exception(error);
  return result;
}

// A response body for the client: gzip-compressed when it asks for it.
struct Body {
  std::string bytes;
  bool gzip = false;
};

Body Encode(std::string text, bool gzip) {
  if (gzip) {
    std::string gz = Gzip(text);
    if (!gz.empty()) return {std::move(gz), true};
  }
  return {std::move(text), false};
}

}  // namespace

ProbeQuery ParseProbeQuery(const char* query_string) {
  ProbeQuery q;
  q.target = QueryVar(query_string, "target", &q.has_target);
  q.collector = QueryVar(query_string, "collector", &q.has_collector);
  q.module = QueryVar(query_string, "module", &q.has_module);
  return q;
}

class HttpServer::Handler : public CivetHandler {
 public:
  explicit Handler(HttpServer& server) : server_(server) {}

  bool handleGet(CivetServer*, mg_connection* conn) override { return Dispatch(conn, "GET"); }
  bool handlePost(CivetServer*, mg_connection* conn) override { return Dispatch(conn, "POST"); }
  bool handleHead(CivetServer*, mg_connection* conn) override { return Dispatch(conn, "HEAD"); }
  bool handlePut(CivetServer*, mg_connection* conn) override { return Dispatch(conn, "PUT"); }
  bool handleDelete(CivetServer*, mg_connection* conn) override { return Dispatch(conn, "DELETE"); }
  bool handleOptions(CivetServer*, mg_connection* conn) override {
    return Dispatch(conn, "OPTIONS");
  }
  bool handlePatch(CivetServer*, mg_connection* conn) override { return Dispatch(conn, "PATCH"); }

 private:
  bool Dispatch(mg_connection* conn, const std::string& method) {
    std::shared_ptr<const WebState> web = server_.web_state();
    t_configured_headers = &web->headers;
    try {
      Route(conn, method, *web);
    } catch (const std::exception& e) {
      spdlog::error("internal error serving a request: {}", e.what());
      Send(conn, 500, "Internal Server Error", "text/plain; charset=utf-8", "internal error\n");
    }
    t_configured_headers = nullptr;
    return true;
  }

  void Route(mg_connection* conn, const std::string& method, const WebState& web) {
    const mg_request_info* info = mg_get_request_info(conn);
    const std::string path = info->local_uri != nullptr ? info->local_uri : "";
    App& app = server_.app_;

    if (path == "/health") {
      if (method != "GET" && method != "HEAD") return MethodNotAllowed(conn, "GET");
      return Send(conn, 200, "OK", "text/plain; charset=utf-8", method == "HEAD" ? "" : "ok\n");
    }
    const bool known =
        path == "/" || path == server_.telemetry_path_ || path == "/probe" || path == "/-/reload";
    if (!known) return Send(conn, 404, "Not Found", "text/plain; charset=utf-8", "not found\n");

    if (AnsweredByAuth(conn, info, web)) return;

    if (path == "/-/reload") return Reload(conn, method);
    if (method != "GET" && method != "HEAD") return MethodNotAllowed(conn, "GET");

    if (path == "/") {
      return Send(conn, 200, "OK", "text/html; charset=utf-8",
                  app.LandingPage(server_.telemetry_path_));
    }
    const auto deadline = app.Deadline(mg_get_header(conn, "X-Prometheus-Scrape-Timeout-Seconds"));
    const bool gzip = AcceptsGzip(mg_get_header(conn, "Accept-Encoding"));
    if (path == server_.telemetry_path_) {
      SendMetrics(conn,
                  OffWorker<Body>(renderers_, [&] { return Encode(app.Metrics(deadline), gzip); }),
                  method);
      return TrimFreedMemory();
    }
    Probe(conn, info, method, deadline, gzip);
  }

  // Basic auth, when configured: true when the request was answered (401 or 429).
  bool AnsweredByAuth(mg_connection* conn, const mg_request_info* info, const WebState& web) {
    if (!web.auth || !web.auth->enabled()) return false;
    const char* peer = info->remote_addr;
    auto result = web.auth->Check(mg_get_header(conn, "Authorization"), peer);
    if (result == BasicAuth::Result::kRateLimited) {
      Send(conn, 429, "Too Many Requests", "text/plain; charset=utf-8",
           "too many failed logins, try again later\n", {"Retry-After: 1"});
      return true;
    }
    if (result == BasicAuth::Result::kDenied) {
      Send(conn, 401, "Unauthorized", "text/plain; charset=utf-8", "unauthorized\n",
           {"WWW-Authenticate: Basic realm=\"thoth-exporter\""});
      return true;
    }
    return false;
  }

  // POST/PUT /-/reload: the configuration and the web configuration, or the reason not.
  void Reload(mg_connection* conn, const std::string& method) {
    if (method != "POST" && method != "PUT") return MethodNotAllowed(conn, "POST");
    Status s = server_.app_.Reload();
    if (s.ok()) s = server_.ReloadWebConfig();
    if (!s.ok()) {
      return Send(conn, 500, "Internal Server Error", "text/plain; charset=utf-8",
                  "reload failed, the running configuration stays: " + s.message() + "\n");
    }
    return Send(conn, 200, "OK", "text/plain; charset=utf-8", "reloaded\n");
  }

  // /probe?target=...[&collector=...|&module=...]: a configured target, or an ad-hoc HTTP probe.
  void Probe(mg_connection* conn, const mg_request_info* info, const std::string& method,
             Clock::time_point deadline, bool gzip) {
    App& app = server_.app_;
    ProbeQuery q = ParseProbeQuery(info->query_string);
    const bool has_target = q.has_target, has_collector = q.has_collector,
               has_module = q.has_module;
    std::string target = std::move(q.target), collector = std::move(q.collector),
                module = std::move(q.module);
    if (!has_target || target.empty()) {
      return Send(conn, 400, "Bad Request", "text/plain; charset=utf-8",
                  "target parameter is missing\n");
    }
    if (has_collector) {
      auto body = OffWorker<std::optional<Body>>(renderers_, [&]() -> std::optional<Body> {
        std::string text;
        if (!app.ProbeTarget(collector, target, deadline, &text)) return std::nullopt;
        return Encode(std::move(text), gzip);
      });
      if (!body) {
        return Send(
            conn, 404, "Not Found", "text/plain; charset=utf-8",
            "no configured target \"" + target + "\" for collector \"" + collector + "\"\n");
      }
      SendMetrics(conn, *body, method);
      body.reset();
      return TrimFreedMemory();
    }
    if (!has_module || module.empty()) module = "http_2xx";
    if (Status allowed = app.AdHocAllowed(target, module); !allowed.ok()) {
      return Send(conn, 403, "Forbidden", "text/plain; charset=utf-8", allowed.message() + "\n");
    }
    SendMetrics(
        conn,
        OffWorker<Body>(renderers_,
                        [&] { return Encode(app.AdHocProbe(target, module, deadline), gzip); }),
        method);
    TrimFreedMemory();
  }

  void SendMetrics(mg_connection* conn, const Body& body, const std::string& method) {
    static const std::string kType = "text/plain; version=0.0.4; charset=utf-8";
    static const std::string kNone;
    const std::string& bytes = method == "HEAD" ? kNone : body.bytes;
    if (body.gzip) {
      return Send(conn, 200, "OK", kType, bytes,
                  {"Content-Encoding: gzip", "Vary: Accept-Encoding"});
    }
    Send(conn, 200, "OK", kType, bytes);
  }

  void MethodNotAllowed(mg_connection* conn, const std::string& allowed) {
    Send(conn, 405, "Method Not Allowed", "text/plain; charset=utf-8", "method not allowed\n",
         {"Allow: " + allowed});
  }

  HttpServer& server_;
  RenderThreads renderers_;
};

HttpServer::HttpServer(App& app, std::string listen_address, std::string telemetry_path,
                       WebConfig web, std::string web_config_path)
    : app_(app),
      listen_address_(std::move(listen_address)),
      telemetry_path_(std::move(telemetry_path)),
      web_(std::move(web)),
      web_config_path_(std::move(web_config_path)),
      web_state_(MakeWebState(web_)) {}

std::shared_ptr<const HttpServer::WebState> HttpServer::MakeWebState(const WebConfig& web) {
  auto state = std::make_shared<WebState>();
  state->auth = std::make_shared<BasicAuth>(web);
  for (const auto& [name, value] : web.headers) state->headers.push_back(name + ": " + value);
  return state;
}

std::shared_ptr<const HttpServer::WebState> HttpServer::web_state() const {
  std::lock_guard<std::mutex> lock(web_mu_);
  return web_state_;
}

Status HttpServer::ReloadWebConfig() {
  if (web_config_path_.empty()) return Status::Ok();
  WebConfig web;
  Status s = LoadWebConfig(web_config_path_, &web);
  if (s.ok() && web.tls.has_value() != (tls_ != nullptr)) {
    s = Status::Error(web_config_path_ + ": tls_server_config " + (tls_ ? "removed" : "added") +
                      ": switching TLS on or off needs a restart");
  }
  if (s.ok() && tls_) s = tls_->Update(*web.tls);
  if (!s.ok()) {
    spdlog::error("web config reload failed, keeping the running one: {}", s.message());
    return Status::Error("web config: " + s.message());
  }
  auto state = MakeWebState(web);
  std::lock_guard<std::mutex> lock(web_mu_);
  web_ = std::move(web);
  web_state_ = std::move(state);
  spdlog::info("reloaded the web config from {}", web_config_path_);
  return Status::Ok();
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  // civetweb wants "[::]:9745" for IPv6 and accepts "0.0.0.0:9745" / "127.0.0.1:9745".
  std::string ports = listen_address_;
  if (ports.rfind(':', 0) == 0) ports = "0.0.0.0" + ports;
  CivetCallbacks callbacks;
  if (web_.tls) {
    Status s = TlsServer::Create(*web_.tls, &tls_);
    if (!s.ok()) return s;
    ports += "s";  // civetweb: this port speaks TLS
    // civetweb hands its SSL_CTX to init_ssl; TlsServer sets up every connection on it.
    callbacks.init_ssl = [](void* ssl_ctx, void* user_data) -> int {
      auto* civet = static_cast<CivetServer*>(user_data);
      auto* self = static_cast<const HttpServer*>(civet->getUserContext());
      return self->tls_->InstallOn(ssl_ctx);
    };
  }
  const std::vector<std::string> options = {
      "listening_ports",
      ports,
      // civetweb gives each connection a worker thread until it closes, so any connection that
      // holds a worker keeps Prometheus waiting. Measured: 48 idle keep-alive connections
      // starved /metrics for the whole 60 s keep-alive timeout, and 48 clients trickling one
      // byte a second for the whole 15 s request timeout. Hence: no keep-alive (a scrape every
      // few seconds gains nothing from it), requests must arrive within 5 s (a real client's
      // take milliseconds), and twice as many workers as one scraper and a few hostile clients
      // can occupy.
      "num_threads",
      "64",
      "listen_backlog",
      "256",
      "request_timeout_ms",
      "5000",
      "enable_keep_alive",
      "no",
      "tcp_nodelay",
      "1",  // responses go out at once, not after the client's delayed ACK
      "max_request_size",
      "16384",  // request line and headers
      "decode_url",
      "yes",
  };
  try {
    handler_ = std::make_unique<Handler>(*this);
    server_ = std::make_unique<CivetServer>(options, &callbacks, this);
    server_->addHandler("/", handler_.get());
  } catch (const CivetException& e) {
    server_.reset();
    return Status::Error("cannot listen on " + listen_address_ + ": " + e.what());
  }
  return Status::Ok();
}

void HttpServer::Stop() {
  if (server_) {
    server_->close();
    server_.reset();
  }
}

std::string HttpServer::BoundAddress() const {
  if (!server_) return "";
  auto ports = server_->getListeningPorts();
  return ports.empty() ? listen_address_ : std::to_string(ports.front());
}

}  // namespace thoth

#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "exporter/status.h"
#include "exporter/web_config.h"

struct ssl_st;

namespace thoth {

// Native TLS for the HTTP server (`tls_server_config` of the web config).
//
// civetweb owns the sockets and the handshake; this class owns what the handshake presents and
// checks. civetweb's SSL_CTX gets a ClientHello callback (InstallOn) that sets up each
// connection from the current state: certificate chain and key, client-certificate policy and
// CA, protocol versions, cipher suites. The certificate, key and CA files are looked at (stat)
// on every handshake and re-read when they change, so a renewed certificate is served on the
// next connection without a restart; a renewal that cannot be loaded (half-written, key not
// matching) is logged and the previous certificate stays in service until the files are whole.
// Session resumption is off, so every connection is checked against the current state.
class TlsServer {
 public:
  // Makes civetweb's TLS work with OpenSSL 3 (see tls_server.cc). Idempotent.
  static Status PrepareLibrary();

  // Reads the files named by config. Errors are one line naming the web config's file:line and
  // key, the file and what is wrong with it.
  static Status Create(const TlsServerConfig& config, std::unique_ptr<TlsServer>* out);
  ~TlsServer();

  // A new configuration (reload): used from the next connection on. On error nothing changes.
  Status Update(const TlsServerConfig& config);

  // civetweb's init_ssl callback: ssl_ctx is civetweb's SSL_CTX. Returns 1 (set up) or -1.
  int InstallOn(void* ssl_ctx);

  struct State;

 private:
  TlsServer() = default;
  // The state for a new connection, after re-reading files that changed.
  std::shared_ptr<const State> Current();
  static int OnClientHello(::ssl_st* ssl, int* alert, void* arg);

  std::mutex mu_;
  std::shared_ptr<const State> state_;
  std::string failed_stamp_;  // the file stamps of the last renewal that failed to load
};

}  // namespace thoth

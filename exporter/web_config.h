#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "exporter/status.h"

namespace thoth {

// `tls_server_config` of the exporter-toolkit web config. Paths are made absolute against the
// web config's directory, as exporter-toolkit does. The *_at strings ("web.yml:3:14:
// tls_server_config.cert_file") say where a path was given, for errors found when the file is
// read (see TlsServer).
struct TlsServerConfig {
  enum class ClientAuth {
    kNone,              // NoClientCert
    kRequest,           // RequestClientCert: asked for, neither required nor verified
    kRequireAny,        // RequireAnyClientCert: required, not verified
    kVerifyIfGiven,     // VerifyClientCertIfGiven
    kRequireAndVerify,  // RequireAndVerifyClientCert
  };
  std::string cert_file, key_file, client_ca_file;
  std::string cert_file_at, key_file_at, client_ca_file_at;
  ClientAuth client_auth = ClientAuth::kNone;
  int min_version = 0x0303;  // TLS 1.2 (exporter-toolkit's default)
  int max_version = 0x0304;  // TLS 1.3
  // OpenSSL names of the TLS 1.2-and-below suites (Go names in the file); empty: OpenSSL's
  // defaults. As in Go, TLS 1.3 suites are not configurable.
  std::vector<std::string> cipher_suites;
  std::string groups;  // curve_preferences as an OpenSSL group list ("P-256:X25519"); "": default
};

// The exporter-toolkit web config (--web.config.file): `basic_auth_users: {user: <bcrypt
// hash>}`, `tls_server_config` (served natively, see TlsServer) and `http_server_config.headers`
// (the security headers exporter-toolkit allows).
struct WebConfig {
  std::map<std::string, std::string> basic_auth_users;       // user -> bcrypt hash
  std::optional<TlsServerConfig> tls;                        // absent: plain HTTP
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response
};

// The Go (crypto/tls) name of a cipher suite as OpenSSL names it; "" when unknown. TLS 1.3
// suites map to "(tls13)": accepted and, as in Go, not configurable.
std::string OpenSslCipherName(std::string_view go_name);
// TLS10..TLS13 as a protocol version number (0x0301..0x0304); 0 when unknown.
int TlsVersionNumber(std::string_view name);

Status LoadWebConfig(const std::string& path, WebConfig* out);
Status ParseWebConfig(const std::string& text, const std::string& name, WebConfig* out);

// Decodes standard base64 (with or without padding). nullopt on invalid input.
std::optional<std::string> DecodeBase64(std::string_view in);

// Splits an `Authorization: Basic ...` header value into user and password.
bool ParseBasicAuthorization(std::string_view header, std::string* user, std::string* password);

// Checks Basic credentials against bcrypt hashes (libcrypt's crypt_r).
//
// bcrypt is slow on purpose, so: a successful (user, password) is remembered (as a salted
// SHA-256-crypt digest, never in clear) so scrapes do not pay for bcrypt every time, and failed
// attempts are rate limited (beyond kMaxFailuresPerSecond, requests are refused without running
// bcrypt). Failures are logged with the user name and peer, never the password.
// Thread-safe.
class BasicAuth {
 public:
  enum class Result { kAllowed, kDenied, kRateLimited };
  static constexpr int kMaxFailuresPerSecond = 10;

  explicit BasicAuth(WebConfig config);
  bool enabled() const { return !config_.basic_auth_users.empty(); }
  // header: the Authorization header value or nullptr; peer: for the log line.
  Result Check(const char* header, const std::string& peer);

 private:
  std::string CacheKey(const std::string& user, const std::string& password) const;

  WebConfig config_;
  std::string cache_salt_;
  std::mutex mu_;
  std::unordered_set<std::string> good_;
  std::chrono::steady_clock::time_point window_start_;
  int failures_in_window_ = 0;
  std::chrono::steady_clock::time_point last_failure_log_;
  int unlogged_failures_ = 0;
};

}  // namespace thoth

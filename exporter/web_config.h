#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include "exporter/status.h"

namespace thoth {

// The exporter-toolkit web config (--web.config.file), of which the exporter honours
// `basic_auth_users: {user: <bcrypt hash>}`. TLS is terminated by a reverse proxy, so
// `tls_server_config` is refused with a message saying so.
struct WebConfig {
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
};

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

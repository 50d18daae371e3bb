#include "exporter/web_config.h"

#include <crypt.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "exporter/config_reader.h"
#include "spdlog/spdlog.h"

namespace thoth {

Status ParseWebConfig(const std::string& text, const std::string& name, WebConfig* out) {
  try {
    ConfigNode root = ParseYaml(text, name);
    root.ExpectKeys({"basic_auth_users", "tls_server_config", "http_server_config"});
    if (!root.Child("tls_server_config").IsNull()) {
      root.FailKey("tls_server_config",
                   "TLS is not terminated by the exporter; put it behind the reverse proxy in "
                   "deploy/nginx (civetweb's TLS is unreliable with OpenSSL 3)");
    }
    WebConfig config;
    for (const auto& [user, hash_node] : root.Child("basic_auth_users").Entries()) {
      std::string hash = hash_node.AsString();
      if (hash.rfind("$2", 0) != 0 || hash.size() < 59) {
        hash_node.Fail("expected a bcrypt hash ($2a$/$2b$/$2y$...), e.g. from htpasswd -nBC 10");
      }
      if (user.empty() || user.find(':') != std::string::npos) {
        hash_node.Fail("a user name must be non-empty and contain no ':'");
      }
      config.basic_auth_users[user] = hash;
    }
    *out = std::move(config);
    return Status::Ok();
  } catch (const ConfigError& e) {
    return Status::Error(e.what());
  }
}

Status LoadWebConfig(const std::string& path, WebConfig* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot read the web config: " + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  return ParseWebConfig(buf.str(), path, out);
}

std::optional<std::string> DecodeBase64(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

bool ParseBasicAuthorization(std::string_view header, std::string* user, std::string* password) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  constexpr std::string_view kBasic = "Basic ";
  if (header.size() <= kBasic.size() || header.substr(0, kBasic.size()) != kBasic) return false;
  header.remove_prefix(kBasic.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.size() > 4096) return false;
  auto decoded = DecodeBase64(header);
  if (!decoded) return false;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  *user = decoded->substr(0, colon);
  *password = decoded->substr(colon + 1);
  return true;
}

BasicAuth::BasicAuth(WebConfig config) : config_(std::move(config)) {
  static constexpr char kSaltChars[] =
      "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::random_device rd;
  std::string salt;
  for (int i = 0; i < 16; ++i) salt += kSaltChars[rd() % 64];
  cache_salt_ = "$5$rounds=1000$" + salt + "$";
}

std::string BasicAuth::CacheKey(const std::string& user, const std::string& password) const {
  crypt_data data{};
  // crypt_r stops at NUL, so join with ':', which a user name cannot contain.
  const std::string input = user + ":" + password;
  const char* digest = crypt_r(input.c_str(), cache_salt_.c_str(), &data);
  return digest == nullptr ? std::string() : std::string(digest);
}

BasicAuth::Result BasicAuth::Check(const char* header, const std::string& peer) {
  if (!enabled()) return Result::kAllowed;
  std::string user, password;
  // bcrypt stops at a NUL byte, so a password containing one could match a shorter password.
  const bool parsed = header != nullptr && ParseBasicAuthorization(header, &user, &password) &&
                      password.find('\0') == std::string::npos;
  if (parsed) {
    std::string key = CacheKey(user, password);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!key.empty() && good_.count(key) > 0) return Result::kAllowed;
    }
    auto it = config_.basic_auth_users.find(user);
    if (it != config_.basic_auth_users.end()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto now = std::chrono::steady_clock::now();
        if (now - window_start_ >= std::chrono::seconds(1)) {
          window_start_ = now;
          failures_in_window_ = 0;
        }
        if (failures_in_window_ >= kMaxFailuresPerSecond) {
          ++unlogged_failures_;
          return Result::kRateLimited;
        }
      }
      crypt_data data{};
      const char* out = crypt_r(password.c_str(), it->second.c_str(), &data);
      if (out != nullptr && it->second == out) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!key.empty() && good_.size() < 1024) good_.insert(key);
        return Result::kAllowed;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (now - window_start_ >= std::chrono::seconds(1)) {
    window_start_ = now;
    failures_in_window_ = 0;
  }
  ++failures_in_window_;
  ++unlogged_failures_;
  if (now - last_failure_log_ >= std::chrono::seconds(10)) {
    // The user name is shown (it helps find a misconfigured scraper); the password never.
    spdlog::warn(
        "basic auth failed for user \"{}\" from {} ({} failed attempts since the last "
        "message)",
        parsed ? user : std::string("(no valid credentials)"), peer, unlogged_failures_);
    last_failure_log_ = now;
    unlogged_failures_ = 0;
  }
  return Result::kDenied;
}

}  // namespace thoth

#include "exporter/web_config.h"

#include <crypt.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "exporter/config_checks.h"
#include "exporter/config_reader.h"
#include "spdlog/spdlog.h"

namespace thoth {

namespace {

// "web.yml:3:14: tls_server_config.cert_file", for errors found when the file is read.
std::string Where(const ConfigNode& node) {
  try {
    node.Fail("");
  } catch (const ConfigError& e) {
    std::string where = e.what();
    if (where.size() >= 2 && where.compare(where.size() - 2, 2, ": ") == 0) {
      where.resize(where.size() - 2);
    }
    return where;
  }
  return node.path();
}

// Relative paths are relative to the web config file's directory (as in exporter-toolkit).
std::string JoinDir(const std::string& config_name, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  size_t slash = config_name.rfind('/');
  if (slash == std::string::npos) return path;
  return config_name.substr(0, slash + 1) + path;
}

// cert_file, key_file, client_ca_file: resolved against the web config's directory.
void ParseTlsFiles(const ConfigNode& tls, const std::string& name, TlsServerConfig& c) {
  auto path = [&](const char* key, std::string* out, std::string* at) {
    ConfigNode node = tls.Child(key);
    if (node.IsNull()) return;
    *out = node.AsString();
    if (out->empty()) node.Fail("must not be empty");
    *out = JoinDir(name, *out);
    *at = Where(node);
  };
  path("cert_file", &c.cert_file, &c.cert_file_at);
  path("key_file", &c.key_file, &c.key_file_at);
  path("client_ca_file", &c.client_ca_file, &c.client_ca_file_at);
  if (c.cert_file.empty()) tls.Fail("cert_file is required to serve TLS");
  if (c.key_file.empty()) tls.Fail("key_file is required to serve TLS");
}

// client_auth_type, and whether the client CA agrees with it.
void ParseClientAuth(const ConfigNode& tls, TlsServerConfig& c) {
  const std::string auth = tls.String("client_auth_type", "");
  if (auth.empty() || auth == "NoClientCert") {
    c.client_auth = TlsServerConfig::ClientAuth::kNone;
  } else if (auth == "RequestClientCert") {
    c.client_auth = TlsServerConfig::ClientAuth::kRequest;
  } else if (auth == "RequireAnyClientCert" || auth == "RequireClientCert") {
    c.client_auth = TlsServerConfig::ClientAuth::kRequireAny;
  } else if (auth == "VerifyClientCertIfGiven") {
    c.client_auth = TlsServerConfig::ClientAuth::kVerifyIfGiven;
  } else if (auth == "RequireAndVerifyClientCert") {
    c.client_auth = TlsServerConfig::ClientAuth::kRequireAndVerify;
  } else {
    tls.FailKey("client_auth_type",
                "unknown value \"" + auth +
                    "\" (expected NoClientCert, RequestClientCert, RequireAnyClientCert, "
                    "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
  }
  const bool verifies = c.client_auth == TlsServerConfig::ClientAuth::kVerifyIfGiven ||
                        c.client_auth == TlsServerConfig::ClientAuth::kRequireAndVerify;
  if (!c.client_ca_file.empty() && c.client_auth == TlsServerConfig::ClientAuth::kNone) {
    tls.FailKey("client_ca_file",
                "a client CA is configured without a client_auth_type that asks for client "
                "certificates");
  }
  if (verifies && c.client_ca_file.empty()) {
    tls.FailKey("client_auth_type", auth + " needs client_ca_file (the CA that signs clients)");
  }
}

// min_version, max_version, cipher_suites, curve_preferences.
void ParseTlsVersionsAndCiphers(const ConfigNode& tls, TlsServerConfig& c) {
  auto version = [&](const char* key, int def) {
    ConfigNode node = tls.Child(key);
    if (node.IsNull()) return def;
    int v = TlsVersionNumber(node.AsString());
    if (v == 0) node.Fail("unknown TLS version (expected TLS10, TLS11, TLS12 or TLS13)");
    return v;
  };
  c.min_version = version("min_version", c.min_version);
  c.max_version = version("max_version", c.max_version);
  if (c.min_version > c.max_version) tls.FailKey("min_version", "is above max_version");

  for (const ConfigNode& item : tls.Child("cipher_suites").Items()) {
    const std::string go = item.AsString();
    const std::string ossl = OpenSslCipherName(go);
    if (ossl.empty()) item.Fail("unknown cipher suite \"" + go + "\" (Go crypto/tls names)");
    if (ossl != "(tls13)") c.cipher_suites.push_back(ossl);
  }
  if (!tls.Child("cipher_suites").Items().empty() && c.cipher_suites.empty() &&
      c.min_version < 0x0304) {
    tls.FailKey("cipher_suites", "lists no TLS 1.2 suite; use min_version: TLS13 instead");
  }
  for (const ConfigNode& item : tls.Child("curve_preferences").Items()) {
    const std::string v = item.AsString();
    std::string group = v == "CurveP256"   ? "P-256"
                        : v == "CurveP384" ? "P-384"
                        : v == "CurveP521" ? "P-521"
                        : v == "X25519"    ? "X25519"
                                           : "";
    if (group.empty())
      item.Fail("unknown curve (expected CurveP256, CurveP384, CurveP521 or X25519)");
    c.groups += (c.groups.empty() ? "" : ":") + group;
  }
}

TlsServerConfig ParseTls(const ConfigNode& tls, const std::string& name) {
  tls.ExpectKeys({"cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version",
                  "max_version", "cipher_suites", "curve_preferences",
                  "prefer_server_cipher_suites", "cert", "key", "client_ca",
                  "client_allowed_sans"});
  for (const char* key : {"cert", "key", "client_ca", "client_allowed_sans"}) {
    if (!tls.Child(key).IsNull()) {
      tls.FailKey(key,
                  "not supported by this exporter; give certificates and keys as files "
                  "(cert_file, key_file, client_ca_file)");
    }
  }
  TlsServerConfig c;
  ParseTlsFiles(tls, name, c);
  ParseClientAuth(tls, c);
  ParseTlsVersionsAndCiphers(tls, c);
  (void)tls.Bool("prefer_server_cipher_suites", true);  // the server's order is always used
  return c;
}

}  // namespace

std::string OpenSslCipherName(std::string_view go_name) {
  static const std::pair<std::string_view, std::string_view> kNames[] = {
      {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
      {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
      {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
      {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
      {"TLS_AES_128_GCM_SHA256", "(tls13)"},
      {"TLS_AES_256_GCM_SHA384", "(tls13)"},
      {"TLS_CHACHA20_POLY1305_SHA256", "(tls13)"},
  };
  for (const auto& [go, ossl] : kNames) {
    if (go == go_name) return std::string(ossl);
  }
  return "";
}

int TlsVersionNumber(std::string_view name) {
  if (name == "TLS10") return 0x0301;
  if (name == "TLS11") return 0x0302;
  if (name == "TLS12") return 0x0303;
  if (name == "TLS13") return 0x0304;
  return 0;
}

Status ParseWebConfig(const std::string& text, const std::string& name, WebConfig* out) {
  try {
    ConfigNode root = ParseYaml(text, name);
    if (root.IsNull()) {
      *out = WebConfig();
      return Status::Ok();
    }
    root.ExpectKeys({"basic_auth_users", "tls_server_config", "http_server_config"});
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
    ConfigNode tls = root.Child("tls_server_config");
    // As in exporter-toolkit, an empty tls_server_config serves plain HTTP.
    if (!tls.IsNull() && !(tls.IsMap() && tls.Entries().empty())) config.tls = ParseTls(tls, name);

    ConfigNode http = root.Child("http_server_config");
    if (!http.IsNull()) {
      http.ExpectKeys({"headers", "http2"});
      (void)http.Bool("http2", true);  // HTTP/1.1 is served either way
      // The headers exporter-toolkit allows, with the values it allows (empty: any).
      static const std::map<std::string, std::vector<std::string>> kAllowed = {
          {"Strict-Transport-Security", {}},
          {"X-Content-Type-Options", {"nosniff"}},
          {"X-Frame-Options", {"deny", "sameorigin"}},
          {"X-XSS-Protection", {}},
          {"Content-Security-Policy", {}},
      };
      for (const auto& [header, value_node] : http.Child("headers").Entries()) {
        auto it = kAllowed.find(header);
        if (it == kAllowed.end()) {
          value_node.Fail(
              "this header cannot be configured (allowed: Strict-Transport-Security, "
              "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, "
              "Content-Security-Policy)");
        }
        std::string value = value_node.AsString();
        if (HasControlCharacter(value)) value_node.Fail("a header value must be one line");
        if (!it->second.empty() &&
            std::find(it->second.begin(), it->second.end(), value) == it->second.end()) {
          std::string expected;
          for (const auto& v : it->second) expected += (expected.empty() ? "" : ", ") + v;
          value_node.Fail("invalid value (expected one of: " + expected + ")");
        }
        config.headers.emplace_back(header, value);
      }
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

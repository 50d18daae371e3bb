#include "exporter/web_config.h"

#include <crypt.h>

#include "gtest/gtest.h"

namespace thoth {
namespace {

std::string Bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof salt), nullptr);
  crypt_data data{};
  return crypt_r(password.c_str(), salt, &data);
}

std::string BasicHeader(const std::string& user_colon_password) {
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned val = 0;
  int bits = -6;
  for (unsigned char c : user_colon_password) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out += kChars[(val >> bits) & 0x3F];
      bits -= 6;
    }
  }
  if (bits > -6) out += kChars[((val << 8) >> (bits + 8)) & 0x3F];
  while (out.size() % 4) out += '=';
  return "Basic " + out;
}

TEST(Base64, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(*DecodeBase64("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(*DecodeBase64("YQ=="), "a");
  EXPECT_EQ(*DecodeBase64("YQ"), "a");
  EXPECT_FALSE(DecodeBase64("a").has_value());
  EXPECT_FALSE(DecodeBase64("!!!!").has_value());
}

TEST(ParseBasicAuthorization, SplitsAtFirstColon) {
  std::string u, p;
  ASSERT_TRUE(ParseBasicAuthorization(BasicHeader("prom:pa:ss"), &u, &p));
  EXPECT_EQ(u, "prom");
  EXPECT_EQ(p, "pa:ss");
  EXPECT_FALSE(ParseBasicAuthorization("Bearer abc", &u, &p));
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!", &u, &p));
  EXPECT_FALSE(ParseBasicAuthorization(BasicHeader("nocolon"), &u, &p));
}

TEST(WebConfig, ParsesUsersAndRejectsPlainPasswords) {
  WebConfig config;
  std::string hash = Bcrypt("secret");
  ASSERT_TRUE(ParseWebConfig("basic_auth_users:\n  prom: " + hash + "\n", "web.yml", &config).ok());
  EXPECT_EQ(config.basic_auth_users.at("prom"), hash);
  EXPECT_FALSE(config.tls.has_value());
  Status plain = ParseWebConfig("basic_auth_users: {prom: hunter2}\n", "web.yml", &config);
  EXPECT_FALSE(plain.ok());
  EXPECT_EQ(plain.message().find("hunter2"), std::string::npos) << plain.message();
  EXPECT_FALSE(ParseWebConfig("basic_auth_user: {}\n", "web.yml", &config).ok());
  EXPECT_TRUE(ParseWebConfig("", "web.yml", &config).ok());
}

// The error of ParseWebConfig(text), "" when it parses.
std::string Error(const std::string& text, WebConfig* config = nullptr) {
  WebConfig scratch;
  Status s = ParseWebConfig(text, "/etc/thoth/web.yml", config != nullptr ? config : &scratch);
  return s.ok() ? "" : s.message();
}

TEST(WebConfig, TlsServerConfigAsExporterToolkitDocumentsIt) {
  WebConfig c;
  ASSERT_EQ(Error("tls_server_config:\n"
                  "  cert_file: tls/server.crt\n"
                  "  key_file: /keys/server.key\n"
                  "  client_auth_type: RequireAndVerifyClientCert\n"
                  "  client_ca_file: ca.crt\n"
                  "  min_version: TLS13\n"
                  "  max_version: TLS13\n"
                  "  curve_preferences: [X25519, CurveP256]\n"
                  "  prefer_server_cipher_suites: true\n",
                  &c),
            "");
  ASSERT_TRUE(c.tls.has_value());
  // Relative paths are relative to the web config's directory, as in exporter-toolkit.
  EXPECT_EQ(c.tls->cert_file, "/etc/thoth/tls/server.crt");
  EXPECT_EQ(c.tls->key_file, "/keys/server.key");
  EXPECT_EQ(c.tls->client_ca_file, "/etc/thoth/ca.crt");
  EXPECT_EQ(c.tls->cert_file_at, "/etc/thoth/web.yml:2:14: tls_server_config.cert_file");
  EXPECT_EQ(c.tls->client_ca_file_at, "/etc/thoth/web.yml:5:19: tls_server_config.client_ca_file");
  EXPECT_EQ(c.tls->client_auth, TlsServerConfig::ClientAuth::kRequireAndVerify);
  EXPECT_EQ(c.tls->min_version, 0x0304);
  EXPECT_EQ(c.tls->max_version, 0x0304);
  EXPECT_EQ(c.tls->groups, "X25519:P-256");

  // Defaults: TLS 1.2 to 1.3, no client certificate, OpenSSL's cipher suites.
  ASSERT_EQ(Error("tls_server_config: {cert_file: a, key_file: b}\n", &c), "");
  EXPECT_EQ(c.tls->client_auth, TlsServerConfig::ClientAuth::kNone);
  EXPECT_EQ(c.tls->min_version, 0x0303);
  EXPECT_EQ(c.tls->max_version, 0x0304);
  EXPECT_TRUE(c.tls->cipher_suites.empty());
  // An empty tls_server_config serves plain HTTP, as in exporter-toolkit.
  ASSERT_EQ(Error("tls_server_config: {}\n", &c), "");
  EXPECT_FALSE(c.tls.has_value());
}

TEST(WebConfig, EveryClientAuthType) {
  const std::pair<const char*, TlsServerConfig::ClientAuth> kTypes[] = {
      {"NoClientCert", TlsServerConfig::ClientAuth::kNone},
      {"RequestClientCert", TlsServerConfig::ClientAuth::kRequest},
      {"RequireAnyClientCert", TlsServerConfig::ClientAuth::kRequireAny},
      {"RequireClientCert", TlsServerConfig::ClientAuth::kRequireAny},  // the old name
      {"VerifyClientCertIfGiven", TlsServerConfig::ClientAuth::kVerifyIfGiven},
      {"RequireAndVerifyClientCert", TlsServerConfig::ClientAuth::kRequireAndVerify},
  };
  for (const auto& [name, want] : kTypes) {
    WebConfig c;
    const bool verifies = want == TlsServerConfig::ClientAuth::kVerifyIfGiven ||
                          want == TlsServerConfig::ClientAuth::kRequireAndVerify;
    std::string text = std::string("tls_server_config: {cert_file: a, key_file: b, ") +
                       (verifies ? "client_ca_file: ca, " : "") + "client_auth_type: " + name +
                       "}\n";
    ASSERT_EQ(Error(text, &c), "") << name;
    EXPECT_EQ(c.tls->client_auth, want) << name;
  }
}

TEST(WebConfig, TlsErrorsNameFileLineAndKey) {
  EXPECT_EQ(Error("tls_server_config:\n  key_file: b\n"),
            "/etc/thoth/web.yml:2:3: tls_server_config: cert_file is required to serve TLS");
  EXPECT_EQ(Error("tls_server_config:\n  cert_file: a\n"),
            "/etc/thoth/web.yml:2:3: tls_server_config: key_file is required to serve TLS");
  EXPECT_NE(Error("tls_server_config: {cert_file: a, key_file: b, client_auth_type: Maybe}\n")
                .find("web.yml:1:66: tls_server_config.client_auth_type: unknown value \"Maybe\""),
            std::string::npos);
  EXPECT_NE(Error("tls_server_config: {cert_file: a, key_file: b, client_ca_file: c}\n")
                .find("tls_server_config.client_ca_file: a client CA is configured without"),
            std::string::npos);
  EXPECT_NE(Error("tls_server_config: {cert_file: a, key_file: b, "
                  "client_auth_type: RequireAndVerifyClientCert}\n")
                .find("needs client_ca_file"),
            std::string::npos);
  EXPECT_NE(Error("tls_server_config: {cert_file: a, key_file: b, min_version: SSL3}\n")
                .find("tls_server_config.min_version: unknown TLS version"),
            std::string::npos);
  EXPECT_NE(Error("tls_server_config: {cert_file: a, key_file: b, min_version: TLS13, "
                  "max_version: TLS12}\n")
                .find("is above max_version"),
            std::string::npos);
  EXPECT_NE(Error("tls_server_config: {cert_file: a, key_file: b, cipher_suites: [RC4]}\n")
                .find("tls_server_config.cipher_suites[0]: unknown cipher suite \"RC4\""),
            std::string::npos);
  EXPECT_NE(Error("tls_server_config: {cert_file: a, key_file: b, curve_preferences: [P256]}\n")
                .find("unknown curve"),
            std::string::npos);
  EXPECT_NE(Error("tls_server_config: {cert_file: a, key_file: b, cert_fil: c}\n")
                .find("tls_server_config.cert_fil: unknown key"),
            std::string::npos);
  // Inline certificates and keys are not supported: said so, the key never repeated.
  std::string inline_key = Error(
      "tls_server_config: {cert_file: a, key_file: b, key: '-----BEGIN PRIVATE KEY----- zz'}\n");
  EXPECT_NE(inline_key.find("tls_server_config.key: not supported"), std::string::npos);
  EXPECT_EQ(inline_key.find("zz"), std::string::npos) << inline_key;
  EXPECT_NE(Error("tls_server_config: {cert_file: '', key_file: b}\n").find("must not be empty"),
            std::string::npos);
}

TEST(WebConfig, CipherSuitesMapGoNamesToOpenSsl) {
  WebConfig c;
  ASSERT_EQ(Error("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites:\n"
                  "    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
                  "    - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n"
                  "    - TLS_AES_128_GCM_SHA256\n",
                  &c),
            "");
  // TLS 1.3 suites are accepted and, as in Go, not configurable.
  EXPECT_EQ(c.tls->cipher_suites, (std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256",
                                                            "ECDHE-ECDSA-CHACHA20-POLY1305"}));
  EXPECT_EQ(OpenSslCipherName("TLS_RSA_WITH_AES_256_GCM_SHA384"), "AES256-GCM-SHA384");
  EXPECT_EQ(OpenSslCipherName("TLS_RSA_WITH_RC4_128_SHA"), "");
  EXPECT_NE(Error("tls_server_config: {cert_file: a, key_file: b, "
                  "cipher_suites: [TLS_AES_128_GCM_SHA256]}\n")
                .find("lists no TLS 1.2 suite"),
            std::string::npos);
  EXPECT_EQ(TlsVersionNumber("TLS10"), 0x0301);
  EXPECT_EQ(TlsVersionNumber("tls12"), 0);
}

TEST(WebConfig, HeadersAsExporterToolkitAllowsThem) {
  WebConfig c;
  ASSERT_EQ(Error("http_server_config:\n  http2: true\n  headers:\n"
                  "    Strict-Transport-Security: max-age=31536000\n"
                  "    X-Frame-Options: deny\n",
                  &c),
            "");
  EXPECT_EQ(c.headers,
            (std::vector<std::pair<std::string, std::string>>{
                {"Strict-Transport-Security", "max-age=31536000"}, {"X-Frame-Options", "deny"}}));
  EXPECT_NE(Error("http_server_config: {headers: {Set-Cookie: a}}\n")
                .find("web.yml:1:44: http_server_config.headers.Set-Cookie: this header cannot be"),
            std::string::npos);
  EXPECT_NE(Error("http_server_config: {headers: {X-Frame-Options: allow}}\n")
                .find("invalid value (expected one of: deny, sameorigin)"),
            std::string::npos);
  // No header injection through a value.
  EXPECT_NE(Error("http_server_config: {headers: {X-XSS-Protection: \"1\\r\\nSet-Cookie: a\"}}\n")
                .find("must be one line"),
            std::string::npos);
  EXPECT_NE(Error("http_server_config: {header: {}}\n").find("unknown key"), std::string::npos);
}

TEST(BasicAuth, AllowsGoodDeniesBadAndRateLimitsFailures) {
  WebConfig config;
  config.basic_auth_users["prom"] = Bcrypt("secret");
  BasicAuth auth(config);
  EXPECT_EQ(auth.Check(BasicHeader("prom:secret").c_str(), "t"), BasicAuth::Result::kAllowed);
  // Remembered: allowed again (from the cache).
  EXPECT_EQ(auth.Check(BasicHeader("prom:secret").c_str(), "t"), BasicAuth::Result::kAllowed);
  EXPECT_EQ(auth.Check(nullptr, "t"), BasicAuth::Result::kDenied);
  EXPECT_EQ(auth.Check(BasicHeader("other:secret").c_str(), "t"), BasicAuth::Result::kDenied);
  std::string nul = std::string("prom:secret") + '\0' + "x";
  EXPECT_EQ(auth.Check(BasicHeader(nul).c_str(), "t"), BasicAuth::Result::kDenied);
  int limited = 0;
  for (int i = 0; i < 30; ++i) {
    if (auth.Check(BasicHeader("prom:wrong").c_str(), "t") == BasicAuth::Result::kRateLimited) {
      ++limited;
    }
  }
  EXPECT_GT(limited, 0);
}

TEST(BasicAuth, DisabledWithoutUsers) {
  BasicAuth auth(WebConfig{});
  EXPECT_FALSE(auth.enabled());
  EXPECT_EQ(auth.Check(nullptr, "t"), BasicAuth::Result::kAllowed);
}

}  // namespace
}  // namespace thoth

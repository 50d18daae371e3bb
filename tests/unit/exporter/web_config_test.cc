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

TEST(WebConfig, ParsesUsersAndRejectsTlsAndPlainPasswords) {
  WebConfig config;
  std::string hash = Bcrypt("secret");
  ASSERT_TRUE(ParseWebConfig("basic_auth_users:\n  prom: " + hash + "\n", "web.yml", &config).ok());
  EXPECT_EQ(config.basic_auth_users.at("prom"), hash);
  Status tls = ParseWebConfig("tls_server_config: {cert_file: a}\n", "web.yml", &config);
  EXPECT_FALSE(tls.ok());
  EXPECT_NE(tls.message().find("web.yml:1:"), std::string::npos) << tls.message();
  Status plain = ParseWebConfig("basic_auth_users: {prom: hunter2}\n", "web.yml", &config);
  EXPECT_FALSE(plain.ok());
  EXPECT_EQ(plain.message().find("hunter2"), std::string::npos) << plain.message();
  EXPECT_FALSE(ParseWebConfig("basic_auth_user: {}\n", "web.yml", &config).ok());
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

// Inputs found by the fuzz targets tests/fuzz/http/*_fuzz.cc, kept as regression tests.
#include <string>

#include "collectors/http/url_pattern.h"
#include "gtest/gtest.h"

namespace thoth::http {
namespace {

// url_pattern_fuzz: libcurl parses ":000" as port 0, which ParseProbeUrl passed on; an
// allowlist entry with port `*` then allowed it.
TEST(HttpFuzzRegression, PortZeroIsNotAProbeUrl) {
  auto zeros = ParseProbeUrl("http://127.0.0.1:000/healtahttp::/h/");
  EXPECT_FALSE(zeros.ok());
  EXPECT_EQ(zeros.status().message(), "the port must be between 1 and 65535");
  EXPECT_FALSE(ParseProbeUrl("http://127.0.0.1:0/").ok());
  auto any_port = UrlPattern::Parse("http://127.0.0.1:*");
  ASSERT_TRUE(any_port.ok()) << any_port.status().message();
  auto ok = ParseProbeUrl("http://127.0.0.1:1/");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_TRUE(any_port->Matches(*ok));
  auto highest = ParseProbeUrl("http://127.0.0.1:65535/");
  EXPECT_TRUE(highest.ok()) << highest.status().message();
}

// url_pattern_fuzz (in make test's 5 s smoke run): "06%30" is host "060" as parsed, but the
// normalized URL that would be fetched reads "060" as octal IPv4, 0.0.0.48: the allowlist would
// have judged one host and the probe reached another. Such URLs are refused now.
TEST(HttpFuzzRegression, AnEncodedHostThatNormalizesToAnotherHostIsRefused) {
  EXPECT_FALSE(ParseProbeUrl("http://06%30?%2e%2e/et/...:8000?%2e%2e/et/..c/p").ok());
  auto encoded = ParseProbeUrl("http://06%30/health");
  EXPECT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.status().message(),
            "the URL reads differently once normalized (an encoded host?)");
  EXPECT_FALSE(ParseProbeUrl("http://%31%32%37.1:8000/").ok());
  // Plain hosts, numeric or not, are unchanged by the check.
  auto plain = ParseProbeUrl("http://060/health");
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->host, "0.0.0.48");
  auto named = ParseProbeUrl("http://api.internal:8000/health?x=1");
  ASSERT_TRUE(named.ok()) << named.status().message();
  EXPECT_EQ(named->host, "api.internal");
  EXPECT_EQ(named->path_and_query, "/health?x=1");
}

}  // namespace
}  // namespace thoth::http

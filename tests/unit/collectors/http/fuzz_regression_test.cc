// Inputs found by the fuzz targets tests/fuzz/http/*_fuzz.cc, kept as regression tests.
#include <string>

#include "collectors/http/url_pattern.h"
#include "gtest/gtest.h"

namespace thoth::http {
namespace {

// url_pattern_fuzz: libcurl parses ":000" as port 0, which ParseProbeUrl passed on; an
// allowlist entry with port `*` then allowed it.
TEST(HttpFuzzRegression, PortZeroIsNotAProbeUrl) {
  std::string error;
  EXPECT_FALSE(ParseProbeUrl("http://127.0.0.1:000/healtahttp::/h/", &error));
  EXPECT_EQ(error, "the port must be between 1 and 65535");
  EXPECT_FALSE(ParseProbeUrl("http://127.0.0.1:0/", &error));
  auto any_port = UrlPattern::Parse("http://127.0.0.1:*", &error);
  ASSERT_TRUE(any_port) << error;
  auto ok = ParseProbeUrl("http://127.0.0.1:1/", &error);
  ASSERT_TRUE(ok) << error;
  EXPECT_TRUE(any_port->Matches(*ok));
  EXPECT_TRUE(ParseProbeUrl("http://127.0.0.1:65535/", &error)) << error;
}

}  // namespace
}  // namespace thoth::http

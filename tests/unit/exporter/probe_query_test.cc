#include <gtest/gtest.h>

#include <string>

#include "exporter/http_server.h"

namespace thoth {
namespace {

TEST(ProbeQuery, DecodesTheThreeParameters) {
  ProbeQuery q = ParseProbeQuery("target=http%3A%2F%2Flocalhost%3A8000%2Fhealth&module=http_2xx");
  EXPECT_TRUE(q.has_target);
  EXPECT_EQ(q.target, "http://localhost:8000/health");
  EXPECT_TRUE(q.has_module);
  EXPECT_EQ(q.module, "http_2xx");
  EXPECT_FALSE(q.has_collector);
  EXPECT_EQ(q.collector, "");
}

TEST(ProbeQuery, AbsentEmptyAndNullAreDistinct) {
  EXPECT_FALSE(ParseProbeQuery(nullptr).has_target);
  EXPECT_FALSE(ParseProbeQuery("").has_target);
  ProbeQuery q = ParseProbeQuery("target=&collector=postgres");
  EXPECT_TRUE(q.has_target);
  EXPECT_EQ(q.target, "");
  EXPECT_EQ(q.collector, "postgres");
}

TEST(ProbeQuery, FirstOfRepeatedParametersWins) {
  EXPECT_EQ(ParseProbeQuery("target=a&target=b").target, "a");
}

TEST(ProbeQuery, OverlongValuesAreNotPresent) {
  const std::string big = "target=" + std::string(9000, 'x');
  ProbeQuery q = ParseProbeQuery(big.c_str());
  EXPECT_FALSE(q.has_target);
  EXPECT_EQ(q.target, "");
}

}  // namespace
}  // namespace thoth

#include "exporter/once_report.h"

#include <sstream>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace thoth {
namespace {

TEST(OnceReport, OverallPrecedence) {
  EXPECT_EQ(Overall({}), Severity::kUnknown);
  std::vector<HealthCheck> c = {{"a", "t", "x", "1", "", Severity::kOk}};
  EXPECT_EQ(Overall(c), Severity::kOk);
  c.push_back({"a", "t", "y", "?", "", Severity::kUnknown});
  EXPECT_EQ(Overall(c), Severity::kUnknown);
  c.push_back({"a", "t", "z", "0.85", "> 0.8", Severity::kWarning});
  EXPECT_EQ(Overall(c), Severity::kWarning);
  c.push_back({"a", "t", "w", "down", "", Severity::kCritical});
  EXPECT_EQ(Overall(c), Severity::kCritical);
}

TEST(OnceReport, TextIsAnAlignedTable) {
  std::vector<HealthCheck> c = {{"postgres", "memory-db", "reachable", "yes", "", Severity::kOk},
                                {"postgres", "memory-db", "connections", "48 / 50 (96%)",
                                 "> 80% warn, > 95% crit", Severity::kCritical}};
  std::ostringstream out;
  WriteTextReport(c, out, false);
  std::string text = out.str();
  EXPECT_EQ(text.rfind("TARGET", 0), 0u) << text;
  EXPECT_NE(text.find("postgres/memory-db  connections  48 / 50 (96%)"), std::string::npos) << text;
  EXPECT_NE(text.find("CRITICAL"), std::string::npos);
  EXPECT_NE(text.find("Overall: CRITICAL (1 critical, 0 warning, 0 unknown, 1 ok)"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("\033["), std::string::npos);
}

TEST(OnceReport, JsonForScripts) {
  std::vector<HealthCheck> c = {{"redis", "cache", "reachable", "no", "", Severity::kCritical}};
  std::ostringstream out;
  WriteJsonReport(c, out);
  auto doc = nlohmann::json::parse(out.str());
  EXPECT_EQ(doc["status"], "CRITICAL");
  EXPECT_EQ(doc["exit_code"], 2);
  EXPECT_EQ(doc["checks"][0]["target"], "cache");
}

TEST(Grade, StrictlyAboveReachesALevel) {
  Level l{0.8, 0.95};
  EXPECT_EQ(Grade(0.8, l), Severity::kOk);
  EXPECT_EQ(Grade(0.81, l), Severity::kWarning);
  EXPECT_EQ(Grade(0.96, l), Severity::kCritical);
}

}  // namespace
}  // namespace thoth

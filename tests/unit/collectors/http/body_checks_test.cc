#include "collectors/http/body_checks.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/test_fixtures.h"

namespace thoth::http {
namespace {

nlohmann::json Expect(const std::string& json) { return nlohmann::json::parse(json); }

// The compiled pattern, or null (and a failure that says why) when it does not compile.
std::shared_ptr<const BodyRegex> Regex(const std::string& pattern) {
  auto re = BodyRegex::Compile(pattern);
  EXPECT_TRUE(re.ok()) << pattern << ": " << re.status().message();
  return re.ok() ? re.value() : nullptr;
}

TEST(StatusExpected, DefaultsToAny2xx) {
  EXPECT_TRUE(StatusExpected(200, {}));
  EXPECT_TRUE(StatusExpected(204, {}));
  EXPECT_TRUE(StatusExpected(299, {}));
  EXPECT_FALSE(StatusExpected(199, {}));
  EXPECT_FALSE(StatusExpected(301, {}));
  EXPECT_FALSE(StatusExpected(503, {}));
  EXPECT_FALSE(StatusExpected(0, {}));
  EXPECT_EQ(DescribeExpectedStatus({}), "2xx");
}

TEST(StatusExpected, ListedCodesOnly) {
  EXPECT_TRUE(StatusExpected(200, {200, 401}));
  EXPECT_TRUE(StatusExpected(401, {200, 401}));
  EXPECT_FALSE(StatusExpected(204, {200, 401}));
  EXPECT_EQ(DescribeExpectedStatus({200, 401}), "200, 401");
}

TEST(JsonSubsetMismatch, StackHealthResponses) {
  const auto want = Expect(R"({"status": "healthy"})");
  EXPECT_EQ(JsonSubsetMismatch(want, Expect(Fixture("http/api_health_healthy.json"))), "");
  EXPECT_EQ(JsonSubsetMismatch(want, Expect(Fixture("http/api_health_degraded.json"))),
            "$.status is \"degraded\", expected \"healthy\"");
}

TEST(JsonSubsetMismatch, NestedObjectsNameThePath) {
  const auto doc = Expect(Fixture("http/api_health_degraded.json"));
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"checks": {"database": {"status": "healthy"}}})"), doc),
            "");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"checks": {"redis": {"status": "healthy"}}})"), doc),
            "$.checks.redis.status is \"unhealthy\", expected \"healthy\"");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"checks": {"vault": {"status": "healthy"}}})"), doc),
            "$.checks.vault is missing");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"version": {"major": "2"}})"), doc),
            "$.version is a string, expected an object");
}

TEST(JsonSubsetMismatch, ScalarsFromYamlMatchNumbersAndBooleans) {
  const auto doc = Expect(R"({"code": 200, "ratio": 0.5, "ok": true, "big": 18446744073709551615,
                              "none": null, "text": "200"})");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"code": "200"})"), doc), "");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"code": "200.0"})"), doc), "");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"ratio": "0.50"})"), doc), "");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"ok": "true"})"), doc), "");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"big": "18446744073709551615"})"), doc), "");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"none": null})"), doc), "");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"text": "200"})"), doc), "");
  EXPECT_NE(JsonSubsetMismatch(Expect(R"({"code": "201"})"), doc), "");
  EXPECT_NE(JsonSubsetMismatch(Expect(R"({"code": "2e2x"})"), doc), "");
  EXPECT_NE(JsonSubsetMismatch(Expect(R"({"ok": "yes"})"), doc), "");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"ok": null})"), doc), "$.ok is true, expected null");
  EXPECT_NE(JsonSubsetMismatch(Expect(R"({"text": null})"), doc), "");
  EXPECT_NE(JsonSubsetMismatch(Expect(R"({"none": "null"})"), doc), "");
}

TEST(JsonSubsetMismatch, ArraysMatchInOrderWithSameLength) {
  const auto doc = Expect(R"({"nodes": [{"id": 1, "up": true}, {"id": 2, "up": false}]})");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"nodes": [{"id": "1"}, {"id": "2"}]})"), doc), "");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"nodes": [{"up": "true"}, {"up": "true"}]})"), doc),
            "$.nodes[1].up is false, expected \"true\"");
  EXPECT_EQ(JsonSubsetMismatch(Expect(R"({"nodes": [{"id": "1"}]})"), doc),
            "$.nodes has 2 elements, expected 1");
}

TEST(JsonSubsetMismatch, LongValuesAreShortened) {
  nlohmann::json doc = {{"status", std::string(10000, 'x')}};
  std::string why = JsonSubsetMismatch(Expect(R"({"status": "healthy"})"), doc);
  EXPECT_LT(why.size(), 200u);
  EXPECT_NE(why.find("..."), std::string::npos);
}

TEST(CheckBody, JsonExpectations) {
  BodyExpectations expect;
  expect.json = Expect(R"({"status": "healthy"})");
  EXPECT_EQ(CheckBody(Fixture("http/api_health_healthy.json"), false, expect), "");
  EXPECT_EQ(CheckBody(Fixture("http/api_health_degraded.json"), false, expect),
            "JSON $.status is \"degraded\", expected \"healthy\"");
  EXPECT_EQ(CheckBody(Fixture("http/nginx_502.html"), false, expect), "body is not valid JSON");
  EXPECT_EQ(CheckBody(Fixture("http/api_health_truncated.json"), true, expect),
            "body is not valid JSON (body cut at the size limit)");
  EXPECT_EQ(CheckBody("", false, expect), "body is empty, expected JSON");
  EXPECT_EQ(CheckBody(Fixture("http/chroma_heartbeat.json"), false, expect),
            "JSON $.status is missing");
  EXPECT_EQ(CheckBody("[1,2]", false, expect), "JSON $ is an array, expected an object");
}

TEST(CheckBody, HostileBodiesNeverThrow) {
  BodyExpectations expect;
  expect.json = Expect(R"({"status": "healthy"})");
  EXPECT_EQ(CheckBody(Fixture("http/hostile_bytes.json"), false, expect), "body is not valid JSON");
  // Deep nesting: the parser and the comparison must not recurse on the document's depth.
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  EXPECT_EQ(CheckBody(deep, false, expect), "JSON $ is an array, expected an object");
  const std::string deep_obj =
      "{\"status\":" + std::string(100000, '[') + "1" + std::string(100000, ']') + "}";
  EXPECT_EQ(CheckBody(deep_obj, false, expect), "JSON $.status is an array, expected \"healthy\"");
  EXPECT_EQ(CheckBody(std::string(1 << 20, '{'), false, expect), "body is not valid JSON");
}

TEST(BodyRegex, CompilesOrExplains) {
  EXPECT_TRUE(BodyRegex::Compile("\"status\": *\"(healthy|ok)\"").ok());
  auto unclosed = BodyRegex::Compile("(unclosed");
  EXPECT_FALSE(unclosed.ok());
  EXPECT_FALSE(unclosed.status().message().empty());
  // Perl-only constructs that would need backtracking are refused, as in Go.
  EXPECT_FALSE(BodyRegex::Compile("(a)\\1").ok());
}

TEST(BodyRegex, SearchesAnywhereIncludingPastNulAndNewlines) {
  auto re = Regex("^\\{\"status\": *\"healthy\"");
  ASSERT_NE(re, nullptr);
  EXPECT_TRUE(re->Search(Fixture("http/api_health_healthy.json")));
  EXPECT_FALSE(re->Search(Fixture("http/api_health_degraded.json")));
  auto anywhere = Regex("\"status\": *\"healthy\"");
  static constexpr char kWithNul[] = "\0\0 x \"status\": \"healthy\"";
  EXPECT_TRUE(anywhere->Search(std::string(kWithNul, sizeof kWithNul - 1)));
  EXPECT_FALSE(re->Search(""));
  // As in Go: `.` stops at a newline unless (?s) says otherwise.
  auto single = Regex("^<html>.*nginx");
  ASSERT_NE(single, nullptr);
  EXPECT_FALSE(single->Search(Fixture("http/nginx_502.html")));
  auto multi = Regex("(?s)^<html>.*nginx");
  ASSERT_NE(multi, nullptr);
  EXPECT_TRUE(multi->Search(Fixture("http/nginx_502.html")));
  // A string_view that is not NUL-terminated is bounded by its size.
  const std::string text = "healthyXYZ";
  auto tail = Regex("XYZ");
  EXPECT_FALSE(tail->Search(std::string_view(text).substr(0, 7)));
  EXPECT_TRUE(tail->Search(text));
}

TEST(BodyRegex, LargeBodyWithNestedRepetitionFinishes) {
  auto re = Regex("(a|aa)*b");
  ASSERT_NE(re, nullptr);
  const std::string body(1 << 20, 'a');  // the probe's body bound
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(re->Search(body));
  // Linear time: well under a second here; a backtracking or per-start-position engine takes
  // minutes on this input.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(CheckBody, RegexExpectation) {
  BodyExpectations expect;
  expect.regex = Regex("healthy");
  EXPECT_EQ(CheckBody(Fixture("http/api_health_healthy.json"), false, expect), "");
  EXPECT_EQ(CheckBody(Fixture("http/nginx_502.html"), false, expect),
            "body does not match expect_regex \"healthy\"");
  EXPECT_EQ(CheckBody("xx", true, expect),
            "body does not match expect_regex \"healthy\" (body cut at the size limit)");
  expect.json = Expect(R"({"status": "degraded"})");
  EXPECT_EQ(CheckBody(Fixture("http/api_health_healthy.json"), false, expect),
            "JSON $.status is \"healthy\", expected \"degraded\"");
}

}  // namespace
}  // namespace thoth::http

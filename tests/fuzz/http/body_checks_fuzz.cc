// Health-check body checks: a hostile response body judged against JSON-subset and regex
// expectations. Input: the expectation (a JSON document, also tried as an RE2 pattern) on the
// first line, the body after it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "collectors/http/body_checks.h"
#include "nlohmann/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string expectation(input.substr(0, nl == std::string_view::npos ? input.size() : nl));
  std::string_view body = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  // The expectation comes from the operator's config, which is small; the body is the hostile
  // part and may be anything up to the client's bound.
  if (expectation.size() > 512) expectation.resize(512);

  thoth::http::BodyExpectations expect;
  auto expected = nlohmann::json::parse(expectation, nullptr, /*allow_exceptions=*/false);
  if (!expected.is_discarded()) {
    expect.json = expected;
    auto actual = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!actual.is_discarded()) {
      (void)thoth::http::JsonSubsetMismatch(expected, actual);
    }
  }
  if (auto regex = thoth::http::BodyRegex::Compile(expectation); regex.ok()) {
    expect.regex = std::move(regex).value();
    (void)expect.regex->Search(body);
  }
  (void)thoth::http::CheckBody(body, size % 2 == 0, expect);
  return 0;
}

#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/status.h"
#include "nlohmann/json.hpp"

namespace re2 {
class RE2;
}

namespace thoth::http {

// The checks a probe applies to a response, as pure functions: no I/O, no clock. They judge the
// bounded body the HTTP client read (hostile bodies included: any size up to the bound, any
// bytes, any nesting) and never throw.

// True when `status` is acceptable: one of `expected`, or any 2xx when `expected` is empty
// (blackbox_exporter's default).
bool StatusExpected(int status, const std::vector<int>& expected);

// "200, 204" or "2xx": how the expectation reads in a failure detail.
std::string DescribeExpectedStatus(const std::vector<int>& expected);

// Whether the JSON document `actual` contains `expected`, which comes from YAML and so holds
// objects, arrays, nulls and scalars written as strings:
// - an object matches an object that has every expected key with a matching value (extra keys
//   are fine: `{status: healthy}` matches `{"status":"healthy","version":"1.2"}`);
// - an array matches an array of the same length whose elements match in order;
// - null matches only null;
// - a scalar string matches a JSON string with the same text, a JSON number equal to it as a
//   number ("200" matches 200 and 200.0), or a JSON boolean spelled the same ("true").
// Returns "" on a match, else what differs first, e.g.
// `$.status is "degraded", expected "healthy"` (values are shortened to keep details short).
// Recursion follows `expected` (the operator's config), never the depth of `actual`.
std::string JsonSubsetMismatch(const nlohmann::json& expected, const nlohmann::json& actual);

// A regular expression in RE2 syntax, which is Go's and so blackbox_exporter's. RE2 matches in
// time linear in the body with no recursion, so a hostile body or pattern cannot hang a scrape
// or blow a thread's stack (glibc's regexec and std::regex can do both). Searched anywhere in
// the body; `.` does not match a newline unless the pattern starts with (?s), as in Go.
// Thread-safe after construction.
class BodyRegex {
 public:
  // The compiled pattern (never null), or RE2's error when it does not compile.
  static StatusOr<std::shared_ptr<const BodyRegex>> Compile(const std::string& pattern);
  ~BodyRegex();
  BodyRegex(const BodyRegex&) = delete;
  BodyRegex& operator=(const BodyRegex&) = delete;

  // True when the pattern matches somewhere in `text` (which may contain NUL bytes).
  bool Search(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  BodyRegex() = default;
  std::string pattern_;
  std::unique_ptr<re2::RE2> compiled_;
};

// The body expectations of one target or module.
struct BodyExpectations {
  std::optional<nlohmann::json> json;      // expect_json, a subset to find
  std::shared_ptr<const BodyRegex> regex;  // expect_regex
  bool empty() const { return !json && !regex; }
};

// Judges a response body. `truncated` says the client stopped reading at its bound. Returns ""
// when every expectation holds, else the reason (never the whole body).
std::string CheckBody(std::string_view body, bool truncated, const BodyExpectations& expect);

}  // namespace thoth::http

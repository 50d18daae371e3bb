#include "collectors/http/body_checks.h"

#include <re2/re2.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace thoth::http {

namespace {

constexpr std::size_t kShownValueChars = 60;

const char* TypeName(const nlohmann::json& v);

// A JSON value as a failure detail shows it: a scalar compact, invalid UTF-8 replaced and
// shortened; a container only by its kind, since nlohmann's dump() recurses on the depth of a
// document that a hostile endpoint controls.
std::string Show(const nlohmann::json& value) {
  if (value.is_structured()) return TypeName(value);
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kShownValueChars) text = text.substr(0, kShownValueChars) + "...";
  return text;
}

std::string ShowExpected(const std::string& scalar) { return Show(nlohmann::json(scalar)); }

const char* TypeName(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::null:
      return "null";
    default:
      return v.is_number() ? "a number" : "a value";
  }
}

bool ScalarMatches(const std::string& expected, const nlohmann::json& actual) {
  if (actual.is_string()) return actual.get_ref<const std::string&>() == expected;
  if (actual.is_boolean()) return expected == (actual.get<bool>() ? "true" : "false");
  if (actual.is_number()) {
    // Integers beyond 2^53 compare exactly as text; everything else as a number.
    if (actual.dump() == expected) return true;
    if (expected.empty()) return false;
    errno = 0;
    char* end = nullptr;
    double want = std::strtod(expected.c_str(), &end);
    if (errno != 0 || end != expected.c_str() + expected.size()) return false;
    return actual.get<double>() == want;
  }
  return false;
}

std::string Mismatch(const nlohmann::json& expected, const nlohmann::json& actual,
                     const std::string& path) {
  if (expected.is_null()) {
    return actual.is_null() ? "" : path + " is " + Show(actual) + ", expected null";
  }
  if (expected.is_object()) {
    if (!actual.is_object()) {
      return path + " is " + TypeName(actual) + ", expected an object";
    }
    for (const auto& [key, want] : expected.items()) {
      const std::string child = path + "." + key;
      auto it = actual.find(key);
      if (it == actual.end()) return child + " is missing";
      std::string why = Mismatch(want, *it, child);
      if (!why.empty()) return why;
    }
    return "";
  }
  if (expected.is_array()) {
    if (!actual.is_array()) return path + " is " + TypeName(actual) + ", expected an array";
    if (actual.size() != expected.size()) {
      return path + " has " + std::to_string(actual.size()) + " elements, expected " +
             std::to_string(expected.size());
    }
    for (std::size_t i = 0; i < expected.size(); ++i) {
      std::string why = Mismatch(expected[i], actual[i], path + "[" + std::to_string(i) + "]");
      if (!why.empty()) return why;
    }
    return "";
  }
  // Expected scalars come from YAML as text (see the header); a non-string scalar is compared
  // through its JSON spelling so that callers building `expected` by hand get the same rules.
  const std::string want =
      expected.is_string() ? expected.get_ref<const std::string&>() : expected.dump();
  if (ScalarMatches(want, actual)) return "";
  return path + " is " + Show(actual) + ", expected " + ShowExpected(want);
}

}  // namespace

bool StatusExpected(int status, const std::vector<int>& expected) {
  if (expected.empty()) return status >= 200 && status <= 299;
  for (int s : expected) {
    if (s == status) return true;
  }
  return false;
}

std::string DescribeExpectedStatus(const std::vector<int>& expected) {
  if (expected.empty()) return "2xx";
  std::string out;
  for (int s : expected) {
    if (!out.empty()) out += ", ";
    out += std::to_string(s);
  }
  return out;
}

std::string JsonSubsetMismatch(const nlohmann::json& expected, const nlohmann::json& actual) {
  try {
    return Mismatch(expected, actual, "$");
  } catch (const std::exception& e) {
    // nlohmann only throws here on internal misuse; a check must never throw into a probe.
    return std::string("cannot compare the JSON body: ") + e.what();
  }
}

StatusOr<std::shared_ptr<const BodyRegex>> BodyRegex::Compile(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);  // the error is returned to the config loader instead
  auto re = std::make_unique<RE2>(pattern, options);
  if (!re->ok()) return Status::Error(re->error());
  std::shared_ptr<BodyRegex> out(new BodyRegex);
  out->pattern_ = pattern;
  out->compiled_ = std::move(re);
  return std::shared_ptr<const BodyRegex>(std::move(out));
}

BodyRegex::~BodyRegex() = default;

bool BodyRegex::Search(std::string_view text) const {
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *compiled_);
}

std::string CheckBody(std::string_view body, bool truncated, const BodyExpectations& expect) {
  const std::string cut = truncated ? " (body cut at the size limit)" : "";
  if (expect.json) {
    nlohmann::json doc = nlohmann::json::parse(body.begin(), body.end(), nullptr,
                                               /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      return body.empty() ? "body is empty, expected JSON" : "body is not valid JSON" + cut;
    }
    std::string why = JsonSubsetMismatch(*expect.json, doc);
    if (!why.empty()) return "JSON " + why;
  }
  if (expect.regex && !expect.regex->Search(body)) {
    return "body does not match expect_regex \"" + expect.regex->pattern() + "\"" + cut;
  }
  return "";
}

}  // namespace thoth::http

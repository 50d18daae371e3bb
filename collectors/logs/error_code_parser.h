#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/memory_errors.h"
#include "exporter/status.h"

namespace re2 {
class RE2;
}

namespace thoth::logs {

// A set of MemCodes, one bit each (bit MemCodeIndex(c)): the eight codes of the table and kOther.
using CodeSet = std::uint16_t;
static_assert(kMemCodeCount <= 16, "a CodeSet holds every MemCode");
constexpr CodeSet CodeBit(MemCode code) { return static_cast<CodeSet>(1u << MemCodeIndex(code)); }

// Every MEM-ddd code in a line, at most once per code (SPEC: one per code per line). A code
// directly followed by another digit (MEM-0012) is not one of the table's and counts as
// MemCode::kOther. Pure; runs in one pass over the line.
CodeSet FindErrorCodes(std::string_view line);

// A user-supplied regular expression with a named group `code` (`(?P<code>...)` or
// `(?<code>...)`), for logs whose code sits in a structured field, e.g. JSON
// `"code":\s*"(?P<code>[^"]*)"`. RE2 syntax, which is Go's (and so mtail's): `\d`, `\s`, `\w`,
// `\b`, `(?:...)`, `(?i)`, POSIX classes `[[:alpha:]]`; no back-references or look-around.
// Matching takes time linear in the line, whatever the pattern: a hostile line cannot stall the
// tailer. Copies share one compiled pattern; Match() may run on any number of threads.
class CodeRegex {
 public:
  // An error when the pattern does not compile (RE2's message) or has no group `code`.
  static StatusOr<CodeRegex> Compile(std::string_view pattern);

  // The code in the `code` group when the line matches and the group took part; nullopt
  // otherwise. The line may hold any bytes (NUL and invalid UTF-8 included).
  std::optional<MemCode> Match(std::string_view line) const;

 private:
  CodeRegex(std::shared_ptr<const re2::RE2> re, int code_group)
      : re_(std::move(re)), code_group_(code_group) {}
  std::shared_ptr<const re2::RE2> re_;
  int code_group_ = 0;
};

// `(?<name>` written as `(?P<name>`, outside character classes and escapes: the Debian RE2
// (2022-06) knows only the latter, Go and newer RE2 both. Exposed for its test.
std::string NormalizeNamedGroups(std::string_view pattern);

}  // namespace thoth::logs

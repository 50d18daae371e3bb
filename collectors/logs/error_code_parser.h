#pragma once

#include <regex.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace thoth::logs {

// A set of error-code slots: bit i (0..7) is ErrorCodes()[i] (MEM-001..MEM-008), bit 8 is
// `other` (a MEM-ddd code outside the table).
using CodeSet = std::uint16_t;
inline constexpr int kCodeSlots = 9;
inline constexpr int kOtherSlot = 8;

// "MEM-001".."MEM-008" for slots 0..7, "other" for slot 8.
std::string_view CodeSlotName(int slot);
// The slot of a code as written in a log: one of the eight known codes, else kOtherSlot.
int CodeSlot(std::string_view code);

// Every MEM-ddd code in a line, at most once per code (SPEC: one per code per line). A code
// directly followed by another digit (MEM-0012) is not one of the table's and counts as
// `other`. Pure; runs in one pass over the line.
CodeSet FindErrorCodes(std::string_view line);

// A user-supplied regular expression with a named group `code` (`(?P<code>...)` or
// `(?<code>...)`), for logs whose code sits in a structured field, e.g. JSON
// `"code":\s*"(?P<code>[^"]*)"`. POSIX extended syntax (glibc, linear in the line for patterns
// without back-references), with the common Perl shorthands translated: `(?:...)`, `\d`, `\D`
// (`\s`, `\w` and `\b` are glibc's own).
class CodeRegex {
 public:
  // nullopt and *error set when the pattern does not compile or has no group `code`.
  static std::optional<CodeRegex> Compile(const std::string& pattern, std::string* error);

  // The slot of the `code` group's value when the line matches and the group took part;
  // nullopt otherwise. The line may hold any bytes (NUL included).
  std::optional<int> Match(std::string_view line) const;

 private:
  struct Compiled {
    regex_t re{};
    bool ok = false;  // regfree only what regcomp built
    std::size_t groups = 0;
    ~Compiled() {
      if (ok) regfree(&re);
    }
  };
  std::shared_ptr<Compiled> compiled_;  // shared: regex_t cannot be copied; regexec is const
  std::size_t code_group_ = 0;
};

}  // namespace thoth::logs

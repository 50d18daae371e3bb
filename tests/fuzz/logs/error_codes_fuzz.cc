// libFuzzer target: the MEM-ddd scanner and the structured-field regex on arbitrary lines.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "collectors/logs/error_code_parser.h"

using thoth::logs::CodeRegex;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const CodeRegex kJson = [] {
    std::string error;
    return *CodeRegex::Compile(R"re("code":\s*"(?P<code>[^"]*)")re", &error);
  }();
  static const CodeRegex kPlain = [] {
    std::string error;
    return *CodeRegex::Compile(R"((?:^|[^0-9A-Z])(?<code>MEM-\d{3})(?:[^0-9]|$))", &error);
  }();
  std::string_view line(reinterpret_cast<const char*>(data), size);
  thoth::logs::CodeSet codes = thoth::logs::FindErrorCodes(line);
  if (codes >= (1u << thoth::logs::kCodeSlots)) std::abort();  // only the nine slots
  for (const CodeRegex* re : {&kJson, &kPlain}) {
    auto slot = re->Match(line);
    if (slot && (*slot < 0 || *slot >= thoth::logs::kCodeSlots)) std::abort();
  }
  // A code the regex finds as a whole word is one the scanner finds too.
  if (auto slot = kPlain.Match(line); slot && !(codes & (1u << *slot))) std::abort();
  return 0;
}

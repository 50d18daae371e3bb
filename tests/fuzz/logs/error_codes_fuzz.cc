// libFuzzer target: the MEM-ddd scanner and the structured-field regex on arbitrary lines.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "collectors/logs/error_code_parser.h"

using thoth::logs::CodeRegex;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const CodeRegex kJson = CodeRegex::Compile(R"re("code":\s*"(?P<code>[^"]*)")re").value();
  static const CodeRegex kPlain =
      CodeRegex::Compile(R"((?:^|[^0-9A-Z])(?<code>MEM-\d{3})(?:[^0-9]|$))").value();
  std::string_view line(reinterpret_cast<const char*>(data), size);
  thoth::logs::CodeSet codes = thoth::logs::FindErrorCodes(line);
  if (codes >= (1u << thoth::kMemCodeCount)) std::abort();  // only the nine codes
  for (const CodeRegex* re : {&kJson, &kPlain}) {
    auto code = re->Match(line);
    if (code && thoth::MemCodeIndex(*code) >= thoth::kMemCodeCount) std::abort();
  }
  // A code the regex finds as a whole word is one the scanner finds too.
  if (auto code = kPlain.Match(line); code && !(codes & thoth::logs::CodeBit(*code))) std::abort();
  return 0;
}

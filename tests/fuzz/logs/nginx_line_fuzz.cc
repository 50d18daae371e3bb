// libFuzzer target: the nginx access-line parser, with the default format and with a format
// taken from the input (first line = log_format, rest = access line).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "collectors/logs/nginx_parser.h"

using thoth::logs::AccessRecord;
using thoth::logs::NginxLineParser;

namespace {

void Check(const AccessRecord& rec) {
  // What the counters index by: must stay inside their tables.
  if (rec.status < 0 || rec.status > 999) std::abort();
  if (rec.method < 0 || rec.method >= thoth::logs::kMethodCount) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const NginxLineParser kDefault = [] {
    std::string error;
    return *NginxLineParser::Compile(thoth::logs::kDefaultNginxLogFormat, &error);
  }();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  AccessRecord rec;
  if (kDefault.Parse(input, &rec)) Check(rec);

  std::size_t nl = input.find('\n');
  if (nl == std::string_view::npos) return 0;
  std::string error;
  auto custom = NginxLineParser::Compile(input.substr(0, nl), &error);
  if (!custom) {
    if (error.empty()) std::abort();  // a refusal must say why
    return 0;
  }
  if (custom->Parse(input.substr(nl + 1), &rec)) Check(rec);
  thoth::logs::ParseSecondsMicros(input.substr(nl + 1));
  return 0;
}

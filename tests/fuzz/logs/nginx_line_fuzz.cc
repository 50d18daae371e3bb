// libFuzzer target: the nginx access-line parser, with the default (`combined`, with or without
// $request_time) and with a format taken from the input (first line = log_format, rest = access
// line); the time of each record read, as `--once` reads it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "collectors/logs/log_time.h"
#include "collectors/logs/nginx_parser.h"

using thoth::logs::AccessRecord;
using thoth::logs::NginxLineParser;

namespace {

void Check(std::string_view line, const AccessRecord& rec) {
  // What the counters index by: must stay inside their tables.
  if (rec.status < 0 || rec.status > 999) std::abort();
  if (rec.method < 0 || rec.method >= thoth::logs::kMethodCount) std::abort();
  if (rec.duration_us < -1) std::abort();
  // The time is a view into the line.
  if (!rec.time.empty() && (rec.time.data() < line.data() ||
                            rec.time.data() + rec.time.size() > line.data() + line.size())) {
    std::abort();
  }
  thoth::logs::AccessRecordTime(rec, 3600);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const NginxLineParser kDefault = NginxLineParser::Default();
  static const NginxLineParser kTimed = [] {
    return NginxLineParser::Compile(thoth::logs::kCombinedTimedLogFormat).value();
  }();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  AccessRecord rec;
  if (kDefault.Parse(input, &rec)) Check(input, rec);
  AccessRecord timed;
  // A line the strict timed format reads, the default reads too, as the same request. (Its
  // duration may differ on lines no nginx writes: an unescaped quote in the user agent.)
  if (kTimed.Parse(input, &timed)) {
    Check(input, timed);
    if (!kDefault.Parse(input, &rec) || rec.status != timed.status || rec.method != timed.method) {
      std::abort();
    }
  }

  std::size_t nl = input.find('\n');
  if (nl == std::string_view::npos) return 0;
  auto custom = NginxLineParser::Compile(input.substr(0, nl));
  if (!custom.ok()) {
    if (custom.status().message().empty()) std::abort();  // a refusal must say why
    return 0;
  }
  std::string_view line = input.substr(nl + 1);
  if (custom->Parse(line, &rec)) Check(line, rec);
  thoth::logs::ParseSecondsMicros(line);
  return 0;
}

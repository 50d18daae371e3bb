#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "collectors/logs/nginx_parser.h"

namespace thoth::logs {

// The time a log line was written, read from the line itself, for `--once`'s recent window.
// Pure functions on text; times are unix seconds (fractions truncated).

// nginx's $time_local: "07/Dec/2026:10:00:00 +0000" (English month, numeric UTC offset).
std::optional<std::int64_t> ParseNginxLocalTime(std::string_view text);

// ISO 8601 / RFC 3339 date and time: "2026-12-07T10:00:00", with 'T' or ' ' between, an optional
// fraction (",123" or ".123456789"), and an optional zone "Z", "+01:00", "+0100" or "+01".
// Without a zone the time is taken as local time at utc_offset_seconds east of UTC (what
// Python's logging writes by default). Text after the time is ignored.
std::optional<std::int64_t> ParseIsoTimestamp(std::string_view text,
                                              std::int64_t utc_offset_seconds);

// The time of a line of an `error_codes` log: the first ISO 8601 date and time among the
// line's first 64 bytes ("2026-12-07 10:00:00,123 ERROR ...", "[2026-12-07T10:00:00Z] ...",
// "{\"ts\":\"2026-12-07T10:00:00Z\", ...}"), or anywhere in a line that is a JSON object
// (structured loggers put the time in any field). nullopt when there is none: continuation
// lines such as a traceback's.
std::optional<std::int64_t> FindLineTime(std::string_view line, std::int64_t utc_offset_seconds);

// The first "[07/Dec/2026:10:00:00 +0000]" in a line: nginx's $time_local in brackets, as
// `combined` and most formats write it. For access lines that do not follow the configured
// format, which must still be placed in time.
std::optional<std::int64_t> FindBracketedLocalTime(std::string_view line);

// The time of an access record, from whichever time variable its format has ($time_local,
// $time_iso8601, $msec). nullopt when the format has none or the text is not a time.
std::optional<std::int64_t> AccessRecordTime(const AccessRecord& rec,
                                             std::int64_t utc_offset_seconds);

}  // namespace thoth::logs

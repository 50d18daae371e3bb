#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/status.h"

namespace thoth::logs {

// The HTTP methods counted by name in thoth_http_requests_total; anything else is `other`, so
// that a hostile request line cannot create new series.
enum HttpMethod : std::uint8_t {
  kGet,
  kHead,
  kPost,
  kPut,
  kDelete,
  kConnect,
  kOptions,
  kTrace,
  kPatch,
  kOtherMethod,
};
inline constexpr int kMethodCount = kOtherMethod + 1;

// "GET", ..., "other".
std::string_view MethodName(int method);
// The method of a token such as "GET" (case-sensitive, as HTTP is); kOtherMethod when unknown.
HttpMethod ClassifyMethod(std::string_view token);

// Parses "0.005" (nginx's $request_time, millisecond resolution) into microseconds. Accepts
// digits with an optional fraction (extra digits are truncated); anything else is nullopt.
std::optional<std::int64_t> ParseSecondsMicros(std::string_view text);

// nginx's predefined `combined` format: what `access_log PATH;` without a format name writes
// (the stack's deployment guide configures nginx so).
inline constexpr std::string_view kCombinedLogFormat =
    "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
    "\"$http_referer\" \"$http_user_agent\"";
// `combined` followed by $request_time, as operators who want latencies configure it.
inline constexpr std::string_view kCombinedTimedLogFormat =
    "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
    "\"$http_referer\" \"$http_user_agent\" $request_time";

// Which time variable of the format an access record's `time` holds.
enum class AccessTimeKind : std::uint8_t {
  kNone,
  kTimeLocal,    // $time_local: "07/Dec/2026:10:00:00 +0000"
  kTimeIso8601,  // $time_iso8601: "2026-12-07T10:00:00+00:00"
  kMsec,         // $msec: "1796637600.123"
};

// What one access-log line says about its request.
struct AccessRecord {
  HttpMethod method = kOtherMethod;
  int status = 0;                 // 0..999, always three digits in the line
  std::int64_t duration_us = -1;  // $request_time, else $upstream_response_time; -1 = unknown
  // The text of the line's time variable (a view into the parsed line, valid while it is),
  // unparsed: only `--once` needs the time, and scanning it costs every line. See log_time.h.
  AccessTimeKind time_kind = AccessTimeKind::kNone;
  std::string_view time;
};

// A compiled nginx `log_format` string (nginx variable names, e.g. "$remote_addr - [$time_local]
// \"$request\" $status ..."), which parses lines by hand-written field scanning (no regex):
// each variable's value runs to the next occurrence of the literal text that follows it in the
// format. nginx escapes `"` inside values (as \x22), so quoted fields cannot end early. A
// variable at the very end of the format ends at the first space when its values never contain
// one ($status, $request_time, ...), so fields appended to the format are ignored.
//
// Pure and thread-compatible: Parse() is const and allocation-free.
class NginxLineParser {
 public:
  // Compiles a log_format. Requires $status; two variables must be separated by literal text.
  // An error (a message for a person) when the format cannot be used.
  static StatusOr<NginxLineParser> Compile(std::string_view log_format);

  // The default of `format: nginx`: `combined` lines, and `combined` lines followed by
  // $request_time, alike. After the user agent's closing quote, a first space-separated field
  // that reads as seconds ("0.004") is the request time; anything else there (nothing, or
  // e.g. "$http_x_forwarded_for" of nginx's docker image's `main`) is ignored, and the record
  // has no duration.
  static NginxLineParser Default();

  // Parses one line (without its newline; a trailing '\r' is ignored). False when the line
  // does not follow the format or its status is not three digits.
  bool Parse(std::string_view line, AccessRecord* out) const;

 private:
  enum class Var : std::uint8_t {
    kRequest,  // "GET /path HTTP/1.1": the method is its first word
    kRequestMethod,
    kStatus,
    kRequestTime,
    kUpstreamResponseTime,  // "0.004, 0.010 : 0.002" (tries and redirects): summed
    kTimeLocal,
    kTimeIso8601,
    kMsec,
    kOtherNoSpace,  // values never contain a space
    kOther,
  };
  struct Token {
    std::string literal;  // text that must follow the previous variable (may be empty first)
    bool has_var = false;
    Var var = Var::kOther;
  };

  // What Parse() has read of a line so far.
  struct LineState {
    AccessRecord rec;
    bool have_status = false;
    std::int64_t upstream_us = -1;
  };

  static Var VarOf(std::string_view name);
  // Where the value of tokens_[t], starting at pos, ends; npos when the line ends too early.
  std::size_t ValueEnd(std::string_view line, std::size_t pos, std::size_t t) const;
  // Takes one variable's value into st; false when it is malformed (the line is rejected).
  static bool ReadValue(Var var, std::string_view value, LineState& st);

  std::vector<Token> tokens_;
  bool has_request_time_ = false;
  bool optional_request_time_ = false;  // Default(): a trailing $request_time when present
};

}  // namespace thoth::logs

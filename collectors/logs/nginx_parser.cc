#include "collectors/logs/nginx_parser.h"

#include <array>
#include <cstdlib>
#include <cstring>

namespace thoth::logs {

namespace {

constexpr std::array<std::string_view, kMethodCount> kMethodNames = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "other"};

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// nginx variables whose values never contain a space, so that one at the end of the format can
// end at the first space (fields appended after the format are then ignored).
bool NeverHasSpace(std::string_view name) {
  static constexpr std::array<std::string_view, 17> kNames = {
      "remote_addr",    "binary_remote_addr",
      "status",         "body_bytes_sent",
      "bytes_sent",     "request_time",
      "request_length", "msec",
      "connection",     "connection_requests",
      "pipe",           "server_port",
      "time_iso8601",   "host",
      "request_method", "request_uri",
      "scheme"};
  for (auto n : kNames) {
    if (n == name) return true;
  }
  return false;
}

// Sums "0.004, 0.010 : 0.002" ($upstream_response_time over tries and internal redirects);
// "-" parts (no upstream answered) are skipped. -1 when nothing could be read.
std::int64_t SumUpstreamTimes(std::string_view text) {
  std::int64_t total = -1;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',' || text[i] == ':')) ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != ',' && text[i] != ':') ++i;
    if (i == start) break;
    auto v = ParseSecondsMicros(text.substr(start, i - start));
    if (v) total = (total < 0 ? 0 : total) + *v;
  }
  return total;
}

}  // namespace

std::string_view MethodName(int method) {
  if (method < 0 || method >= kMethodCount) return kMethodNames[kOtherMethod];
  return kMethodNames[static_cast<std::size_t>(method)];
}

HttpMethod ClassifyMethod(std::string_view token) {
  // Switch on length first: this runs for every request line.
  switch (token.size()) {
    case 3:
      if (token == "GET") return kGet;
      if (token == "PUT") return kPut;
      break;
    case 4:
      if (token == "POST") return kPost;
      if (token == "HEAD") return kHead;
      break;
    case 5:
      if (token == "PATCH") return kPatch;
      if (token == "TRACE") return kTrace;
      break;
    case 6:
      if (token == "DELETE") return kDelete;
      break;
    case 7:
      if (token == "OPTIONS") return kOptions;
      if (token == "CONNECT") return kConnect;
      break;
    default:
      break;
  }
  return kOtherMethod;
}

std::optional<std::int64_t> ParseSecondsMicros(std::string_view text) {
  std::size_t i = 0;
  std::int64_t seconds = 0;
  // 12 integer digits are 31,000 years: more is garbage, and would overflow.
  while (i < text.size() && IsDigit(text[i])) {
    if (i >= 12) return std::nullopt;
    seconds = seconds * 10 + (text[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::int64_t micros = 0;
  if (i < text.size()) {
    if (text[i] != '.') return std::nullopt;
    ++i;
    std::int64_t scale = 100000;
    for (; i < text.size(); ++i) {
      if (!IsDigit(text[i])) return std::nullopt;
      micros += (text[i] - '0') * scale;
      scale /= 10;
    }
  }
  return seconds * 1000000 + micros;
}

std::optional<NginxLineParser> NginxLineParser::Compile(std::string_view log_format,
                                                        std::string* error) {
  NginxLineParser parser;
  bool has_status = false;
  Token current;
  std::size_t i = 0;
  while (i < log_format.size()) {
    char c = log_format[i];
    std::string_view name;
    std::size_t next = i + 1;
    if (c == '$' && i + 1 < log_format.size() && log_format[i + 1] == '{') {
      std::size_t close = log_format.find('}', i + 2);
      if (close == std::string_view::npos) {
        *error = "unclosed ${ in log_format";
        return std::nullopt;
      }
      name = log_format.substr(i + 2, close - i - 2);
      next = close + 1;
    } else if (c == '$') {
      std::size_t j = i + 1;
      while (j < log_format.size() && IsNameChar(log_format[j])) ++j;
      name = log_format.substr(i + 1, j - i - 1);
      next = j;
    }
    if (c != '$' || name.empty()) {
      current.literal += c;
      ++i;
      continue;
    }
    for (char n : name) {
      if (!IsNameChar(n)) {
        *error = "invalid variable name in log_format: " + std::string(name);
        return std::nullopt;
      }
    }
    if (current.literal.empty() && !parser.tokens_.empty() && parser.tokens_.back().has_var) {
      *error = "variables $" + std::string(name) +
               " and the one before it must be separated by text in log_format";
      return std::nullopt;
    }
    current.has_var = true;
    if (name == "request") {
      current.var = Var::kRequest;
    } else if (name == "request_method") {
      current.var = Var::kRequestMethod;
    } else if (name == "status") {
      current.var = Var::kStatus;
      has_status = true;
    } else if (name == "request_time") {
      current.var = Var::kRequestTime;
      parser.has_request_time_ = true;
    } else if (name == "upstream_response_time") {
      current.var = Var::kUpstreamResponseTime;
    } else if (name == "time_local") {
      current.var = Var::kTimeLocal;
    } else if (name == "time_iso8601") {
      current.var = Var::kTimeIso8601;
    } else if (name == "msec") {
      current.var = Var::kMsec;
    } else if (NeverHasSpace(name)) {
      current.var = Var::kOtherNoSpace;
    } else {
      current.var = Var::kOther;
    }
    parser.tokens_.push_back(std::move(current));
    current = Token{};
    i = next;
  }
  if (!current.literal.empty()) parser.tokens_.push_back(std::move(current));
  if (!has_status) {
    *error = "log_format must contain $status";
    return std::nullopt;
  }
  return parser;
}

NginxLineParser NginxLineParser::Default() {
  std::string error;
  std::optional<NginxLineParser> parser = Compile(kCombinedLogFormat, &error);
  // kCombinedLogFormat is a constant that compiles (tested); nothing else can happen here.
  if (!parser) std::abort();
  parser->optional_request_time_ = true;
  return *std::move(parser);
}

bool NginxLineParser::Parse(std::string_view line, AccessRecord* out) const {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  AccessRecord rec;
  bool have_status = false;
  std::int64_t upstream_us = -1;
  std::size_t pos = 0;
  const std::size_t n = tokens_.size();
  for (std::size_t t = 0; t < n; ++t) {
    const Token& tok = tokens_[t];
    const std::size_t lit_len = tok.literal.size();
    if (lit_len > 0) {
      if (line.size() - pos < lit_len ||
          std::memcmp(line.data() + pos, tok.literal.data(), lit_len) != 0) {
        return false;
      }
      pos += lit_len;
    }
    if (!tok.has_var) continue;
    std::size_t end;
    if (t + 1 < n) {
      const std::string& next = tokens_[t + 1].literal;
      end = next.size() == 1 ? line.find(next[0], pos) : line.find(next, pos);
      if (end == std::string_view::npos) return false;
    } else if (tok.var == Var::kOther || tok.var == Var::kRequest ||
               tok.var == Var::kUpstreamResponseTime || tok.var == Var::kTimeLocal) {
      end = line.size();
    } else {
      end = line.find(' ', pos);
      if (end == std::string_view::npos) end = line.size();
    }
    std::string_view value = line.substr(pos, end - pos);
    pos = end;
    switch (tok.var) {
      case Var::kRequest: {
        std::size_t sp = value.find(' ');
        rec.method = ClassifyMethod(sp == std::string_view::npos ? value : value.substr(0, sp));
        break;
      }
      case Var::kRequestMethod:
        rec.method = ClassifyMethod(value);
        break;
      case Var::kStatus:
        if (value.size() != 3 || !IsDigit(value[0]) || !IsDigit(value[1]) || !IsDigit(value[2])) {
          return false;
        }
        rec.status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
        have_status = true;
        break;
      case Var::kRequestTime: {
        auto us = ParseSecondsMicros(value);
        if (!us) return false;
        rec.duration_us = *us;
        break;
      }
      case Var::kUpstreamResponseTime:
        upstream_us = SumUpstreamTimes(value);
        break;
      case Var::kTimeLocal:
        rec.time_kind = AccessTimeKind::kTimeLocal;
        rec.time = value;
        break;
      case Var::kTimeIso8601:
        rec.time_kind = AccessTimeKind::kTimeIso8601;
        rec.time = value;
        break;
      case Var::kMsec:
        rec.time_kind = AccessTimeKind::kMsec;
        rec.time = value;
        break;
      case Var::kOtherNoSpace:
      case Var::kOther:
        break;
    }
  }
  if (!have_status) return false;
  if (!has_request_time_) rec.duration_us = upstream_us;
  if (optional_request_time_ && pos < line.size() && line[pos] == ' ') {
    std::size_t end = line.find(' ', pos + 1);
    auto us = ParseSecondsMicros(line.substr(
        pos + 1, end == std::string_view::npos ? std::string_view::npos : end - pos - 1));
    if (us) rec.duration_us = *us;
  }
  *out = rec;
  return true;
}

}  // namespace thoth::logs

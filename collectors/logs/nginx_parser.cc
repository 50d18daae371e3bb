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

namespace {

// A variable of a log_format at its '$': `$name` or `${name}`, and where the text after it
// starts. An empty name when the '$' is literal text (no name follows).
struct VariableRef {
  std::string_view name;
  std::size_t next = 0;
};

StatusOr<VariableRef> ReadVariable(std::string_view format, std::size_t i) {
  VariableRef ref;
  if (i + 1 < format.size() && format[i + 1] == '{') {
    std::size_t close = format.find('}', i + 2);
    if (close == std::string_view::npos) return Status::Error("unclosed ${ in log_format");
    ref.name = format.substr(i + 2, close - i - 2);
    ref.next = close + 1;
  } else {
    std::size_t j = i + 1;
    while (j < format.size() && IsNameChar(format[j])) ++j;
    ref.name = format.substr(i + 1, j - i - 1);
    ref.next = j;
  }
  for (char n : ref.name) {
    if (!IsNameChar(n)) {
      return Status::Error("invalid variable name in log_format: " + std::string(ref.name));
    }
  }
  return ref;
}

}  // namespace

NginxLineParser::Var NginxLineParser::VarOf(std::string_view name) {
  if (name == "request") return Var::kRequest;
  if (name == "request_method") return Var::kRequestMethod;
  if (name == "status") return Var::kStatus;
  if (name == "request_time") return Var::kRequestTime;
  if (name == "upstream_response_time") return Var::kUpstreamResponseTime;
  if (name == "time_local") return Var::kTimeLocal;
  if (name == "time_iso8601") return Var::kTimeIso8601;
  if (name == "msec") return Var::kMsec;
  return NeverHasSpace(name) ? Var::kOtherNoSpace : Var::kOther;
}

StatusOr<NginxLineParser> NginxLineParser::Compile(std::string_view log_format) {
  NginxLineParser parser;
  bool has_status = false;
  Token current;
  std::size_t i = 0;
  while (i < log_format.size()) {
    if (log_format[i] != '$') {
      current.literal += log_format[i++];
      continue;
    }
    StatusOr<VariableRef> ref = ReadVariable(log_format, i);
    if (!ref.ok()) return ref.status();
    if (ref->name.empty()) {
      current.literal += log_format[i++];
      continue;
    }
    if (current.literal.empty() && !parser.tokens_.empty() && parser.tokens_.back().has_var) {
      return Status::Error("variables $" + std::string(ref->name) +
                           " and the one before it must be separated by text in log_format");
    }
    current.has_var = true;
    current.var = VarOf(ref->name);
    has_status = has_status || current.var == Var::kStatus;
    parser.has_request_time_ = parser.has_request_time_ || current.var == Var::kRequestTime;
    parser.tokens_.push_back(std::move(current));
    current = Token{};
    i = ref->next;
  }
  if (!current.literal.empty()) parser.tokens_.push_back(std::move(current));
  if (!has_status) return Status::Error("log_format must contain $status");
  return parser;
}

NginxLineParser NginxLineParser::Default() {
  StatusOr<NginxLineParser> parser = Compile(kCombinedLogFormat);
  // kCombinedLogFormat is a constant that compiles (tested); nothing else can happen here.
  if (!parser.ok()) std::abort();
  parser->optional_request_time_ = true;
  return std::move(parser).value();
}

std::size_t NginxLineParser::ValueEnd(std::string_view line, std::size_t pos, std::size_t t) const {
  if (t + 1 < tokens_.size()) {
    const std::string& next = tokens_[t + 1].literal;
    return next.size() == 1 ? line.find(next[0], pos) : line.find(next, pos);
  }
  const Var var = tokens_[t].var;
  if (var == Var::kOther || var == Var::kRequest || var == Var::kUpstreamResponseTime ||
      var == Var::kTimeLocal) {
    return line.size();
  }
  std::size_t end = line.find(' ', pos);
  return end == std::string_view::npos ? line.size() : end;
}

bool NginxLineParser::ReadValue(Var var, std::string_view value, LineState& st) {
  AccessRecord& rec = st.rec;
  switch (var) {
    case Var::kRequest: {
      std::size_t sp = value.find(' ');
      rec.method = ClassifyMethod(sp == std::string_view::npos ? value : value.substr(0, sp));
      return true;
    }
    case Var::kRequestMethod:
      rec.method = ClassifyMethod(value);
      return true;
    case Var::kStatus:
      if (value.size() != 3 || !IsDigit(value[0]) || !IsDigit(value[1]) || !IsDigit(value[2])) {
        return false;
      }
      rec.status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
      st.have_status = true;
      return true;
    case Var::kRequestTime: {
      auto us = ParseSecondsMicros(value);
      if (!us) return false;
      rec.duration_us = *us;
      return true;
    }
    case Var::kUpstreamResponseTime:
      st.upstream_us = SumUpstreamTimes(value);
      return true;
    case Var::kTimeLocal:
    case Var::kTimeIso8601:
    case Var::kMsec:
      rec.time_kind = var == Var::kTimeLocal     ? AccessTimeKind::kTimeLocal
                      : var == Var::kTimeIso8601 ? AccessTimeKind::kTimeIso8601
                                                 : AccessTimeKind::kMsec;
      rec.time = value;
      return true;
    case Var::kOtherNoSpace:
    case Var::kOther:
      return true;
  }
  return true;
}

bool NginxLineParser::Parse(std::string_view line, AccessRecord* out) const {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  LineState st;
  std::size_t pos = 0;
  for (std::size_t t = 0; t < tokens_.size(); ++t) {
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
    std::size_t end = ValueEnd(line, pos, t);
    if (end == std::string_view::npos) return false;
    if (!ReadValue(tok.var, line.substr(pos, end - pos), st)) return false;
    pos = end;
  }
  if (!st.have_status) return false;
  AccessRecord& rec = st.rec;
  if (!has_request_time_) rec.duration_us = st.upstream_us;
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

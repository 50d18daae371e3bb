#include "collectors/logs/docker_json_line.h"

#include <cstring>

namespace thoth::logs {

namespace {

// Skips JSON whitespace.
void SkipSpace(const char*& p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Hex4(const char* p, const char* end, unsigned* out) {
  if (end - p < 4) return false;
  unsigned v = 0;
  for (int i = 0; i < 4; ++i) {
    int d = HexDigit(p[i]);
    if (d < 0) return false;
    v = (v << 4) | static_cast<unsigned>(d);
  }
  *out = v;
  return true;
}

void AppendUtf8(unsigned cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The code point of the escape after a backslash at p[-1] (p at the letter); p moves past it.
// A lone surrogate is U+FFFD. False for an escape JSON does not have.
bool ReadEscape(const char*& p, const char* end, unsigned* cp) {
  char e = *p++;
  switch (e) {
    case '"':
    case '\\':
    case '/':
      *cp = static_cast<unsigned char>(e);
      return true;
    case 'b':
      *cp = '\b';
      return true;
    case 'f':
      *cp = '\f';
      return true;
    case 'n':
      *cp = '\n';
      return true;
    case 'r':
      *cp = '\r';
      return true;
    case 't':
      *cp = '\t';
      return true;
    case 'u':
      break;
    default:
      return false;
  }
  if (!Hex4(p, end, cp)) return false;
  p += 4;
  if (*cp >= 0xD800 && *cp <= 0xDBFF) {
    unsigned lo = 0;
    if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' && Hex4(p + 2, end, &lo) && lo >= 0xDC00 &&
        lo <= 0xDFFF) {
      *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
      p += 6;
    } else {
      *cp = 0xFFFD;  // a lone surrogate
    }
  } else if (*cp >= 0xDC00 && *cp <= 0xDFFF) {
    *cp = 0xFFFD;
  }
  return true;
}

// Appends a code point as UTF-8 unless it would take *out past max (then *cut).
void AppendBounded(unsigned cp, std::string* out, std::size_t max, bool* cut) {
  std::size_t before = out->size();
  if (before + 4 > max && before < max) {
    std::string tmp;
    AppendUtf8(cp, &tmp);
    if (before + tmp.size() > max) {
      *cut = true;
    } else {
      out->append(tmp);
    }
  } else if (before < max) {
    AppendUtf8(cp, out);
  } else {
    *cut = true;
  }
}

// Parses a JSON string starting at the opening quote. With `out`, the unescaped text is
// appended (at most `max` bytes; *cut set when more was there); without, it is only checked.
// `raw` gets the text between the quotes when it has no escapes (for `stream`).
bool ParseString(const char*& p, const char* end, std::string* out, std::size_t max, bool* cut,
                 std::string_view* raw) {
  if (p >= end || *p != '"') return false;
  ++p;
  const char* start = p;
  bool escaped = false;
  for (;;) {
    // Copy the run up to the next quote or backslash at once.
    const char* run = p;
    while (p < end && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
    if (out != nullptr && p > run) {
      std::size_t n = static_cast<std::size_t>(p - run);
      if (out->size() + n > max) {
        n = max - out->size();
        *cut = true;
      }
      out->append(run, n);
    }
    if (p >= end) return false;
    if (*p == '"') {
      if (raw != nullptr) *raw = escaped ? std::string_view() : std::string_view(start, p - start);
      ++p;
      return true;
    }
    if (*p != '\\') return false;  // a control character inside a string
    escaped = true;
    if (end - p < 2) return false;
    ++p;
    unsigned cp = 0;
    if (!ReadEscape(p, end, &cp)) return false;
    if (out != nullptr) AppendBounded(cp, out, max, cut);
  }
}

// Skips any JSON value (for fields other than log and stream), with a depth bound.
bool SkipValue(const char*& p, const char* end, int depth) {
  if (depth > 32) return false;
  SkipSpace(p, end);
  if (p >= end) return false;
  char c = *p;
  if (c == '"') return ParseString(p, end, nullptr, 0, nullptr, nullptr);
  if (c == '{' || c == '[') {
    const char close = c == '{' ? '}' : ']';
    ++p;
    SkipSpace(p, end);
    if (p < end && *p == close) {
      ++p;
      return true;
    }
    for (;;) {
      if (c == '{') {
        SkipSpace(p, end);
        if (!ParseString(p, end, nullptr, 0, nullptr, nullptr)) return false;
        SkipSpace(p, end);
        if (p >= end || *p != ':') return false;
        ++p;
      }
      if (!SkipValue(p, end, depth + 1)) return false;
      SkipSpace(p, end);
      if (p >= end) return false;
      if (*p == ',') {
        ++p;
        continue;
      }
      if (*p == close) {
        ++p;
        return true;
      }
      return false;
    }
  }
  // A number, true, false or null: the characters they can be made of.
  const char* start = p;
  while (p < end && (std::strchr("0123456789+-.eEtruefalsn", *p) != nullptr) && *p != '\0') ++p;
  return p > start;
}

}  // namespace

bool DockerJsonDecoder::Decode(std::string_view line, DockerJsonRecord* out) {
  const char* p = line.data();
  const char* end = p + line.size();
  buf_.clear();
  truncated_ = false;
  *out = DockerJsonRecord{};
  bool have_log = false;
  SkipSpace(p, end);
  if (p >= end || *p != '{') return false;
  ++p;
  SkipSpace(p, end);
  if (p < end && *p == '}') return false;
  for (;;) {
    SkipSpace(p, end);
    std::string_view key;
    if (!ParseString(p, end, nullptr, 0, nullptr, &key)) return false;
    SkipSpace(p, end);
    if (p >= end || *p != ':') return false;
    ++p;
    SkipSpace(p, end);
    if (key == "log" && !have_log) {
      bool cut = false;
      if (!ParseString(p, end, &buf_, max_, &cut, nullptr)) return false;
      truncated_ = cut;
      have_log = true;
    } else if (key == "stream" && p < end && *p == '"') {
      std::string_view stream;
      if (!ParseString(p, end, nullptr, 0, nullptr, &stream)) return false;
      out->stream = stream;
    } else if (!SkipValue(p, end, 0)) {
      return false;
    }
    SkipSpace(p, end);
    if (p >= end) return false;
    if (*p == ',') {
      ++p;
      continue;
    }
    if (*p != '}') return false;
    ++p;
    break;
  }
  SkipSpace(p, end);
  if (p != end || !have_log) return false;
  out->log = buf_;
  return true;
}

DockerJsonHandler::DockerJsonHandler(LineHandler* next, std::size_t max_line_bytes,
                                     std::string stream)
    // One byte more than a line may hold: the log's own "\n", and a way to see it was longer.
    : next_(next), max_(max_line_bytes), stream_(std::move(stream)), decoder_(max_line_bytes + 1) {}

void DockerJsonHandler::ResetAll() {
  for (Pending& p : pending_) {
    p.partial.clear();
    p.skipping = false;
  }
}

void DockerJsonHandler::OnLine(std::string_view line) {
  DockerJsonRecord rec;
  if (!decoder_.Decode(line, &rec)) {
    ++malformed_;
    // Not a json-file record (a foreign or damaged line): its text still counts.
    ResetAll();
    // The tailer's bound on records is wider than a line's (escaping): keep the line's own.
    if (line.size() > max_) {
      next_->OnOverlongLine();
    } else {
      next_->OnLine(line);
    }
    return;
  }
  if (!stream_.empty() && rec.stream != stream_) return;
  // stdout and stderr records interleave: a line split into records is joined per stream.
  Pending& p = pending_[rec.stream == "stderr" ? 1 : 0];
  if (decoder_.truncated()) {
    // Longer than a line may be, whatever follows: skipped up to its end.
    p.partial.clear();
    p.skipping = true;
    return;
  }
  std::string_view log = rec.log;
  bool complete = !log.empty() && log.back() == '\n';
  if (complete) log.remove_suffix(1);
  Emit(p, log, complete);
}

void DockerJsonHandler::Emit(Pending& p, std::string_view piece, bool complete) {
  if (p.skipping) {
    if (complete) {
      p.skipping = false;
      next_->OnOverlongLine();
    }
    return;
  }
  if (p.partial.size() + piece.size() > max_) {
    p.partial.clear();
    if (complete) {
      next_->OnOverlongLine();
    } else {
      p.skipping = true;
    }
    return;
  }
  if (!complete) {
    p.partial.append(piece);
    return;
  }
  if (p.partial.empty()) {
    next_->OnLine(piece);
  } else {
    p.partial.append(piece);
    next_->OnLine(p.partial);
    p.partial.clear();
  }
}

void DockerJsonHandler::OnOverlongLine() {
  // A record longer than the tailer's bound: its `log` is too.
  ResetAll();
  next_->OnOverlongLine();
}

void DockerJsonHandler::OnTruncation() {
  ResetAll();
  next_->OnTruncation();
}

}  // namespace thoth::logs

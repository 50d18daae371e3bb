#include "collectors/logs/error_code_parser.h"

#include <cstring>
#include <vector>

#include "exporter/memory_errors.h"

namespace thoth::logs {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Rewrites the Perl-style parts of a pattern into POSIX ERE: named and non-capturing groups
// become plain groups (remembering which one is `code`), \d and \D become bracket expressions.
// Returns false with *error when the pattern cannot be translated.
bool TranslatePattern(const std::string& in, std::string* out, std::size_t* code_group,
                      std::string* error) {
  std::size_t group = 0;
  bool in_bracket = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (in_bracket) {
      // POSIX: ']' right after '[' or '[^' is literal; backslash is literal inside brackets.
      *out += c;
      if (c == ']') in_bracket = false;
      continue;
    }
    if (c == '\\' && i + 1 < in.size()) {
      char n = in[i + 1];
      if (n == 'd') {
        *out += "[0-9]";
      } else if (n == 'D') {
        *out += "[^0-9]";
      } else {
        *out += c;
        *out += n;
      }
      ++i;
      continue;
    }
    if (c == '[') {
      *out += c;
      in_bracket = true;
      if (i + 1 < in.size() && in[i + 1] == '^') *out += in[++i];
      if (i + 1 < in.size() && in[i + 1] == ']') *out += in[++i];
      continue;
    }
    if (c == '(') {
      ++group;
      if (i + 1 < in.size() && in[i + 1] == '?') {
        std::size_t name_start = 0;
        if (in.compare(i + 2, 2, "P<") == 0) {
          name_start = i + 4;
        } else if (in.compare(i + 2, 1, "<") == 0) {
          name_start = i + 3;
        } else if (in.compare(i + 2, 1, ":") == 0) {
          *out += '(';
          i += 2;
          continue;
        } else {
          *error = "unsupported group syntax (?" + in.substr(i + 2, 1) +
                   " (use (?P<code>...), (?<code>...) or (?:...))";
          return false;
        }
        std::size_t close = in.find('>', name_start);
        if (close == std::string::npos) {
          *error = "unclosed group name";
          return false;
        }
        if (in.compare(name_start, close - name_start, "code") == 0) *code_group = group;
        *out += '(';
        i = close;
        continue;
      }
    }
    *out += c;
  }
  return true;
}

}  // namespace

std::string_view CodeSlotName(int slot) {
  if (slot < 0 || slot >= kOtherSlot) return "other";
  return ErrorCodes()[static_cast<std::size_t>(slot)].code;
}

int CodeSlot(std::string_view code) {
  const auto& codes = ErrorCodes();
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (code == codes[i].code) return static_cast<int>(i);
  }
  return kOtherSlot;
}

CodeSet FindErrorCodes(std::string_view line) {
  CodeSet found = 0;
  const char* p = line.data();
  const char* end = p + line.size();
  // memchr for 'M' runs at memory speed; most lines have no code at all.
  while (end - p >= 7) {
    const void* m = std::memchr(p, 'M', static_cast<std::size_t>(end - p - 6));
    if (m == nullptr) break;
    const char* s = static_cast<const char*>(m);
    if (s[1] == 'E' && s[2] == 'M' && s[3] == '-' && IsDigit(s[4]) && IsDigit(s[5]) &&
        IsDigit(s[6])) {
      bool longer = s + 7 < end && IsDigit(s[7]);
      int slot = longer ? kOtherSlot : CodeSlot(std::string_view(s, 7));
      found = static_cast<CodeSet>(found | (1u << slot));
      p = s + 7;
      while (longer && p < end && IsDigit(*p)) ++p;
    } else {
      p = s + 1;
    }
  }
  return found;
}

std::optional<CodeRegex> CodeRegex::Compile(const std::string& pattern, std::string* error) {
  std::string translated;
  std::size_t code_group = 0;
  if (!TranslatePattern(pattern, &translated, &code_group, error)) return std::nullopt;
  if (code_group == 0) {
    *error = "regex needs a named group `code`, e.g. \"code\":\\s*\"(?P<code>[^\"]*)\"";
    return std::nullopt;
  }
  auto compiled = std::make_shared<Compiled>();
  int rc = regcomp(&compiled->re, translated.c_str(), REG_EXTENDED);
  if (rc != 0) {
    char buf[256];
    regerror(rc, &compiled->re, buf, sizeof(buf));
    *error = std::string("regex does not compile: ") + buf;
    return std::nullopt;  // a failed regcomp holds nothing: Compiled skips regfree
  }
  compiled->ok = true;
  compiled->groups = compiled->re.re_nsub;
  if (code_group > compiled->groups) {
    *error = "regex group `code` not found after translation";
    return std::nullopt;
  }
  CodeRegex r;
  r.compiled_ = std::move(compiled);
  r.code_group_ = code_group;
  return r;
}

std::optional<int> CodeRegex::Match(std::string_view line) const {
  std::vector<regmatch_t> m(code_group_ + 1);
  // REG_STARTEND: the line is not NUL-terminated and may contain NUL bytes.
  m[0].rm_so = 0;
  m[0].rm_eo = static_cast<regoff_t>(line.size());
  // regexec's contract is a C string: even with REG_STARTEND, interceptors (and other libcs)
  // may read up to a NUL. The line is copied into a NUL-terminated buffer, bounded by
  // max_line_bytes and reused across lines.
  thread_local std::string buffer;
  buffer.assign(line.data(), line.size());
  if (regexec(&compiled_->re, buffer.c_str(), m.size(), m.data(), REG_STARTEND) != 0) {
    return std::nullopt;
  }
  const regmatch_t& g = m[code_group_];
  if (g.rm_so < 0 || g.rm_eo < g.rm_so) return std::nullopt;
  return CodeSlot(
      line.substr(static_cast<std::size_t>(g.rm_so), static_cast<std::size_t>(g.rm_eo - g.rm_so)));
}

}  // namespace thoth::logs

#include "collectors/logs/error_code_parser.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "re2/re2.h"

namespace thoth::logs {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A class `[...]` starting at in[i]: the index just past its closing `]` (RE2, as Go: a `]`
// first in the class, after an optional `^`, is literal; `\` escapes; `[:alpha:]` nests).
std::size_t SkipClass(std::string_view in, std::size_t i) {
  ++i;
  if (i < in.size() && in[i] == '^') ++i;
  if (i < in.size() && in[i] == ']') ++i;
  while (i < in.size() && in[i] != ']') {
    if (in[i] == '\\') {
      i += 2;
    } else if (in.compare(i, 2, "[:") == 0 && in.find(":]", i + 2) != std::string_view::npos) {
      i = in.find(":]", i + 2) + 2;
    } else {
      ++i;
    }
  }
  return i + 1;
}

}  // namespace

std::string NormalizeNamedGroups(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 4);
  std::size_t i = 0;
  while (i < in.size()) {
    std::size_t next = i + 1;
    if (in[i] == '\\') {
      next = i + 2;
    } else if (in[i] == '[') {
      next = SkipClass(in, i);
    } else if (in.compare(i, 3, "(?<") == 0 && i + 3 < in.size() && in[i + 3] != '=' &&
               in[i + 3] != '!') {
      out += "(?P<";  // not look-behind `(?<=`, `(?<!`: RE2 rejects those with its own message
      i += 3;
      continue;
    }
    out.append(in.substr(i, std::min(next, in.size()) - i));
    i = next;
  }
  return out;
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
      MemCode code = longer ? MemCode::kOther : ParseMemCode(std::string_view(s, 7));
      found = static_cast<CodeSet>(found | CodeBit(code));
      p = s + 7;
      while (longer && p < end && IsDigit(*p)) ++p;
    } else {
      p = s + 1;
    }
  }
  return found;
}

StatusOr<CodeRegex> CodeRegex::Compile(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);  // the error goes into the configuration error instead
  auto re = std::make_shared<const RE2>(NormalizeNamedGroups(pattern), options);
  if (!re->ok()) return Status::Error("regex does not compile: " + re->error());
  const auto& groups = re->NamedCapturingGroups();
  auto code = groups.find("code");
  if (code == groups.end()) {
    return Status::Error(
        "regex needs a named group `code`, e.g. \"code\":\\s*\"(?P<code>[^\"]*)\"");
  }
  return CodeRegex(std::move(re), code->second);
}

std::optional<MemCode> CodeRegex::Match(std::string_view line) const {
  // Submatches up to the `code` group (group 0 is the whole match). Patterns seldom have more
  // than a few groups: those fit on the stack, and no line allocates.
  constexpr std::size_t kOnStack = 16;
  const auto wanted = static_cast<std::size_t>(code_group_) + 1;
  re2::StringPiece on_stack[kOnStack];
  std::vector<re2::StringPiece> on_heap;
  re2::StringPiece* groups = on_stack;
  if (wanted > kOnStack) {
    on_heap.resize(wanted);
    groups = on_heap.data();
  }
  const re2::StringPiece text(line.data(), line.size());
  if (!re_->Match(text, 0, text.size(), RE2::UNANCHORED, groups, static_cast<int>(wanted))) {
    return std::nullopt;
  }
  const re2::StringPiece& code = groups[wanted - 1];
  if (code.data() == nullptr) return std::nullopt;  // the group did not take part
  return ParseMemCode(std::string_view(code.data(), code.size()));
}

}  // namespace thoth::logs

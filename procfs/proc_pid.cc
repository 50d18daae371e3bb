#include "procfs/proc_pid.h"

#include <charconv>

#include "procfs/lines.h"

namespace thoth {
namespace {

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// The value of the line "key:<spaces>number[ kB]" in a "key: value" file; nullopt if absent
// or malformed.
std::optional<double> KeyedNumber(std::string_view text, std::string_view key, bool kib) {
  for (std::string_view line : Lines(text)) {
    if (line.size() <= key.size() || line.compare(0, key.size(), key) != 0 ||
        line[key.size()] != ':') {
      continue;
    }
    std::string_view rest = line.substr(key.size() + 1);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
    if (ec != std::errc() || ptr == rest.data()) return std::nullopt;
    std::string_view unit = rest.substr(static_cast<std::size_t>(ptr - rest.data()));
    if (kib) {
      if (unit != " kB") return std::nullopt;
      return static_cast<double>(v) * 1024.0;
    }
    if (!unit.empty()) return std::nullopt;
    return static_cast<double>(v);
  }
  return std::nullopt;
}

}  // namespace

bool ParseProcStat(std::string_view text, ProcStat* out) {
  std::size_t open = text.find('(');
  std::size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return false;
  }
  out->comm = std::string(text.substr(open + 1, close - open - 1));
  std::string_view rest = text.substr(close + 1);
  // Fields from `state` (field 3) on; index i here is field i + 3 of proc(5).
  std::string_view fields[22];
  std::size_t n = 0;
  std::size_t i = 0;
  while (n < 22 && i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    std::size_t start = i;
    while (i < rest.size() && rest[i] != ' ' && rest[i] != '\n') ++i;
    if (i == start) break;
    fields[n++] = rest.substr(start, i - start);
  }
  // rss must be followed by more text: a read cut inside it ("25" of "2560") is not a value.
  if (n < 22 || i >= rest.size()) return false;
  if (fields[0].size() != 1) return false;
  out->state = fields[0][0];
  return ParseNumber(fields[11], &out->utime_ticks) &&      // 14 utime
         ParseNumber(fields[12], &out->stime_ticks) &&      // 15 stime
         ParseNumber(fields[17], &out->num_threads) &&      // 20 num_threads
         ParseNumber(fields[19], &out->starttime_ticks) &&  // 22 starttime
         ParseNumber(fields[20], &out->vsize_bytes) &&      // 23 vsize
         ParseNumber(fields[21], &out->rss_pages);          // 24 rss
}

ProcStatusMemory ParseProcStatusMemory(std::string_view text) {
  return {KeyedNumber(text, "VmRSS", true), KeyedNumber(text, "VmSwap", true)};
}

ProcIo ParseProcIo(std::string_view text) {
  return {KeyedNumber(text, "read_bytes", false), KeyedNumber(text, "write_bytes", false)};
}

void CmdlineToText(std::string* raw) {
  while (!raw->empty() && raw->back() == '\0') raw->pop_back();
  for (char& c : *raw) {
    if (c == '\0') c = ' ';
  }
}

}  // namespace thoth

#include "collectors/logs/log_time.h"

#include <algorithm>
#include <array>

namespace thoth::logs {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly n digits at text[pos]; -1 when they are not all digits or not all there.
int Digits(std::string_view text, std::size_t pos, std::size_t n) {
  if (pos + n > text.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(text[i])) return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool ValidDateTime(int y, int mo, int d, int h, int mi, int s) {
  // 60: a leap second as some loggers write it.
  return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 &&
         mi <= 59 && s <= 60;
}

std::int64_t ToUnix(int y, int mo, int d, int h, int mi, int s) {
  return DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
         mi * 60 + s;
}

// "+0100" / "+01:00" / "+01" / "-05:30" at text[pos]: seconds east of UTC; nullopt otherwise.
std::optional<std::int64_t> ParseOffset(std::string_view text, std::size_t pos) {
  if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) return std::nullopt;
  int sign = text[pos] == '-' ? -1 : 1;
  int h = Digits(text, pos + 1, 2);
  if (h < 0 || h > 23) return std::nullopt;
  int m = 0;
  std::size_t p = pos + 3;
  if (p < text.size() && text[p] == ':') ++p;
  if (Digits(text, p, 2) >= 0) m = Digits(text, p, 2);
  if (m > 59) return std::nullopt;
  return sign * (h * 3600 + m * 60);
}

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Whether text[pos] starts "dddd-dd-dd?dd:dd:dd" with 'T', 't' or ' ' as '?'.
bool LooksLikeIso(std::string_view text, std::size_t pos) {
  if (pos + 19 > text.size()) return false;
  const char* p = text.data() + pos;
  auto d = [&](int i) { return IsDigit(p[i]); };
  return d(0) && d(1) && d(2) && d(3) && p[4] == '-' && d(5) && d(6) && p[7] == '-' && d(8) &&
         d(9) && (p[10] == 'T' || p[10] == 't' || p[10] == ' ') && d(11) && d(12) && p[13] == ':' &&
         d(14) && d(15) && p[16] == ':' && d(17) && d(18);
}

}  // namespace

std::optional<std::int64_t> ParseNginxLocalTime(std::string_view text) {
  // 07/Dec/2026:10:00:00 +0000
  if (text.size() < 26 || text[2] != '/' || text[6] != '/' || text[11] != ':' || text[14] != ':' ||
      text[17] != ':' || text[20] != ' ') {
    return std::nullopt;
  }
  int d = Digits(text, 0, 2), y = Digits(text, 7, 4), h = Digits(text, 12, 2),
      mi = Digits(text, 15, 2), s = Digits(text, 18, 2);
  int mo = 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (text.substr(3, 3) == kMonths[i]) mo = static_cast<int>(i) + 1;
  }
  if (d < 0 || y < 0 || h < 0 || mi < 0 || s < 0 || mo == 0) return std::nullopt;
  if (!ValidDateTime(y, mo, d, h, mi, s)) return std::nullopt;
  auto offset = ParseOffset(text, 21);
  if (!offset) return std::nullopt;
  return ToUnix(y, mo, d, h, mi, s) - *offset;
}

std::optional<std::int64_t> ParseIsoTimestamp(std::string_view text,
                                              std::int64_t utc_offset_seconds) {
  if (!LooksLikeIso(text, 0)) return std::nullopt;
  int y = Digits(text, 0, 4), mo = Digits(text, 5, 2), d = Digits(text, 8, 2),
      h = Digits(text, 11, 2), mi = Digits(text, 14, 2), s = Digits(text, 17, 2);
  if (!ValidDateTime(y, mo, d, h, mi, s)) return std::nullopt;
  std::size_t pos = 19;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
  }
  std::int64_t offset = utc_offset_seconds;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    offset = 0;
  } else if (auto o = ParseOffset(text, pos)) {
    offset = *o;
  }
  return ToUnix(y, mo, d, h, mi, s) - offset;
}

std::optional<std::int64_t> FindLineTime(std::string_view line, std::int64_t utc_offset_seconds) {
  constexpr std::size_t kLeadingBytes = 64;
  std::size_t limit = line.size();
  if (line.empty() || line[0] != '{') limit = std::min(limit, kLeadingBytes);
  if (limit < 19) return std::nullopt;
  for (std::size_t i = 0; i + 19 <= line.size() && i < limit; ++i) {
    if (!IsDigit(line[i]) || (i > 0 && IsDigit(line[i - 1]))) continue;
    if (LooksLikeIso(line, i)) return ParseIsoTimestamp(line.substr(i), utc_offset_seconds);
  }
  return std::nullopt;
}

std::optional<std::int64_t> FindBracketedLocalTime(std::string_view line) {
  constexpr std::size_t kLength = 28;  // [07/Dec/2026:10:00:00 +0000]
  for (std::size_t i = line.find('['); i != std::string_view::npos && i + kLength <= line.size();
       i = line.find('[', i + 1)) {
    if (line[i + kLength - 1] != ']') continue;
    if (auto t = ParseNginxLocalTime(line.substr(i + 1, kLength - 2))) return t;
  }
  return std::nullopt;
}

std::optional<std::int64_t> AccessRecordTime(const AccessRecord& rec,
                                             std::int64_t utc_offset_seconds) {
  switch (rec.time_kind) {
    case AccessTimeKind::kTimeLocal:
      return ParseNginxLocalTime(rec.time);
    case AccessTimeKind::kTimeIso8601:
      return ParseIsoTimestamp(rec.time, utc_offset_seconds);
    case AccessTimeKind::kMsec: {
      auto micros = ParseSecondsMicros(rec.time);
      if (!micros) return std::nullopt;
      return *micros / 1000000;
    }
    case AccessTimeKind::kNone:
      break;
  }
  return std::nullopt;
}

}  // namespace thoth::logs

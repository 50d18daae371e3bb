#include "collectors/redis/info_parser.h"

#include <charconv>
#include <cmath>

namespace thoth::redis {

namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<double> PairNumber(
    const std::vector<std::pair<std::string_view, std::string_view>>& pairs, std::string_view key) {
  for (const auto& [k, v] : pairs) {
    if (k == key) return ParseNumber(v);
  }
  return std::nullopt;
}

std::optional<std::string_view> PairString(
    const std::vector<std::pair<std::string_view, std::string_view>>& pairs, std::string_view key) {
  for (const auto& [k, v] : pairs) {
    if (k == key) return v;
  }
  return std::nullopt;
}

// cmdstat_get:calls=21,usec=175,usec_per_call=8.33[,rejected_calls=0,failed_calls=0]
bool ParseCommandStat(std::string_view cmd, std::string_view value, RedisInfo& info) {
  auto pairs = SplitPairs(value);
  if (!pairs || cmd.empty()) return false;
  auto calls = PairNumber(*pairs, "calls");
  auto usec = PairNumber(*pairs, "usec");
  if (!calls || !usec) return false;
  if (info.commands.size() >= kMaxLabeledEntries) return true;
  info.commands.push_back({std::string(cmd), *calls, *usec, PairNumber(*pairs, "rejected_calls"),
                           PairNumber(*pairs, "failed_calls")});
  return true;
}

// errorstat_ERR:count=4
bool ParseErrorStat(std::string_view err, std::string_view value, RedisInfo& info) {
  auto pairs = SplitPairs(value);
  if (!pairs || err.empty()) return false;
  auto count = PairNumber(*pairs, "count");
  if (!count) return false;
  if (info.errors.size() >= kMaxLabeledEntries) return true;
  info.errors.emplace_back(std::string(err), *count);
  return true;
}

// db0:keys=51,expires=50,avg_ttl=3599389[,subexpiry=0]
bool ParseKeyspace(std::string_view db, std::string_view value, RedisInfo& info) {
  auto pairs = SplitPairs(value);
  if (!pairs) return false;
  auto keys = PairNumber(*pairs, "keys");
  auto expires = PairNumber(*pairs, "expires");
  if (!keys || !expires) return false;
  if (info.keyspace.size() >= kMaxLabeledEntries) return true;
  info.keyspace.push_back({std::string(db), *keys, *expires, PairNumber(*pairs, "avg_ttl")});
  return true;
}

// slave0:ip=10.0.0.1,port=6379,state=online,offset=1751844676,lag=0
bool ParseReplica(std::string_view value, RedisInfo& info) {
  auto pairs = SplitPairs(value);
  if (!pairs) return false;
  auto offset = PairNumber(*pairs, "offset");
  if (!offset) return false;
  std::optional<double> lag;
  if (PairString(*pairs, "lag")) {
    lag = PairNumber(*pairs, "lag");
    if (!lag) return false;
  }
  if (info.replicas.size() >= kMaxLabeledEntries) return true;
  info.replicas.push_back({std::string(PairString(*pairs, "ip").value_or("")),
                           std::string(PairString(*pairs, "port").value_or("")),
                           std::string(PairString(*pairs, "state").value_or("")), *offset, lag});
  return true;
}

void ParseLine(std::string_view line, RedisInfo& info) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return;
  if (line.front() == '#') {
    line.remove_prefix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (!line.empty()) info.sections.emplace_back(line);
    return;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    ++info.malformed_lines;
    return;
  }
  const std::string_view key = line.substr(0, colon);
  const std::string_view value = line.substr(colon + 1);

  bool ok = true;
  if (key.starts_with("cmdstat_")) {
    ok = ParseCommandStat(key.substr(8), value, info);
  } else if (key.starts_with("errorstat_")) {
    ok = ParseErrorStat(key.substr(10), value, info);
  } else if (key.size() > 2 && key.starts_with("db") && AllDigits(key.substr(2))) {
    ok = ParseKeyspace(key, value, info);
  } else if (key.size() > 5 && key.starts_with("slave") && AllDigits(key.substr(5))) {
    ok = ParseReplica(value, info);
  } else {
    info.fields.emplace(std::string(key), std::string(value));
  }
  if (!ok) ++info.malformed_lines;
}

}  // namespace

const std::string* RedisInfo::Find(std::string_view key) const {
  auto it = fields.find(key);
  return it == fields.end() ? nullptr : &it->second;
}

std::optional<double> RedisInfo::Number(std::string_view key) const {
  const std::string* v = Find(key);
  if (v == nullptr) return std::nullopt;
  return ParseNumber(*v);
}

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  // from_chars rejects a leading '+', which Redis never sends; accept it anyway.
  if (text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::vector<std::pair<std::string_view, std::string_view>>> SplitPairs(
    std::string_view text) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  while (true) {
    const size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    out.emplace_back(part.substr(0, eq), part.substr(eq + 1));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

RedisInfo ParseInfo(std::string_view text) {
  RedisInfo info;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      // Redis ends every line with CRLF: an unterminated last line was cut short.
      info.truncated = true;
      break;
    }
    ParseLine(text.substr(0, nl), info);
    text.remove_prefix(nl + 1);
  }
  return info;
}

}  // namespace thoth::redis

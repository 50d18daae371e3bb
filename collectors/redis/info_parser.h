#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace thoth::redis {

// One `cmdstat_<cmd>:calls=..,usec=..[,rejected_calls=..,failed_calls=..]` line.
struct CommandStat {
  std::string cmd;
  double calls = 0;
  double usec = 0;
  std::optional<double> rejected_calls;  // Redis >= 6.2
  std::optional<double> failed_calls;    // Redis >= 6.2
};

// One `db<N>:keys=..,expires=..[,avg_ttl=..]` line of the Keyspace section.
struct KeyspaceStat {
  std::string db;  // "db0"
  double keys = 0;
  double expires = 0;
  std::optional<double> avg_ttl_ms;
};

// One `slave<N>:ip=..,port=..,state=..,offset=..[,lag=..]` line of a master.
struct ReplicaStat {
  std::string ip;
  std::string port;
  std::string state;
  double offset = 0;
  std::optional<double> lag_seconds;  // absent before Redis 3.0
};

// The reply of `INFO ALL`, split into fields.
//
// Parsing is section-independent: commandstats, errorstats, keyspace and replica lines are
// recognised by their key shape (cmdstat_*, errorstat_*, db<N>, slave<N>), so a reply with
// missing or renamed section headers still yields them. Every other `key:value` line is kept as
// a raw string in `fields` (first occurrence wins).
struct RedisInfo {
  std::map<std::string, std::string, std::less<>> fields;
  std::vector<std::string> sections;  // "Server", "Clients", ... in reply order
  std::vector<CommandStat> commands;
  std::vector<std::pair<std::string, double>> errors;  // errorstat_<ERR>:count=N
  std::vector<KeyspaceStat> keyspace;
  std::vector<ReplicaStat> replicas;
  // Lines that were neither blank, a header, nor a well-formed field (including structured
  // lines with unparseable numbers). Counted, not fatal.
  int malformed_lines = 0;
  // The text did not end with a line terminator: its last line was dropped, since a cut line
  // ("used_memory:12" of "used_memory:12345") would report a wrong number.
  bool truncated = false;

  // The raw value of a field, or nullptr.
  const std::string* Find(std::string_view key) const;
  // A field as a finite number; nullopt when absent or not a number ("1.5", "-1", "2e3" are
  // numbers; "ok", "", "nan", "12abc" are not).
  std::optional<double> Number(std::string_view key) const;
};

// Parses the text of an INFO reply (any section selection). Never throws; hostile text yields
// what could be recognised. At most kMaxLabeledEntries commands, errors, databases and replicas
// are kept each, so that a lying server cannot make the exporter emit unbounded series.
RedisInfo ParseInfo(std::string_view text);

inline constexpr size_t kMaxLabeledEntries = 1024;

// Parses a whole string as a finite double (no leading/trailing junk).
std::optional<double> ParseNumber(std::string_view text);

// Splits "a=1,b=2" into pairs; nullopt when a part has no '='.
std::optional<std::vector<std::pair<std::string_view, std::string_view>>> SplitPairs(
    std::string_view text);

}  // namespace thoth::redis

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/config_reader.h"
#include "exporter/status.h"

namespace thoth::redis {

// Where a Redis server listens.
struct Endpoint {
  bool unix_socket = false;
  std::string host;  // TCP host name or address (IPv6 without brackets)
  int port = 6379;
  std::string path;  // unix socket path

  // "redis://host:port" or "unix:///path": never carries credentials, safe for logs.
  std::string Display() const;
};

// A parsed `address`. user/password come from a redis:// URL's userinfo (percent-decoded).
struct ParsedAddress {
  Endpoint endpoint;
  std::optional<std::string> user;
  std::optional<std::string> password;
};

// Parses `redis://[user[:password]@]host[:port][/db]`, `unix:///path/to.sock`, `host:port`,
// `host` or `[v6addr]:port`. The optional /db is accepted and ignored (INFO is server-wide;
// count_keys names its own database). An error's message never repeats the address (it may
// hold a password). `rediss://` fails: the hiredis 0.14 of Debian 12 is built without TLS.
StatusOr<ParsedAddress> ParseAddress(std::string_view address);

// One `count_keys` entry: "db0=ratelimit:*" or "ratelimit:*" (database 0).
struct CountKeysSpec {
  int db = 0;
  std::string pattern;
  std::string DbLabel() const { return "db" + std::to_string(db); }
};
StatusOr<CountKeysSpec> ParseCountKeys(std::string_view text);

// One configured Redis target (one item of the `redis` section).
struct TargetConfig {
  std::string name;
  Endpoint endpoint;
  std::optional<std::string> username;  // ACL user (Redis >= 6); needs a password
  std::optional<std::string> password;  // never logged
  double connect_timeout = 2;           // seconds, also capped by the scrape deadline
  double command_timeout = 5;           // seconds per command, also capped by the deadline
  std::vector<CountKeysSpec> count_keys;
  double count_keys_timeout = 2;          // budget for all count_keys SCANs of one scrape
  int count_keys_batch = 1000;            // SCAN ... COUNT
  std::string config_command = "CONFIG";  // renamed CONFIG of managed services; "" = never
  std::string fingerprint;                // of the item; never printed
};

// Validates one item of the `redis` section; throws ConfigError.
TargetConfig ParseTargetConfig(const ConfigNode& node);

// Reads and validates the `redis` section (absent or null: no targets). An error names file,
// line, column and key and never quotes a password. Target names (default: the address) are
// checked unique by the loader (exporter/config.cc).
Status ParseConfig(const ConfigNode& section, std::vector<TargetConfig>* out);

}  // namespace thoth::redis

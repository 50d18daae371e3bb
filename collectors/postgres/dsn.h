#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/status.h"

namespace thoth::postgres {

// libpq connection parameters as keyword/value pairs, in order.
using ConnParams = std::vector<std::pair<std::string, std::string>>;

// Parses a libpq connection string (a postgresql:// URI or key=value pairs) into its explicit
// parameters (no defaults, no environment). On failure, an error whose message never contains
// the password.
StatusOr<ConnParams> ParseDsn(const std::string& dsn);

// The passwords written in a DSN, as they appear in the raw text (for Scrub): the password of a
// URI's user info, a `password=` URI query parameter, and a `password=` keyword (quoted or not).
// Best effort on malformed input, so that even a DSN libpq rejects cannot leak through its
// error message.
std::vector<std::string> DsnSecrets(std::string_view dsn);

// Replaces every occurrence of each non-empty secret in text with "***".
std::string Scrub(std::string text, const std::vector<std::string>& secrets);

// What the exporter sets on every session it opens.
struct SessionSettings {
  std::string application_name = "thoth-exporter";
  double connect_timeout_seconds = 5;
  double statement_timeout_seconds = 10;
  double lock_timeout_seconds = 2;
};

// The parameters of one session: the DSN's, then the exporter's on top (application_name,
// connect_timeout, client_encoding=UTF8, statement_timeout and lock_timeout added to the DSN's
// `options`), then the password from the secret file when given (it wins over the DSN's), and
// the database when given (per-database fan-out). A keyword appears at most once.
ConnParams SessionParams(const ConnParams& dsn, const SessionSettings& settings,
                         const std::optional<std::string>& password,
                         const std::optional<std::string>& dbname);

// The value of keyword in params, or nullopt.
std::optional<std::string> ParamValue(const ConnParams& params, std::string_view keyword);

}  // namespace thoth::postgres

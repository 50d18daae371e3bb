#pragma once

// Pure translation of a JSON document into Prometheus samples: the job of json_exporter, for
// services that publish their statistics as JSON (the memory service's
// `GET /api/memory/stats`). Nothing here does I/O, and nothing throws: Flatten takes any byte
// string (truncated, HTML, deeply nested, invalid UTF-8, numbers out of range) and either
// returns samples or an error that says what it found instead, in words fit for a log line.
//
// Contract (docs/collectors/json.md):
// - Without mappings, every number and boolean (true 1, false 0) found through objects becomes
//   a gauge `<prefix>_<keys joined by "_">`, each key sanitized to [a-zA-Z0-9_] (any other byte
//   becomes "_"). Arrays are skipped: an element's position is not its identity, so a series
//   per index would change meaning whenever the array changes; export array elements with a
//   mapping and a `*` wildcard instead. Strings and nulls are skipped. A top-level number is
//   the gauge `<prefix>` itself. A value beyond +-1e308 is skipped (see kMaxMagnitude).
// - With mappings, only what they name is exported: each mapping's JSON Pointer (RFC 6901,
//   where a token that is exactly `*` matches every member of an object or element of an
//   array) selects values; numbers, booleans and strings that are a whole finite decimal
//   number ("12", "0.5", not "NaN", "1e999" or "12 items") are exported; everything else is
//   skipped.
// - At most max_series samples are returned, first in key order (objects are read with their
//   keys sorted, so the choice does not depend on the server's key order). Every further
//   exportable value, a name that would repeat a series already returned (two keys that
//   sanitize alike), and a name longer than kMaxNameLength are counted in `omitted`.
// - Documents nested deeper than kMaxDepth are refused whole, as are bodies that are not JSON
//   (including invalid UTF-8 and numbers beyond the range of a double).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/metric_sink.h"
#include "exporter/status.h"

namespace thoth::json {

inline constexpr int kMaxDepth = 64;
inline constexpr std::size_t kMaxNameLength = 200;
inline constexpr std::size_t kMaxLabelValueLength = 128;  // bytes, cut on a UTF-8 boundary
inline constexpr std::size_t kMaxPointerTokens = 32;

enum class MetricKind { kGauge, kCounter };

// One explicit mapping of a target's `mappings` list, already validated.
struct Mapping {
  std::string pointer;              // as configured, for messages and HELP
  std::vector<std::string> tokens;  // unescaped; "*" is a wildcard
  std::string name;                 // the whole metric name: <prefix>_<configured name>
  MetricKind kind = MetricKind::kGauge;
  std::string help;  // "" gives a HELP naming the pointer
  Labels labels;     // constant labels
  // One label name per wildcard of the pointer, in order: the matched member's key (or the
  // element's index). Fewer names than wildcards leave the rest unlabelled.
  std::vector<std::string> key_labels;
  // (label, key): the label's value is the value of `key` in the object that holds the
  // selected value (a string as is, a number or boolean as text, anything else or absent "").
  std::vector<std::pair<std::string, std::string>> labels_from;
};

struct FlattenOptions {
  std::string prefix;  // a valid metric name
  std::vector<Mapping> mappings;
  std::size_t max_series = 200;
};

struct Sample {
  std::string name;
  MetricKind kind = MetricKind::kGauge;
  std::string help;
  Labels labels;
  double value = 0;
};

struct Flattened {
  std::vector<Sample> samples;
  std::size_t omitted = 0;
  // Mappings that selected no exportable value (a pointer that matches nothing, or only
  // strings, objects, nulls): a configuration that no longer fits the server's answer.
  std::size_t unmatched_mappings = 0;
};

// Parses `body` and translates it as above. An error's message says why (at most a few hundred
// bytes, control characters escaped).
StatusOr<Flattened> Flatten(std::string_view body, const FlattenOptions& options);

// One JSON object key as a part of a metric name: bytes outside [a-zA-Z0-9_] become "_", an
// empty key becomes "_".
std::string SanitizeNamePart(std::string_view key);

// Splits an RFC 6901 JSON Pointer ("" or "/a/b~1c/0") into unescaped tokens. An error for a
// pointer that does not start with "/", an invalid "~" escape, or more than kMaxPointerTokens
// tokens.
StatusOr<std::vector<std::string>> ParsePointer(std::string_view pointer);

// [a-zA-Z_][a-zA-Z0-9_]* (no ":", which Prometheus keeps for recording rules).
bool IsMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__".
bool IsLabelName(std::string_view name);

}  // namespace thoth::json

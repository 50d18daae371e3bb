#pragma once

// Pure parsing of the JSON that a Chroma server answers (API v1 of 0.4/0.5 and API v2 of
// 0.5.16+, 0.6 and 1.x). Nothing here does I/O, and nothing throws: every function takes any
// byte string (truncated, HTML, hostile, deeply nested) and either returns a value or an error
// that says what it found instead, in words fit for a log line.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/status.h"

namespace thoth::chroma {

// One collection of a listing page; the fields the exporter needs, the rest is ignored.
struct CollectionInfo {
  std::string id;
  std::string name;
  // The collection's `dimension` field: absent in 0.4.x, null while a collection is empty.
  std::optional<std::int64_t> dimension;
};

// A heartbeat answer: {"nanosecond heartbeat": <integer>}.
Status ParseHeartbeat(std::string_view body);

// A version answer: a JSON string such as "1.0.0" or "0.4.24". The result is checked to be
// short printable text, since it becomes a label value.
StatusOr<std::string> ParseVersion(std::string_view body);

// A page of a collection listing: a JSON array of objects with a string `id` and `name`. A
// `dimension` that is not a positive integer is treated as absent (it is informative only);
// an entry without a usable id or name fails the page, because it cannot be counted. The
// collections are appended to *out (which a failed page may leave partly appended to).
Status ParseCollectionsPage(std::string_view body, std::vector<CollectionInfo>* out);

// A count answer (records of a collection, or collections of a database): a non-negative
// integer.
StatusOr<std::int64_t> ParseCount(std::string_view body);

// What one record fetched with include ["embeddings"] tells about the dimension: the length
// of its first embedding. `found` is false (and the result ok) when the collection had no
// record or the record no embedding.
struct EmbeddingProbe {
  bool found = false;
  std::int64_t dimension = 0;
};
StatusOr<EmbeddingProbe> ParseEmbeddingProbe(std::string_view body);

// Describes an HTTP answer for a log line or an error message: status, content type, size and
// the start of the body with control characters replaced, e.g.
// `HTTP 502 (text/html, 157 bytes): "<html><head><title>502 Bad Gateway..."`.
std::string DescribeAnswer(int status, std::string_view content_type, std::string_view body);

// The start of `text`, at most `max` bytes, printable ASCII only (anything else becomes '?'),
// for quoting untrusted bytes in logs.
std::string Snippet(std::string_view text, std::size_t max = 120);

}  // namespace thoth::chroma

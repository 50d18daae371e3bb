#include "collectors/chroma/chroma_json.h"

#include <cmath>
#include <limits>

#include "nlohmann/json.hpp"

namespace thoth::chroma {

namespace {

using nlohmann::json;

// Parses without exceptions.
StatusOr<json> ParseJson(std::string_view body) {
  if (body.empty()) return Status::Error("empty body");
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Error("not JSON: \"" + Snippet(body) + "\"");
  return j;
}

std::string TypeName(const json& j) { return j.is_null() ? "null" : std::string(j.type_name()); }

// An integer in [min, max]: JSON integers, or floats with an integral value (some servers
// serialise counts through floats).
std::optional<std::int64_t> AsInteger(const json& j, std::int64_t min, std::int64_t max) {
  if (j.is_number_unsigned()) {
    auto v = j.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(max)) return std::nullopt;
    auto s = static_cast<std::int64_t>(v);
    return s >= min ? std::optional(s) : std::nullopt;
  }
  if (j.is_number_integer()) {
    auto v = j.get<std::int64_t>();
    return v >= min && v <= max ? std::optional(v) : std::nullopt;
  }
  if (j.is_number_float()) {
    double d = j.get<double>();
    // 2^53: beyond it a double no longer holds every integer; and the comparison is NaN-safe.
    if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max) &&
          d <= 9007199254740992.0))
      return std::nullopt;
    if (d != std::floor(d)) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

// Dimensions beyond this are not embeddings anyone uses; treat them as garbage.
constexpr std::int64_t kMaxDimension = 1 << 20;

}  // namespace

std::string Snippet(std::string_view text, std::size_t max) {
  std::string out;
  const std::size_t n = std::min(text.size(), max);
  out.reserve(n + 3);
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += c == '"' ? '\'' : '?';
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > max) out += "...";
  return out;
}

std::string DescribeAnswer(int status, std::string_view content_type, std::string_view body) {
  std::string out = "HTTP " + std::to_string(status) + " (";
  out += content_type.empty() ? "no content type" : Snippet(content_type, 60);
  out += ", " + std::to_string(body.size()) + " bytes)";
  if (!body.empty()) out += ": \"" + Snippet(body) + "\"";
  return out;
}

Status ParseHeartbeat(std::string_view body) {
  StatusOr<json> parsed = ParseJson(body);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  if (!j.is_object()) {
    return Status::Error("heartbeat is a JSON " + TypeName(j) + ", not an object");
  }
  auto it = j.find("nanosecond heartbeat");
  if (it == j.end() || !it->is_number()) {
    return Status::Error("heartbeat without a \"nanosecond heartbeat\" number");
  }
  return Status::Ok();
}

StatusOr<std::string> ParseVersion(std::string_view body) {
  StatusOr<json> parsed = ParseJson(body);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  if (!j.is_string()) return Status::Error("version is a JSON " + TypeName(j) + ", not a string");
  const auto& s = j.get_ref<const std::string&>();
  if (s.empty() || s.size() > 64) {
    return Status::Error("version string of " + std::to_string(s.size()) + " bytes");
  }
  for (unsigned char c : s) {
    if (c < 0x21 || c >= 0x7f) return Status::Error("version string with unprintable characters");
  }
  return s;
}

Status ParseCollectionsPage(std::string_view body, std::vector<CollectionInfo>* out) {
  if (body.empty()) return Status::Error("empty body");
  // A 1.x collection carries ~1.4 KB of schema and configuration that the exporter never
  // reads; dropping those members while parsing keeps a 1,000-collection page cheap. Only the
  // members of the array's objects (depth 2) are filtered; a top-level error object keeps its.
  json::parser_callback_t keep = [](int depth, json::parse_event_t event, json& parsed) {
    if (event != json::parse_event_t::key || depth != 2) return true;
    const auto& key = parsed.get_ref<const std::string&>();
    return key == "id" || key == "name" || key == "dimension";
  };
  json j = json::parse(body.begin(), body.end(), keep, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Error("not JSON: \"" + Snippet(body) + "\"");
  if (!j.is_array()) {
    std::string error = "collection list is a JSON " + TypeName(j) + ", not an array";
    if (j.is_object()) {
      // Chroma's error shape: {"error": "...", "message": "..."}; FastAPI's: {"detail": ...}.
      for (const char* key : {"message", "error", "detail"}) {
        auto it = j.find(key);
        if (it != j.end() && it->is_string()) {
          error += ": \"" + Snippet(it->get_ref<const std::string&>()) + "\"";
          break;
        }
      }
    }
    return Status::Error(std::move(error));
  }
  out->reserve(out->size() + j.size());
  std::size_t index = 0;
  for (const auto& item : j) {
    if (!item.is_object()) {
      return Status::Error("collection " + std::to_string(index) + " is a JSON " + TypeName(item));
    }
    auto id = item.find("id");
    auto name = item.find("name");
    if (id == item.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
      return Status::Error("collection " + std::to_string(index) + " has no string id");
    }
    if (name == item.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
      return Status::Error("collection " + std::to_string(index) + " has no string name");
    }
    CollectionInfo info;
    info.id = id->get<std::string>();
    info.name = name->get<std::string>();
    auto dim = item.find("dimension");
    if (dim != item.end()) info.dimension = AsInteger(*dim, 1, kMaxDimension);
    out->push_back(std::move(info));
    ++index;
  }
  return Status::Ok();
}

StatusOr<std::int64_t> ParseCount(std::string_view body) {
  StatusOr<json> parsed = ParseJson(body);
  if (!parsed.ok()) return parsed.status();
  auto v = AsInteger(*parsed, 0, std::numeric_limits<std::int64_t>::max());
  if (!v) return Status::Error("count is not a non-negative integer: \"" + Snippet(body) + "\"");
  return *v;
}

StatusOr<EmbeddingProbe> ParseEmbeddingProbe(std::string_view body) {
  StatusOr<json> parsed = ParseJson(body);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  if (!j.is_object()) {
    return Status::Error("get result is a JSON " + TypeName(j) + ", not an object");
  }
  EmbeddingProbe probe;
  auto it = j.find("embeddings");
  if (it == j.end() || it->is_null()) return probe;  // no embeddings returned: nothing to learn
  if (!it->is_array()) {
    return Status::Error("embeddings is a JSON " + TypeName(*it) + ", not an array");
  }
  if (it->empty() || (*it)[0].is_null()) return probe;
  const json& first = (*it)[0];
  if (!first.is_array()) {
    return Status::Error("first embedding is a JSON " + TypeName(first) + ", not an array");
  }
  if (first.empty() || static_cast<std::int64_t>(first.size()) > kMaxDimension) {
    return Status::Error("first embedding has " + std::to_string(first.size()) + " values");
  }
  for (const auto& v : first) {
    if (!v.is_number()) {
      return Status::Error("first embedding holds a JSON " + TypeName(v) + ", not numbers");
    }
  }
  probe.found = true;
  probe.dimension = static_cast<std::int64_t>(first.size());
  return probe;
}

}  // namespace thoth::chroma

#include "collectors/postgres/dsn.h"

#include <algorithm>
#include <cmath>

#include "libpq-fe.h"

namespace thoth::postgres {

namespace {

bool IsUri(std::string_view dsn) {
  return dsn.rfind("postgresql://", 0) == 0 || dsn.rfind("postgres://", 0) == 0;
}

// Start and length of the password inside a URI's user info, if any.
std::optional<std::pair<size_t, size_t>> UriPasswordSpan(std::string_view dsn) {
  size_t scheme = dsn.find("://");
  if (scheme == std::string_view::npos) return std::nullopt;
  size_t start = scheme + 3;
  // The user info ends at the last '@' before the path, query or end.
  size_t end = dsn.find_first_of("/?", start);
  std::string_view authority =
      dsn.substr(start, end == std::string_view::npos ? dsn.npos : end - start);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  size_t colon = authority.find(':');
  if (colon == std::string_view::npos || colon > at) return std::nullopt;
  return std::make_pair(start + colon + 1, at - colon - 1);
}

// Spans of `password=` values in a key=value string or in a URI query.
std::vector<std::pair<size_t, size_t>> KeywordPasswordSpans(std::string_view dsn) {
  std::vector<std::pair<size_t, size_t>> spans;
  const bool uri = IsUri(dsn);
  size_t pos = 0;
  while ((pos = dsn.find("password", pos)) != std::string_view::npos) {
    size_t after = pos + 8;
    // Must be a whole keyword: preceded by start, space, '?' or '&'.
    const bool starts = pos == 0 || dsn[pos - 1] == ' ' || dsn[pos - 1] == '\t' ||
                        dsn[pos - 1] == '?' || dsn[pos - 1] == '&';
    size_t eq = after;
    while (!uri && eq < dsn.size() && (dsn[eq] == ' ' || dsn[eq] == '\t')) ++eq;
    if (!starts || eq >= dsn.size() || dsn[eq] != '=') {
      pos = after;
      continue;
    }
    size_t v = eq + 1;
    while (!uri && v < dsn.size() && (dsn[v] == ' ' || dsn[v] == '\t')) ++v;
    size_t end = v;
    if (uri) {
      while (end < dsn.size() && dsn[end] != '&') ++end;
    } else if (v < dsn.size() && dsn[v] == '\'') {
      ++v;
      end = v;
      while (end < dsn.size() && dsn[end] != '\'') {
        if (dsn[end] == '\\' && end + 1 < dsn.size()) ++end;
        ++end;
      }
    } else {
      while (end < dsn.size() && dsn[end] != ' ' && dsn[end] != '\t') {
        if (dsn[end] == '\\' && end + 1 < dsn.size()) ++end;
        ++end;
      }
    }
    if (end > dsn.size()) end = dsn.size();
    spans.emplace_back(v, end - v);
    pos = end;
  }
  return spans;
}

}  // namespace

std::vector<std::string> DsnSecrets(std::string_view dsn) {
  std::vector<std::string> out;
  for (auto [start, len] : KeywordPasswordSpans(dsn)) {
    if (len > 0) out.emplace_back(dsn.substr(start, len));
  }
  if (IsUri(dsn)) {
    if (auto span = UriPasswordSpan(dsn); span && span->second > 0) {
      out.emplace_back(dsn.substr(span->first, span->second));
    }
  }
  return out;
}

std::string Scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    size_t pos = 0;
    while ((pos = text.find(secret, pos)) != std::string::npos) {
      text.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return text;
}

StatusOr<ConnParams> ParseDsn(const std::string& dsn) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &err);
  if (options == nullptr) {
    std::string message = err != nullptr ? err : "out of memory";
    if (err != nullptr) PQfreemem(err);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    // libpq may quote the offending part, which can be the password.
    return Status::Error(Scrub(message, DsnSecrets(dsn)));
  }
  ConnParams params;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) params.emplace_back(o->keyword, o->val);
  }
  PQconninfoFree(options);
  return params;
}

std::optional<std::string> ParamValue(const ConnParams& params, std::string_view keyword) {
  for (const auto& [k, v] : params) {
    if (k == keyword) return v;
  }
  return std::nullopt;
}

namespace {

void SetParam(ConnParams& params, const std::string& keyword, std::string value) {
  for (auto& [k, v] : params) {
    if (k == keyword) {
      v = std::move(value);
      return;
    }
  }
  params.emplace_back(keyword, std::move(value));
}

long Millis(double seconds) { return std::lround(seconds * 1000); }

}  // namespace

ConnParams SessionParams(const ConnParams& dsn, const SessionSettings& settings,
                         const std::optional<std::string>& password,
                         const std::optional<std::string>& dbname) {
  ConnParams params = dsn;
  SetParam(params, "application_name", settings.application_name);
  // libpq takes whole seconds and treats values below 2 as 2; the exporter enforces the exact
  // bound itself with the scrape deadline.
  SetParam(
      params, "connect_timeout",
      std::to_string(std::max<long>(2, std::lround(std::ceil(settings.connect_timeout_seconds)))));
  SetParam(params, "client_encoding", "UTF8");
  std::string options = ParamValue(params, "options").value_or("");
  if (!options.empty()) options += ' ';
  options += "-c statement_timeout=" + std::to_string(Millis(settings.statement_timeout_seconds)) +
             " -c lock_timeout=" + std::to_string(Millis(settings.lock_timeout_seconds));
  SetParam(params, "options", options);
  if (password) SetParam(params, "password", *password);
  if (dbname) SetParam(params, "dbname", *dbname);
  return params;
}

}  // namespace thoth::postgres

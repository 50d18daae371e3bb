#include "collectors/chroma/config.h"

#include <set>
#include <string_view>

#include "exporter/config_checks.h"

namespace thoth::chroma {

namespace {

// Tenant and database names go into URL paths (encoded) and labels; Chroma itself allows
// [a-zA-Z0-9._-], but any printable name is accepted here so that a future server is not
// refused by the exporter.
std::string CheckName(const ConfigNode& node, const std::string& value, std::string_view what) {
  if (value.empty()) node.Fail(std::string(what) + " name is empty");
  if (HasControlCharacter(value)) node.Fail(std::string(what) + " name has a control character");
  return value;
}

std::vector<Database> ReadDatabases(const ConfigNode& item) {
  const std::string tenant =
      CheckName(item.Child("tenant"), item.String("tenant", "default_tenant"), "tenant");
  if (item.Has("database") && item.Has("databases")) {
    item.FailKey("databases", "give either database or databases, not both");
  }
  std::vector<Database> out;
  if (!item.Has("databases")) {
    ConfigNode node = item.Child("database");
    out.push_back(
        {tenant, CheckName(node, item.String("database", "default_database"), "database")});
    return out;
  }
  ConfigNode list = item.Child("databases");
  std::vector<std::string> names = list.AsStringList();
  if (names.empty()) list.Fail("lists no database");
  std::set<std::string> seen;
  for (const auto& entry : names) {
    Database db{tenant, entry};
    // "tenant/database" names a database of another tenant.
    if (auto slash = entry.find('/'); slash != std::string::npos) {
      db.tenant = entry.substr(0, slash);
      db.database = entry.substr(slash + 1);
      CheckName(list, db.tenant, "tenant");
    }
    CheckName(list, db.database, "database");
    if (!seen.insert(db.Key()).second) list.Fail("lists " + db.Key() + " twice");
    out.push_back(std::move(db));
  }
  return out;
}

// name, url and token.
void ReadIdentity(const ConfigNode& item, TargetConfig& cfg) {
  cfg.name = RequireTargetName(item);
  cfg.url = item.String("url", cfg.url);
  CheckHttpUrl(item, "url", cfg.url);
  while (cfg.url.size() > 8 && cfg.url.back() == '/') cfg.url.pop_back();

  cfg.token = item.Secret("token");
  if (cfg.token) {
    const char* key = item.Has("token_file") ? "token_file" : "token";
    // The token goes into two request headers: a line break there would inject headers.
    if (cfg.token->empty()) item.FailKey(key, "the token is empty");
    if (HasControlCharacter(*cfg.token)) item.FailKey(key, "the token has a control character");
  }
}

// What is read: the dimension check, the databases, the API version.
void ReadScope(const ConfigNode& item, TargetConfig& cfg) {
  cfg.expected_dimension = item.Integer("expected_dimension", 0);
  if (cfg.expected_dimension < 0 || cfg.expected_dimension > (1 << 20)) {
    item.FailKey("expected_dimension", "must be between 1 and 1048576 (0 or absent: no check)");
  }

  cfg.databases = ReadDatabases(item);

  const std::string api = item.String("api", "auto");
  if (api == "auto") {
    cfg.api = ApiChoice::kAuto;
  } else if (api == "v1") {
    cfg.api = ApiChoice::kV1;
  } else if (api == "v2") {
    cfg.api = ApiChoice::kV2;
  } else {
    item.FailKey("api", "must be auto, v1 or v2");
  }
}

// Timeouts, caching, parallelism and TLS.
void ReadLimits(const ConfigNode& item, TargetConfig& cfg) {
  cfg.connect_timeout_seconds = item.Duration("connect_timeout", cfg.connect_timeout_seconds);
  if (cfg.connect_timeout_seconds <= 0) item.FailKey("connect_timeout", "must be positive");
  cfg.timeout_seconds = item.Duration("timeout", cfg.timeout_seconds);
  if (cfg.timeout_seconds <= 0) item.FailKey("timeout", "must be positive");
  cfg.cache_ttl_seconds = item.Duration("cache_ttl", cfg.cache_ttl_seconds);
  if (cfg.cache_ttl_seconds < 0) item.FailKey("cache_ttl", "must not be negative");

  std::int64_t parallelism = item.Integer("parallelism", cfg.parallelism);
  if (parallelism < 1 || parallelism > 32) item.FailKey("parallelism", "must be between 1 and 32");
  cfg.parallelism = static_cast<int>(parallelism);
  cfg.page_size = item.Integer("page_size", cfg.page_size);
  if (cfg.page_size < 1 || cfg.page_size > 100000) {
    item.FailKey("page_size", "must be between 1 and 100000");
  }

  cfg.ca_file = item.String("ca_file", "");
  cfg.insecure_skip_verify = item.Bool("insecure_skip_verify", false);
}

TargetConfig ReadTarget(const ConfigNode& item) {
  item.ExpectKeys({"name", "url", "token", "token_file", "expected_dimension", "tenant", "database",
                   "databases", "api", "connect_timeout", "timeout", "cache_ttl", "parallelism",
                   "page_size", "ca_file", "insecure_skip_verify"});
  TargetConfig cfg;
  ReadIdentity(item, cfg);
  ReadScope(item, cfg);
  ReadLimits(item, cfg);
  cfg.fingerprint = item.Fingerprint();
  return cfg;
}

}  // namespace

Status ParseConfig(const ConfigNode& section, std::vector<TargetConfig>* out) {
  return ParseTargetList(section, ReadTarget, out);
}

}  // namespace thoth::chroma

#include "collectors/chroma/chroma_api.h"

#include "exporter/http_client.h"

namespace thoth::chroma {

namespace {

std::string V2DatabasePath(const Database& db) {
  return "/api/v2/tenants/" + UrlEncode(db.tenant) + "/databases/" + UrlEncode(db.database);
}

std::string V1DatabaseQuery(const Database& db) {
  return "tenant=" + UrlEncode(db.tenant) + "&database=" + UrlEncode(db.database);
}

}  // namespace

const char* ApiName(Api api) { return api == Api::kV1 ? "v1" : "v2"; }

std::string HeartbeatPath(Api api) {
  return api == Api::kV1 ? "/api/v1/heartbeat" : "/api/v2/heartbeat";
}

std::string VersionPath(Api api) { return api == Api::kV1 ? "/api/v1/version" : "/api/v2/version"; }

std::string ListCollectionsPath(Api api, const Database& db, std::int64_t limit,
                                std::int64_t offset) {
  const std::string page = "limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset);
  if (api == Api::kV1) return "/api/v1/collections?" + V1DatabaseQuery(db) + "&" + page;
  return V2DatabasePath(db) + "/collections?" + page;
}

std::string CountCollectionsPath(Api api, const Database& db) {
  if (api == Api::kV1) return "/api/v1/count_collections?" + V1DatabaseQuery(db);
  return V2DatabasePath(db) + "/collections_count";
}

std::string DatabasePath(const Database& db) { return V2DatabasePath(db); }

std::string CountRecordsPath(Api api, const Database& db, const std::string& collection_id) {
  if (api == Api::kV1) return "/api/v1/collections/" + UrlEncode(collection_id) + "/count";
  return V2DatabasePath(db) + "/collections/" + UrlEncode(collection_id) + "/count";
}

std::string GetRecordsPath(Api api, const Database& db, const std::string& collection_id) {
  if (api == Api::kV1) return "/api/v1/collections/" + UrlEncode(collection_id) + "/get";
  return V2DatabasePath(db) + "/collections/" + UrlEncode(collection_id) + "/get";
}

const std::string& EmbeddingProbeBody() {
  static const std::string kBody = R"({"limit":1,"include":["embeddings"]})";
  return kBody;
}

}  // namespace thoth::chroma

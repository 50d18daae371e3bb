#pragma once

// The paths of the two Chroma HTTP APIs the exporter speaks. Pure; every name from the
// configuration or from the server (tenant, database, collection id) is percent-encoded, so a
// hostile id cannot reach another path.

#include <cstdint>
#include <string>

#include "collectors/chroma/config.h"

namespace thoth::chroma {

// v1: Chroma 0.4 and 0.5 (/api/v1, tenant and database as query parameters).
// v2: Chroma 0.5.16+, 0.6 and 1.x (/api/v2/tenants/{tenant}/databases/{database}/...).
enum class Api { kV1, kV2 };

const char* ApiName(Api api);  // "v1" | "v2"

std::string HeartbeatPath(Api api);
std::string VersionPath(Api api);
std::string ListCollectionsPath(Api api, const Database& db, std::int64_t limit,
                                std::int64_t offset);
std::string CountCollectionsPath(Api api, const Database& db);
// v2 only: the database itself (404 when it does not exist; its collection listing would be
// an empty 200).
std::string DatabasePath(const Database& db);
std::string CountRecordsPath(Api api, const Database& db, const std::string& collection_id);
// POST target of a `get` (records of a collection).
std::string GetRecordsPath(Api api, const Database& db, const std::string& collection_id);

// Body of the POST that fetches one record's embedding, to learn a collection's dimension.
const std::string& EmbeddingProbeBody();

}  // namespace thoth::chroma

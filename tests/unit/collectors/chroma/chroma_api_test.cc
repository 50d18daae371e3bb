#include "collectors/chroma/chroma_api.h"

#include <gtest/gtest.h>

namespace thoth::chroma {
namespace {

const Database kDefault{"default_tenant", "default_database"};

TEST(ChromaApiTest, V2Paths) {
  EXPECT_EQ(HeartbeatPath(Api::kV2), "/api/v2/heartbeat");
  EXPECT_EQ(VersionPath(Api::kV2), "/api/v2/version");
  EXPECT_EQ(ListCollectionsPath(Api::kV2, kDefault, 1000, 2000),
            "/api/v2/tenants/default_tenant/databases/default_database/collections"
            "?limit=1000&offset=2000");
  EXPECT_EQ(CountCollectionsPath(Api::kV2, kDefault),
            "/api/v2/tenants/default_tenant/databases/default_database/collections_count");
  EXPECT_EQ(CountRecordsPath(Api::kV2, kDefault, "88337e9e-4f13-416c-b411-619ec6a84570"),
            "/api/v2/tenants/default_tenant/databases/default_database/collections/"
            "88337e9e-4f13-416c-b411-619ec6a84570/count");
  EXPECT_EQ(DatabasePath(kDefault), "/api/v2/tenants/default_tenant/databases/default_database");
  EXPECT_EQ(GetRecordsPath(Api::kV2, kDefault, "x"),
            "/api/v2/tenants/default_tenant/databases/default_database/collections/x/get");
}

TEST(ChromaApiTest, V1Paths) {
  EXPECT_EQ(HeartbeatPath(Api::kV1), "/api/v1/heartbeat");
  EXPECT_EQ(VersionPath(Api::kV1), "/api/v1/version");
  EXPECT_EQ(ListCollectionsPath(Api::kV1, kDefault, 10, 0),
            "/api/v1/collections?tenant=default_tenant&database=default_database"
            "&limit=10&offset=0");
  EXPECT_EQ(CountCollectionsPath(Api::kV1, kDefault),
            "/api/v1/count_collections?tenant=default_tenant&database=default_database");
  EXPECT_EQ(CountRecordsPath(Api::kV1, kDefault, "abc"), "/api/v1/collections/abc/count");
  EXPECT_EQ(GetRecordsPath(Api::kV1, kDefault, "abc"), "/api/v1/collections/abc/get");
}

TEST(ChromaApiTest, NamesAndIdsFromAnywhereAreEncoded) {
  // A hostile id from a listing must not walk to another path or add a query.
  EXPECT_EQ(CountRecordsPath(Api::kV1, kDefault, "../../reset?x=1"),
            "/api/v1/collections/..%2F..%2Freset%3Fx%3D1/count");
  EXPECT_EQ(CountCollectionsPath(Api::kV2, {"a b", "c/d"}),
            "/api/v2/tenants/a%20b/databases/c%2Fd/collections_count");
  EXPECT_EQ(CountCollectionsPath(Api::kV1, {"t&x=1", "d"}),
            "/api/v1/count_collections?tenant=t%26x%3D1&database=d");
}

TEST(ChromaApiTest, ProbeAsksForOneEmbedding) {
  EXPECT_EQ(EmbeddingProbeBody(), R"({"limit":1,"include":["embeddings"]})");
  EXPECT_STREQ(ApiName(Api::kV1), "v1");
  EXPECT_STREQ(ApiName(Api::kV2), "v2");
}

}  // namespace
}  // namespace thoth::chroma

#include "collectors/chroma/chroma_json.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/test_fixtures.h"

namespace thoth::chroma {
namespace {

TEST(ChromaJsonTest, HeartbeatOfEveryVersion) {
  std::string error;
  EXPECT_TRUE(ParseHeartbeat(Fixture("chroma/v2_1.0.0/heartbeat.json"), &error)) << error;
  EXPECT_TRUE(ParseHeartbeat(Fixture("chroma/v1_0.4.24/heartbeat.json"), &error)) << error;
  EXPECT_TRUE(ParseHeartbeat(Fixture("chroma/v1_0.5.5/heartbeat.json"), &error)) << error;
}

TEST(ChromaJsonTest, HeartbeatRejectsWhatIsNotOne) {
  std::string error;
  EXPECT_FALSE(ParseHeartbeat(Fixture("chroma/v2_1.0.0/v1_heartbeat_410.json"), &error));
  EXPECT_NE(error.find("nanosecond heartbeat"), std::string::npos) << error;
  EXPECT_FALSE(ParseHeartbeat(Fixture("chroma/hostile/bad_gateway.html"), &error));
  EXPECT_NE(error.find("not JSON"), std::string::npos) << error;
  EXPECT_NE(error.find("<html>"), std::string::npos) << error;
  EXPECT_FALSE(ParseHeartbeat("", &error));
  EXPECT_EQ(error, "empty body");
  EXPECT_FALSE(ParseHeartbeat("[1]", &error));
  EXPECT_FALSE(ParseHeartbeat(R"({"nanosecond heartbeat":"soon"})", &error));
  EXPECT_FALSE(ParseHeartbeat(R"({"nanosecond heartbeat":17)", &error));
}

TEST(ChromaJsonTest, Version) {
  std::string error;
  EXPECT_EQ(ParseVersion(Fixture("chroma/v2_1.0.0/version.json"), &error), "1.0.0");
  EXPECT_EQ(ParseVersion(Fixture("chroma/v1_0.4.24/version.json"), &error), "0.4.24");
  EXPECT_EQ(ParseVersion(Fixture("chroma/v1_0.5.5/version.json"), &error), "0.5.5");
  EXPECT_FALSE(ParseVersion("1.0.0", &error));  // not a JSON string
  EXPECT_FALSE(ParseVersion(R"("")", &error));
  EXPECT_FALSE(ParseVersion("\"" + std::string(100, 'x') + "\"", &error));
  EXPECT_FALSE(ParseVersion(R"("1.0\n0")", &error));
  EXPECT_FALSE(ParseVersion(R"("1.0 beta")", &error));
  EXPECT_FALSE(ParseVersion(R"({"version":"1"})", &error));
}

TEST(ChromaJsonTest, CollectionsOfChroma1) {
  std::vector<CollectionInfo> got;
  std::string error;
  ASSERT_TRUE(ParseCollectionsPage(Fixture("chroma/v2_1.0.0/collections.json"), &got, &error))
      << error;
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, "88337e9e-4f13-416c-b411-619ec6a84570");
  EXPECT_EQ(got[0].name, "alpha");
  EXPECT_EQ(got[0].dimension, 3);
  EXPECT_EQ(got[1].name, "beta");
  EXPECT_FALSE(got[1].dimension);  // null: empty collection
}

TEST(ChromaJsonTest, CollectionsOfChroma04HaveNoDimension) {
  std::vector<CollectionInfo> got;
  std::string error;
  ASSERT_TRUE(ParseCollectionsPage(Fixture("chroma/v1_0.4.24/collections.json"), &got, &error))
      << error;
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].name, "memories");
  EXPECT_EQ(got[0].id, "3c1ae0b2-6d1f-4b8e-9a57-2f0e1c9d4a11");
  for (const auto& c : got) EXPECT_FALSE(c.dimension) << c.name;
}

TEST(ChromaJsonTest, CollectionsOfChroma05) {
  std::vector<CollectionInfo> got;
  std::string error;
  ASSERT_TRUE(ParseCollectionsPage(Fixture("chroma/v1_0.5.5/collections.json"), &got, &error))
      << error;
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].dimension, 1536);
  EXPECT_EQ(got[1].dimension, 384);
  EXPECT_FALSE(got[2].dimension);
}

TEST(ChromaJsonTest, CollectionsAppendToWhatIsThere) {
  std::vector<CollectionInfo> got = {{"x", "y", std::nullopt}};
  std::string error;
  ASSERT_TRUE(ParseCollectionsPage("[]", &got, &error));
  ASSERT_TRUE(ParseCollectionsPage(R"([{"id":"a","name":"b"}])", &got, &error));
  EXPECT_EQ(got.size(), 2u);
}

TEST(ChromaJsonTest, CollectionsRejectHostileShapes) {
  std::string error;
  std::vector<CollectionInfo> got;
  EXPECT_FALSE(
      ParseCollectionsPage(Fixture("chroma/hostile/truncated_collections.json"), &got, &error));
  EXPECT_NE(error.find("not JSON"), std::string::npos) << error;
  EXPECT_FALSE(ParseCollectionsPage(Fixture("chroma/hostile/wrong_types.json"), &got, &error));
  EXPECT_NE(error.find("no string id"), std::string::npos) << error;
  EXPECT_FALSE(ParseCollectionsPage(Fixture("chroma/hostile/login_page.html"), &got, &error));
  EXPECT_FALSE(ParseCollectionsPage(Fixture("chroma/hostile/internal_error.json"), &got, &error));
  EXPECT_NE(error.find("database is locked"), std::string::npos) << error;
  EXPECT_FALSE(ParseCollectionsPage(Fixture("chroma/v1_0.4.24/not_found.json"), &got, &error));
  EXPECT_NE(error.find("Not Found"), std::string::npos) << error;
  EXPECT_FALSE(ParseCollectionsPage("", &got, &error));
  EXPECT_FALSE(ParseCollectionsPage("null", &got, &error));
  EXPECT_FALSE(ParseCollectionsPage("[1,2]", &got, &error));
  EXPECT_FALSE(ParseCollectionsPage(R"([{"id":"a"}])", &got, &error));
  EXPECT_FALSE(ParseCollectionsPage(R"([{"id":"","name":"x"}])", &got, &error));
  EXPECT_FALSE(ParseCollectionsPage(R"([{"id":"a","name":null}])", &got, &error));
  EXPECT_FALSE(ParseCollectionsPage("[{\"id\":\"a\",\"name\":\"\xff\xfe\"}]", &got, &error));
  EXPECT_TRUE(got.empty());
}

TEST(ChromaJsonTest, UnusableDimensionIsTreatedAsAbsent) {
  std::vector<CollectionInfo> got;
  std::string error;
  ASSERT_TRUE(ParseCollectionsPage(
      R"([{"id":"1","name":"a","dimension":-3},{"id":"2","name":"b","dimension":"1536"},
          {"id":"3","name":"c","dimension":1e300},{"id":"4","name":"d","dimension":384.0},
          {"id":"5","name":"e","dimension":3.5},{"id":"6","name":"f","dimension":0},
          {"id":"7","name":"g","dimension":18446744073709551615}])",
      &got, &error))
      << error;
  ASSERT_EQ(got.size(), 7u);
  EXPECT_FALSE(got[0].dimension);
  EXPECT_FALSE(got[1].dimension);
  EXPECT_FALSE(got[2].dimension);
  EXPECT_EQ(got[3].dimension, 384);
  EXPECT_FALSE(got[4].dimension);
  EXPECT_FALSE(got[5].dimension);
  EXPECT_FALSE(got[6].dimension);
}

TEST(ChromaJsonTest, DeeplyNestedInputNeitherCrashesNorParses) {
  // Half a million open brackets: a recursive parser or destructor would overflow the stack.
  const std::string deep(500000, '[');
  std::string error;
  std::vector<CollectionInfo> got;
  EXPECT_FALSE(ParseCollectionsPage(deep, &got, &error));
  EXPECT_FALSE(ParseHeartbeat(deep, &error));
  EXPECT_FALSE(ParseCount(deep, &error));
  const std::string closed = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_FALSE(ParseCollectionsPage(
      "[{\"id\":\"a\",\"name\":\"b\",\"x\":" + closed + "}," + closed + "]", &got, &error));
  EXPECT_FALSE(ParseEmbeddingProbe(R"({"embeddings":)" + closed + "}", &error).ok);
}

TEST(ChromaJsonTest, Counts) {
  std::string error;
  EXPECT_EQ(ParseCount(Fixture("chroma/v2_1.0.0/count.json"), &error), 2);
  EXPECT_EQ(ParseCount(Fixture("chroma/v2_1.0.0/collections_count.json"), &error), 2);
  EXPECT_EQ(ParseCount(Fixture("chroma/v1_0.5.5/count_memories.json"), &error), 2000017);
  EXPECT_EQ(ParseCount("0", &error), 0);
  EXPECT_EQ(ParseCount("12.0", &error), 12);
  EXPECT_EQ(ParseCount(" 7 \n", &error), 7);
  EXPECT_FALSE(ParseCount("-1", &error));
  EXPECT_FALSE(ParseCount("1.5", &error));
  EXPECT_FALSE(ParseCount("1e400", &error));
  EXPECT_FALSE(ParseCount("18446744073709551615", &error));
  EXPECT_FALSE(ParseCount("\"12\"", &error));
  EXPECT_FALSE(ParseCount("NaN", &error));
  EXPECT_FALSE(ParseCount("12 13", &error));
  EXPECT_FALSE(ParseCount(Fixture("chroma/v2_1.0.0/count_404.json"), &error));
  EXPECT_NE(error.find("not a non-negative integer"), std::string::npos) << error;
}

TEST(ChromaJsonTest, EmbeddingProbe) {
  std::string error;
  EmbeddingProbe p = ParseEmbeddingProbe(Fixture("chroma/v2_1.0.0/get_embeddings.json"), &error);
  EXPECT_TRUE(p.ok && p.found) << error;
  EXPECT_EQ(p.dimension, 3);
  p = ParseEmbeddingProbe(Fixture("chroma/v1_0.4.24/get_memories.json"), &error);
  EXPECT_TRUE(p.ok && p.found) << error;
  EXPECT_EQ(p.dimension, 8);
  p = ParseEmbeddingProbe(Fixture("chroma/v2_1.0.0/get_embeddings_empty.json"), &error);
  EXPECT_TRUE(p.ok);
  EXPECT_FALSE(p.found);
  p = ParseEmbeddingProbe(R"({"ids":["a"],"embeddings":null})", &error);
  EXPECT_TRUE(p.ok);
  EXPECT_FALSE(p.found);
  p = ParseEmbeddingProbe(R"({"ids":["a"]})", &error);
  EXPECT_TRUE(p.ok);
  EXPECT_FALSE(p.found);

  EXPECT_FALSE(ParseEmbeddingProbe(R"({"embeddings":[[]]})", &error).ok);
  EXPECT_FALSE(ParseEmbeddingProbe(R"({"embeddings":["AAAA"]})", &error).ok);
  EXPECT_FALSE(ParseEmbeddingProbe(R"({"embeddings":[[1,"2",3]]})", &error).ok);
  EXPECT_FALSE(ParseEmbeddingProbe(R"({"embeddings":[[[1,2]]]})", &error).ok);
  EXPECT_FALSE(ParseEmbeddingProbe(R"({"embeddings":{"0":[1]}})", &error).ok);
  EXPECT_FALSE(ParseEmbeddingProbe(R"([[1,2]])", &error).ok);
  EXPECT_FALSE(ParseEmbeddingProbe(Fixture("chroma/hostile/bad_gateway.html"), &error).ok);
}

TEST(ChromaJsonTest, DescribeAnswerQuotesSafely) {
  const std::string d =
      DescribeAnswer(502, "text/html", "<html>\n<head><title>502\x01 Bad \"Gateway\"</title>");
  EXPECT_EQ(d.rfind("HTTP 502 (text/html, ", 0), 0u) << d;
  EXPECT_EQ(d.find('\n'), std::string::npos) << d;
  EXPECT_EQ(d.find('\x01'), std::string::npos) << d;
  EXPECT_NE(d.find("<html> <head><title>502? Bad 'Gateway'"), std::string::npos) << d;
  EXPECT_EQ(DescribeAnswer(500, "", ""), "HTTP 500 (no content type, 0 bytes)");
  const std::string long_body(1000, 'x');
  EXPECT_LT(DescribeAnswer(500, "text/plain", long_body).size(), 200u);
  EXPECT_EQ(Snippet("abc\xc3\xa9", 10), "abc??");
  EXPECT_EQ(Snippet("abcdef", 3), "abc...");
}

}  // namespace
}  // namespace thoth::chroma

#include "collectors/chroma/chroma_json.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/test_fixtures.h"

namespace thoth::chroma {
namespace {

TEST(ChromaJsonTest, HeartbeatOfEveryVersion) {
  Status s = ParseHeartbeat(Fixture("chroma/v2_1.0.0/heartbeat.json"));
  EXPECT_TRUE(s.ok()) << s.message();
  s = ParseHeartbeat(Fixture("chroma/v1_0.4.24/heartbeat.json"));
  EXPECT_TRUE(s.ok()) << s.message();
  s = ParseHeartbeat(Fixture("chroma/v1_0.5.5/heartbeat.json"));
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST(ChromaJsonTest, HeartbeatRejectsWhatIsNotOne) {
  Status s = ParseHeartbeat(Fixture("chroma/v2_1.0.0/v1_heartbeat_410.json"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nanosecond heartbeat"), std::string::npos) << s.message();
  s = ParseHeartbeat(Fixture("chroma/hostile/bad_gateway.html"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not JSON"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("<html>"), std::string::npos) << s.message();
  s = ParseHeartbeat("");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "empty body");
  EXPECT_FALSE(ParseHeartbeat("[1]").ok());
  EXPECT_FALSE(ParseHeartbeat(R"({"nanosecond heartbeat":"soon"})").ok());
  EXPECT_FALSE(ParseHeartbeat(R"({"nanosecond heartbeat":17)").ok());
}

// The value, or nullopt on an error: comparable with EXPECT_EQ.
template <typename T>
std::optional<T> ValueOf(const StatusOr<T>& r) {
  if (!r.ok()) return std::nullopt;
  return *r;
}

TEST(ChromaJsonTest, Version) {
  EXPECT_EQ(ValueOf(ParseVersion(Fixture("chroma/v2_1.0.0/version.json"))), "1.0.0");
  EXPECT_EQ(ValueOf(ParseVersion(Fixture("chroma/v1_0.4.24/version.json"))), "0.4.24");
  EXPECT_EQ(ValueOf(ParseVersion(Fixture("chroma/v1_0.5.5/version.json"))), "0.5.5");
  EXPECT_FALSE(ParseVersion("1.0.0").ok());  // not a JSON string
  EXPECT_FALSE(ParseVersion(R"("")").ok());
  EXPECT_FALSE(ParseVersion("\"" + std::string(100, 'x') + "\"").ok());
  EXPECT_FALSE(ParseVersion(R"("1.0\n0")").ok());
  EXPECT_FALSE(ParseVersion(R"("1.0 beta")").ok());
  EXPECT_FALSE(ParseVersion(R"({"version":"1"})").ok());
}

TEST(ChromaJsonTest, CollectionsOfChroma1) {
  std::vector<CollectionInfo> got;
  Status s = ParseCollectionsPage(Fixture("chroma/v2_1.0.0/collections.json"), &got);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, "88337e9e-4f13-416c-b411-619ec6a84570");
  EXPECT_EQ(got[0].name, "alpha");
  EXPECT_EQ(got[0].dimension, 3);
  EXPECT_EQ(got[1].name, "beta");
  EXPECT_FALSE(got[1].dimension);  // null: empty collection
}

TEST(ChromaJsonTest, CollectionsOfChroma04HaveNoDimension) {
  std::vector<CollectionInfo> got;
  Status s = ParseCollectionsPage(Fixture("chroma/v1_0.4.24/collections.json"), &got);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].name, "memories");
  EXPECT_EQ(got[0].id, "3c1ae0b2-6d1f-4b8e-9a57-2f0e1c9d4a11");
  for (const auto& c : got) EXPECT_FALSE(c.dimension) << c.name;
}

TEST(ChromaJsonTest, CollectionsOfChroma05) {
  std::vector<CollectionInfo> got;
  Status s = ParseCollectionsPage(Fixture("chroma/v1_0.5.5/collections.json"), &got);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].dimension, 1536);
  EXPECT_EQ(got[1].dimension, 384);
  EXPECT_FALSE(got[2].dimension);
}

TEST(ChromaJsonTest, CollectionsAppendToWhatIsThere) {
  std::vector<CollectionInfo> got = {{"x", "y", std::nullopt}};
  ASSERT_TRUE(ParseCollectionsPage("[]", &got).ok());
  ASSERT_TRUE(ParseCollectionsPage(R"([{"id":"a","name":"b"}])", &got).ok());
  EXPECT_EQ(got.size(), 2u);
}

TEST(ChromaJsonTest, CollectionsRejectHostileShapes) {
  std::vector<CollectionInfo> got;
  Status s = ParseCollectionsPage(Fixture("chroma/hostile/truncated_collections.json"), &got);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not JSON"), std::string::npos) << s.message();
  s = ParseCollectionsPage(Fixture("chroma/hostile/wrong_types.json"), &got);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no string id"), std::string::npos) << s.message();
  EXPECT_FALSE(ParseCollectionsPage(Fixture("chroma/hostile/login_page.html"), &got).ok());
  s = ParseCollectionsPage(Fixture("chroma/hostile/internal_error.json"), &got);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("database is locked"), std::string::npos) << s.message();
  s = ParseCollectionsPage(Fixture("chroma/v1_0.4.24/not_found.json"), &got);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Not Found"), std::string::npos) << s.message();
  EXPECT_FALSE(ParseCollectionsPage("", &got).ok());
  EXPECT_FALSE(ParseCollectionsPage("null", &got).ok());
  EXPECT_FALSE(ParseCollectionsPage("[1,2]", &got).ok());
  EXPECT_FALSE(ParseCollectionsPage(R"([{"id":"a"}])", &got).ok());
  EXPECT_FALSE(ParseCollectionsPage(R"([{"id":"","name":"x"}])", &got).ok());
  EXPECT_FALSE(ParseCollectionsPage(R"([{"id":"a","name":null}])", &got).ok());
  EXPECT_FALSE(ParseCollectionsPage("[{\"id\":\"a\",\"name\":\"\xff\xfe\"}]", &got).ok());
  EXPECT_TRUE(got.empty());
}

TEST(ChromaJsonTest, UnusableDimensionIsTreatedAsAbsent) {
  std::vector<CollectionInfo> got;
  Status s = ParseCollectionsPage(
      R"([{"id":"1","name":"a","dimension":-3},{"id":"2","name":"b","dimension":"1536"},
          {"id":"3","name":"c","dimension":1e300},{"id":"4","name":"d","dimension":384.0},
          {"id":"5","name":"e","dimension":3.5},{"id":"6","name":"f","dimension":0},
          {"id":"7","name":"g","dimension":18446744073709551615}])",
      &got);
  ASSERT_TRUE(s.ok()) << s.message();
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
  std::vector<CollectionInfo> got;
  EXPECT_FALSE(ParseCollectionsPage(deep, &got).ok());
  EXPECT_FALSE(ParseHeartbeat(deep).ok());
  EXPECT_FALSE(ParseCount(deep).ok());
  const std::string closed = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_FALSE(ParseCollectionsPage(
                   "[{\"id\":\"a\",\"name\":\"b\",\"x\":" + closed + "}," + closed + "]", &got)
                   .ok());
  EXPECT_FALSE(ParseEmbeddingProbe(R"({"embeddings":)" + closed + "}").ok());
}

TEST(ChromaJsonTest, Counts) {
  EXPECT_EQ(ValueOf(ParseCount(Fixture("chroma/v2_1.0.0/count.json"))), 2);
  EXPECT_EQ(ValueOf(ParseCount(Fixture("chroma/v2_1.0.0/collections_count.json"))), 2);
  EXPECT_EQ(ValueOf(ParseCount(Fixture("chroma/v1_0.5.5/count_memories.json"))), 2000017);
  EXPECT_EQ(ValueOf(ParseCount("0")), 0);
  EXPECT_EQ(ValueOf(ParseCount("12.0")), 12);
  EXPECT_EQ(ValueOf(ParseCount(" 7 \n")), 7);
  EXPECT_FALSE(ParseCount("-1").ok());
  EXPECT_FALSE(ParseCount("1.5").ok());
  EXPECT_FALSE(ParseCount("1e400").ok());
  EXPECT_FALSE(ParseCount("18446744073709551615").ok());
  EXPECT_FALSE(ParseCount("\"12\"").ok());
  EXPECT_FALSE(ParseCount("NaN").ok());
  EXPECT_FALSE(ParseCount("12 13").ok());
  StatusOr<std::int64_t> n = ParseCount(Fixture("chroma/v2_1.0.0/count_404.json"));
  EXPECT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("not a non-negative integer"), std::string::npos)
      << n.status().message();
}

TEST(ChromaJsonTest, EmbeddingProbe) {
  StatusOr<EmbeddingProbe> p = ParseEmbeddingProbe(Fixture("chroma/v2_1.0.0/get_embeddings.json"));
  ASSERT_TRUE(p.ok() && p->found) << p.status().message();
  EXPECT_EQ(p->dimension, 3);
  p = ParseEmbeddingProbe(Fixture("chroma/v1_0.4.24/get_memories.json"));
  ASSERT_TRUE(p.ok() && p->found) << p.status().message();
  EXPECT_EQ(p->dimension, 8);
  p = ParseEmbeddingProbe(Fixture("chroma/v2_1.0.0/get_embeddings_empty.json"));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->found);
  p = ParseEmbeddingProbe(R"({"ids":["a"],"embeddings":null})");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->found);
  p = ParseEmbeddingProbe(R"({"ids":["a"]})");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->found);

  EXPECT_FALSE(ParseEmbeddingProbe(R"({"embeddings":[[]]})").ok());
  EXPECT_FALSE(ParseEmbeddingProbe(R"({"embeddings":["AAAA"]})").ok());
  EXPECT_FALSE(ParseEmbeddingProbe(R"({"embeddings":[[1,"2",3]]})").ok());
  EXPECT_FALSE(ParseEmbeddingProbe(R"({"embeddings":[[[1,2]]]})").ok());
  EXPECT_FALSE(ParseEmbeddingProbe(R"({"embeddings":{"0":[1]}})").ok());
  EXPECT_FALSE(ParseEmbeddingProbe(R"([[1,2]])").ok());
  EXPECT_FALSE(ParseEmbeddingProbe(Fixture("chroma/hostile/bad_gateway.html")).ok());
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

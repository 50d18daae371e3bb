#include "collectors/logs/docker_json_line.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "collectors/logs/docker_source.h"
#include "collectors/logs/log_source.h"
#include "collectors/logs/logs_collector.h"
#include "collectors/logs/state_file.h"
#include "exporter/memory_errors.h"
#include "exporter/registry.h"

namespace thoth::logs {
namespace {

struct Recorder : LineHandler {
  void OnLine(std::string_view line) override { lines.emplace_back(line); }
  void OnOverlongLine() override { ++overlong; }
  void OnRotation() override { ++rotations; }
  void OnTruncation() override { ++truncations; }
  void Flush() override {}
  std::vector<std::string> lines;
  int overlong = 0, rotations = 0, truncations = 0;
};

TEST(DockerJsonDecoder, DecodesLogAndStream) {
  DockerJsonDecoder d(1024);
  DockerJsonRecord r;
  ASSERT_TRUE(d.Decode(
      R"({"log":"ERROR MEM-001 timeout\n","stream":"stderr","time":"2026-12-07T10:00:00.0Z"})",
      &r));
  EXPECT_EQ(r.log, "ERROR MEM-001 timeout\n");
  EXPECT_EQ(r.stream, "stderr");
  EXPECT_FALSE(d.truncated());
}

TEST(DockerJsonDecoder, Escapes) {
  DockerJsonDecoder d(1024);
  DockerJsonRecord r;
  ASSERT_TRUE(d.Decode(
      R"({"stream":"stdout","log":"a\"b\\c\/d\te\u00e9\u20ac\ud83d\ude00\u0000x\n"})", &r));
  EXPECT_EQ(r.log, std::string("a\"b\\c/d\te\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 18) +
                       std::string(1, '\0') + "x\n");
  // A lone surrogate becomes U+FFFD; unknown fields of any type are skipped.
  ASSERT_TRUE(d.Decode(R"({"attrs":{"a":[1,2.5e3,true,null,"x"]},"log":"\ud800z"})", &r));
  EXPECT_EQ(r.log, "\xef\xbf\xbdz");
}

TEST(DockerJsonDecoder, RefusesWhatIsNotARecord) {
  DockerJsonDecoder d(1024);
  DockerJsonRecord r;
  for (const char* bad :
       {"", "plain text MEM-001", "{", "{}", R"({"log":1})", R"({"log":"x)",
        R"({"log":"x"} trailing)", R"({"log":"\q"})", R"({"log":"\u12"})", R"({"stream":"stdout"})",
        "{\"log\":\"a\x01\"}", R"(["log","x"])", R"({"log":"x",})"}) {
    EXPECT_FALSE(d.Decode(bad, &r)) << bad;
  }
}

TEST(DockerJsonDecoder, InvalidUtf8PassesThroughAsBytes) {
  DockerJsonDecoder d(1024);
  DockerJsonRecord r;
  ASSERT_TRUE(d.Decode("{\"log\":\"\xff\xfe MEM-002\\n\"}", &r));
  EXPECT_EQ(r.log, "\xff\xfe MEM-002\n");
}

TEST(DockerJsonDecoder, HugeLogIsCutAtTheBound) {
  DockerJsonDecoder d(1000);
  DockerJsonRecord r;
  std::string line = "{\"log\":\"" + std::string(10 << 20, 'a') + "\\n\",\"stream\":\"stdout\"}";
  ASSERT_TRUE(d.Decode(line, &r));
  EXPECT_TRUE(d.truncated());
  EXPECT_EQ(r.log.size(), 1000u);
}

TEST(DockerJsonHandler, JoinsPartialRecordsAndSkipsOverlongOnes) {
  Recorder rec;
  DockerJsonHandler h(&rec, 10);
  h.OnLine(R"({"log":"MEM-","stream":"stdout"})");
  h.OnLine(R"({"log":"001\n","stream":"stdout"})");
  h.OnLine(R"({"log":"second\n"})");
  h.OnLine(R"({"log":"\n"})");
  h.OnLine(R"({"log":"0123456789"})");
  h.OnLine(R"({"log":"0\n"})");  // 11 bytes joined: overlong
  h.OnLine(R"({"log":"after\n"})");
  h.OnLine("x MEM-003");  // a foreign line still counts as itself
  EXPECT_EQ(rec.lines, (std::vector<std::string>{"MEM-001", "second", "", "after", "x MEM-003"}));
  EXPECT_EQ(rec.overlong, 1);
  EXPECT_EQ(h.malformed(), 1u);
}

// Found by the fuzz target: a line that is not a record was handed on past the line bound.
TEST(DockerJsonHandler, ForeignLineLongerThanTheBoundIsOverlong) {
  Recorder rec;
  DockerJsonHandler h(&rec, 10);
  h.OnLine("not json, and longer than ten bytes");
  EXPECT_TRUE(rec.lines.empty());
  EXPECT_EQ(rec.overlong, 1);
}

TEST(DockerJsonHandler, PartialRecordsAreJoinedPerStream) {
  Recorder rec;
  DockerJsonHandler h(&rec, 100);
  h.OnLine(R"({"log":"MEM-","stream":"stdout"})");
  h.OnLine(R"({"log":"stderr line\n","stream":"stderr"})");
  h.OnLine(R"({"log":"001 out\n","stream":"stdout"})");
  EXPECT_EQ(rec.lines, (std::vector<std::string>{"stderr line", "MEM-001 out"}));
}

TEST(DockerJsonHandler, OneStreamOnlyWhenAsked) {
  Recorder rec;
  DockerJsonHandler h(&rec, 100, "stderr");
  h.OnLine(R"({"log":"out MEM-001\n","stream":"stdout"})");
  h.OnLine(R"({"log":"err MEM-002\n","stream":"stderr"})");
  EXPECT_EQ(rec.lines, (std::vector<std::string>{"err MEM-002"}));
}

TEST(DockerJsonHandler, TruncationForgetsThePartialLine) {
  Recorder rec;
  DockerJsonHandler h(&rec, 100);
  h.OnLine(R"({"log":"first half "})");
  h.OnTruncation();
  h.OnLine(R"({"log":"fresh\n"})");
  EXPECT_EQ(rec.lines, (std::vector<std::string>{"fresh"}));
  EXPECT_EQ(rec.truncations, 1);
}

TEST(DockerApiParsers, InspectLogPathAndConfigV2) {
  EXPECT_EQ(
      ParseInspectLogPath(R"({"Id":"x","LogPath":"/var/lib/docker/containers/a/a-json.log"})"),
      "/var/lib/docker/containers/a/a-json.log");
  EXPECT_EQ(ParseInspectLogPath(R"({"LogPath":7})"), "");
  EXPECT_EQ(ParseInspectLogPath("nope"), "");
  const std::string id(64, 'a');
  ContainerConfigV2 c;
  ASSERT_TRUE(ParseConfigV2(
      R"({"ID":")" + id + R"(","Name":"/letta-memory","State":{"Running":true}})", &c));
  EXPECT_EQ(c.id, id);
  EXPECT_EQ(c.name, "letta-memory");
  EXPECT_TRUE(c.running);
  EXPECT_EQ(c.compose_service, "");
  ASSERT_TRUE(ParseConfigV2(R"({"ID":")" + id +
                                R"(","Name":"/deploy-letta-memory-1","Config":{"Labels":)"
                                R"({"com.docker.compose.service":"letta-memory"}}})",
                            &c));
  EXPECT_EQ(c.compose_service, "letta-memory");
  EXPECT_FALSE(c.running);
  EXPECT_FALSE(ParseConfigV2(R"({"ID":"../../etc","Name":"/x"})", &c));
  EXPECT_FALSE(ParseConfigV2("[]", &c));
}

TEST(JournalPosition, RoundTripAndMalformed) {
  JournalPosition p{"s=abc;i=1;b=def;m=1;t=2;x=3", 1234567};
  JournalPosition q;
  ASSERT_TRUE(ParseJournalPosition(FormatJournalPosition(p), &q));
  EXPECT_EQ(q.cursor, p.cursor);
  EXPECT_EQ(q.realtime_usec, p.realtime_usec);
  ASSERT_TRUE(ParseJournalPosition(FormatJournalPosition({"", 5}), &q));
  EXPECT_EQ(q.cursor, "");
  EXPECT_EQ(q.realtime_usec, 5u);
  for (const char* bad :
       {"", "thoth-journal-position 1\n", "thoth-journal-position 1\nrealtime x\n",
        "thoth-journal-position 1\nrealtime 5", "thoth-log-positions 1\n",
        "thoth-journal-position 1\nrealtime 5\nother 1\n"}) {
    EXPECT_FALSE(ParseJournalPosition(bad, &q)) << bad;
  }
}

std::string ConfigError(const std::string& yaml) {
  MemoryErrors errors;
  CollectorEnv env;
  env.memory_errors = &errors;
  try {
    BuildCollectors("logs", ParseYaml(yaml, "test.yml"), env);
  } catch (const thoth::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(LogSourceConfig, ExactlyOneSourceAndCheckedKeys) {
  EXPECT_EQ(
      ConfigError("logs: [{name: a, format: error_codes, docker: {container: letta-memory}}]"), "");
  EXPECT_EQ(ConfigError("logs: [{name: a, format: error_codes, journal: {unit: memory-service}}]"),
            "");
  EXPECT_NE(ConfigError("logs: [{name: a, format: error_codes}]").find("exactly one of path"),
            std::string::npos);
  EXPECT_NE(ConfigError("logs: [{name: a, format: error_codes, path: /x, journal: {unit: u}}]")
                .find("exactly one of path"),
            std::string::npos);
  EXPECT_NE(ConfigError("logs: [{name: a, format: error_codes, docker: {container: ../x}}]")
                .find("container"),
            std::string::npos);
  EXPECT_NE(
      ConfigError("logs: [{name: a, format: error_codes, docker: {container: c, log_dir: rel}}]")
          .find("log_dir"),
      std::string::npos);
  EXPECT_NE(ConfigError("logs: [{name: a, format: error_codes, journal: {unit: u, dir: /x}}]")
                .find("dir"),
            std::string::npos);
  EXPECT_NE(
      ConfigError("logs: [{name: a, format: error_codes, journal: {directory: /x}}]").find("unit"),
      std::string::npos);
  std::string e = ConfigError("logs: [{name: a, format: error_codes, journal: u}]");
  EXPECT_NE(e.find("test.yml:1:"), std::string::npos) << e;
}

TEST(LogSourceConfig, StreamIsStdoutOrStderr) {
  EXPECT_NE(ConfigError("logs: [{name: a, format: error_codes, docker: {container: c, stream: x}}]")
                .find("stream"),
            std::string::npos);
  EXPECT_EQ(
      ConfigError("logs: [{name: a, format: error_codes, docker: {container: c, stream: stderr}}]"),
      "");
}

TEST(LogSourceConfig, UnitWithoutTypeIsAService) {
  LogSourceConfig c;
  ASSERT_TRUE(ParseLogSource(ParseYaml("{journal: {unit: memory-service}}", "t.yml"), &c));
  EXPECT_EQ(c.kind, LogSourceConfig::Kind::kJournal);
  EXPECT_EQ(c.unit, "memory-service.service");
  EXPECT_EQ(c.journal_dir, "");
  ASSERT_TRUE(ParseLogSource(ParseYaml("{docker: {container: /letta-memory}}", "t.yml"), &c));
  EXPECT_EQ(c.container, "letta-memory");
  EXPECT_EQ(c.docker_log_dir, "/var/lib/docker/containers");
  EXPECT_FALSE(ParseLogSource(ParseYaml("{path: /x}", "t.yml"), &c));
}

}  // namespace
}  // namespace thoth::logs

// thoth_probe_expected through the real exporter binary and real HTTP servers: a target never
// seen up does not page (0), one seen up and then down does (1), a layout mate's success makes
// a down target expected, and `required` is expected from the start.

#include <cmath>

#include "gtest/gtest.h"
#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/http/servers.h"

namespace thoth::http {
namespace {

using testing::ExporterProcess;
using testing::FreePort;
using testing::SampleValue;

const std::vector<std::string> kOnlyHttp = {"--no-collector.container", "--no-collector.filesystem",
                                            "--log.level=debug"};

double Expected(const std::string& metrics, const std::string& target) {
  return SampleValue(metrics, "thoth_probe_expected", {{"target", target}});
}
double Success(const std::string& metrics, const std::string& target) {
  return SampleValue(metrics, "probe_success", {{"target", target}});
}
double CollectorSuccess(const std::string& metrics, const std::string& target) {
  return SampleValue(metrics, "thoth_exporter_collector_success",
                     {{"collector", "http"}, {"target", target}});
}

TEST(ProbeExpected, NeverSeenUpIsZeroSeenUpThenDownIsOne) {
  // A server of its own, stopped half-way: the service that goes away.
  auto own = std::make_unique<testing::HttpTestServer>();
  ASSERT_TRUE(own->Start(8));
  const std::string refused = "http://127.0.0.1:" + std::to_string(FreePort()) + "/health";
  const std::string refused2 = "http://127.0.0.1:" + std::to_string(FreePort()) + "/health";
  const std::string config =
      "http:\n"
      "  - {service: flapping, url: '" +
      own->Url("/respond") +
      "'}\n"
      "  - {service: never, layout: v0.1, url: '" +
      refused +
      "'}\n"
      "  - {service: v02-up, layout: v0.2, url: '" +
      server->Url("/respond") +
      "'}\n"
      "  - {service: v02-down, layout: v0.2, url: '" +
      refused2 +
      "'}\n"
      "  - {service: must, required: true, url: '" +
      refused + "'}\n";
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(config, kOnlyHttp)) << exporter.Log();

  std::string m = exporter.Metrics();
  EXPECT_EQ(Success(m, "flapping"), 1) << m;
  EXPECT_EQ(Expected(m, "flapping"), 1) << m;
  EXPECT_EQ(Success(m, "never"), 0) << m;
  EXPECT_EQ(Expected(m, "never"), 0) << m;
  // Reported as a failing collection, with the reason it does not page (the landing page shows
  // it; ThothCollectorFailing leaves it out).
  EXPECT_EQ(CollectorSuccess(m, "never"), 0) << m;
  EXPECT_NE(exporter.Request("/").body.find("not seen up since start"), std::string::npos);
  EXPECT_EQ(Expected(m, "must"), 1) << m;
  EXPECT_EQ(CollectorSuccess(m, "must"), 0) << m;

  // The service goes away: it was seen up, so its failure pages.
  own->Stop();
  own.reset();
  m = exporter.Metrics();
  EXPECT_EQ(Success(m, "flapping"), 0) << m;
  EXPECT_EQ(Expected(m, "flapping"), 1) << m;
  EXPECT_EQ(CollectorSuccess(m, "flapping"), 0) << m;
  // v02-up answered on the first scrape, so its layout mate is expected from now on (on the
  // first scrape the two ran concurrently, so only now is this certain); v0.1 never answered.
  EXPECT_EQ(Success(m, "v02-down"), 0) << m;
  EXPECT_EQ(Expected(m, "v02-down"), 1) << m;
  EXPECT_EQ(Expected(m, "v02-up"), 1) << m;
  EXPECT_EQ(Expected(m, "never"), 0) << m;
  EXPECT_EQ(Expected(m, "must"), 1) << m;
  // A reload keeps what was seen: flapping stays expected though its collector is new.
  exporter.WriteConfig(config + "  - {service: extra, url: '" + server->Url("/respond") + "'}\n");
  auto reload = exporter.Request("/-/reload", {}, "POST");
  EXPECT_EQ(reload.status, 200) << reload.body;
  m = exporter.Metrics();
  EXPECT_EQ(Expected(m, "flapping"), 1) << m;
  EXPECT_EQ(Expected(m, "extra"), 1) << m;
  EXPECT_EQ(Expected(m, "never"), 0) << m;
}

TEST(ProbeExpected, OnceSaysNotSeenUpAsAWarning) {
  const std::string dir = testing::MakeTempDir("thoth-http-expected");
  const std::string refused = "http://127.0.0.1:" + std::to_string(FreePort()) + "/health";
  testing::WriteFile(dir + "/c.yml",
                     "http:\n"
                     "  - {service: api, layout: v0.2, url: '" +
                         server->Url("/respond") +
                         "'}\n"
                         "  - {service: letta, layout: v0.1, url: '" +
                         refused + "'}\n");
  std::vector<std::string> args = {"--once", "--config.file=" + dir + "/c.yml"};
  args.insert(args.end(), kOnlyHttp.begin(), kOnlyHttp.end() - 1);
  auto run = testing::RunExporter(args);
  EXPECT_EQ(run.exit_code, 1) << run.output;  // WARNING, not CRITICAL
  EXPECT_NE(run.output.find("not seen up since start"), std::string::npos) << run.output;
  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace thoth::http

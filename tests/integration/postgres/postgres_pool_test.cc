// The memory service's pool as the manuals document it (LETTA_POOL_SIZE): --once's connections row
// divides by pool_size taken from the environment, counts every client session of the server —
// the exporter's own included — and grades it as PostgresConnectionsHigh does (> 80 % warning).
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness/exporter_process.h"
#include "tests/integration/postgres/postgres_env.h"

namespace thoth::testing {
namespace {

TEST(PostgresPool, OnceDividesByLettaPoolSizeAndCountsItsOwnSession) {
  std::vector<PostgresServer::Conn> held;
  for (int i = 0; i < 12; ++i) held.push_back(Pg().Connect("postgres", "pool-holder"));
  const std::string dir = MakeTempDir("thoth-pg-pool");
  WriteFile(dir + "/c.yml",
            "postgres:\n" +
                MonitorTargetYaml("pool", "postgres", "  pool_size: ${LETTA_POOL_SIZE:-50}\n"));
  // Every client session now but this query's own (its connection closes after it).
  const int before = std::stoi(
      Pg().Scalar("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                  "AND pid <> pg_backend_pid()"));
  // A pool the current sessions plus the exporter's fill to just over 80 %.
  const int pool = (before + 1) * 100 / 85;
  RunResult run = RunExporter({"--once", "--format=json", "--config.file=" + dir + "/c.yml",
                               "--no-collector.container", "--no-collector.filesystem"},
                              {{"LETTA_POOL_SIZE", std::to_string(pool)}});
  auto doc = nlohmann::json::parse(run.output.substr(run.output.find('{')), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << run.output;
  std::string value, status;
  for (const auto& c : doc["checks"]) {
    if (c["check"] == "connections") {
      value = c["value"].get<std::string>();
      status = c["status"].get<std::string>();
    }
  }
  // "N / POOL (R%)": the exporter's own session is the +1.
  const std::string want_prefix = std::to_string(before + 1) + " / " + std::to_string(pool) + " (";
  EXPECT_EQ(value.rfind(want_prefix, 0), 0u) << value << "\n" << run.output;
  const double ratio = static_cast<double>(before + 1) / pool;
  ASSERT_GT(ratio, 0.80);
  ASSERT_LE(ratio, 0.95);
  EXPECT_EQ(status, "WARNING") << run.output;
  EXPECT_EQ(run.exit_code, 1) << run.output;
  held.clear();
  RemoveTree(dir);
}

}  // namespace
}  // namespace thoth::testing

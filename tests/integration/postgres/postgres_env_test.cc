#include "tests/integration/postgres/postgres_env.h"

#include <cmath>

#include "collectors/postgres/postgres_collector.h"
#include "exporter/config_reader.h"
#include "gtest/gtest.h"
#include "tests/test_fixtures.h"

namespace thoth::testing {

namespace {

PostgresServer* g_server = nullptr;

class PgEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    g_server = new PostgresServer();
    ASSERT_TRUE(g_server->Start()) << "PostgreSQL did not start";
  }
  void TearDown() override {
    delete g_server;
    g_server = nullptr;
  }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PgEnvironment);

}  // namespace

PostgresServer& Pg() { return *g_server; }

double Scrape::Value(const std::string& name, const Labels& labels) const {
  return thoth::Value(families, name, labels);
}

bool Scrape::Has(const std::string& name, const Labels& labels) const {
  return thoth::Has(families, name, labels);
}

std::string Scrape::Text() const { return SerializeText(families); }

Scrape PgTarget::Collect(double deadline_seconds) {
  MetricSink sink(collector->TargetLabel());
  const auto start = Clock::now();
  ScrapeContext ctx{start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(deadline_seconds))};
  Scrape s;
  s.status = collector->Collect(ctx, sink);
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  s.cache_age = sink.cache_age_seconds();
  s.families = sink.Take();
  return s;
}

std::unique_ptr<PgTarget> MakeTarget(const std::string& postgres_section_yaml,
                                     const Thresholds& thresholds) {
  auto t = std::make_unique<PgTarget>();
  CollectorEnv env;
  env.memory_errors = &t->memory_errors;
  env.thresholds = thresholds;
  auto collectors =
      postgres::MakeCollectors(ParseYaml("postgres:\n" + postgres_section_yaml, "test.yml"), env);
  if (collectors.size() != 1) throw std::runtime_error("expected one postgres target");
  t->collector = collectors[0];
  return t;
}

std::string MonitorTargetYaml(const std::string& name, const std::string& db,
                              const std::string& extra) {
  return "- name: " + name + "\n  dsn: \"" + Pg().MonitorDsn(db) +
         "\"\n  password_file: " + Pg().MonitorPasswordFile() + "\n" + extra;
}

}  // namespace thoth::testing

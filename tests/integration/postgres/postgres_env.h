#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exporter/collector.h"
#include "exporter/memory_errors.h"
#include "exporter/metric_sink.h"
#include "tests/integration/harness/postgres_server.h"

namespace thoth::testing {

// The one PostgreSQL server of this test binary, started before the first test.
PostgresServer& Pg();

// One collection's outcome.
struct Scrape {
  Status status;
  Families families;
  double seconds = 0;  // how long Collect took
  double cache_age = 0;
  double Value(const std::string& name, const Labels& labels = {}) const;  // NaN when absent
  bool Has(const std::string& name, const Labels& labels = {}) const;
  std::string Text() const;
};

// Builds the postgres collectors of a config (the `postgres:` section text is given whole) with
// its own MemoryErrors and thresholds.
struct PgTarget {
  MemoryErrors memory_errors;
  std::shared_ptr<Collector> collector;
  Scrape Collect(double deadline_seconds = 5);
};
std::unique_ptr<PgTarget> MakeTarget(const std::string& postgres_section_yaml,
                                     const Thresholds& thresholds = {});

// A target entry for the monitor role: "- name: NAME\n  dsn: ...\n  password_file: ...\n" plus
// `extra` lines (already indented by two spaces).
std::string MonitorTargetYaml(const std::string& name, const std::string& db = "postgres",
                              const std::string& extra = "");

}  // namespace thoth::testing

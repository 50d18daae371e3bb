#pragma once

// Builds chroma collectors from YAML and runs one collection in-process, the way the scrape
// engine does, for the tests of this folder.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "collectors/chroma/chroma_collector.h"
#include "exporter/collector.h"
#include "exporter/memory_errors.h"
#include "exporter/metric_sink.h"
#include "exporter/registry.h"
#include "tests/test_fixtures.h"

namespace thoth::chroma {

struct Scraped {
  Status status;
  Families families;
  double cache_age = 0;
  double seconds = 0;  // how long Collect took

  // NaN when absent.
  double Value(const std::string& name, const Labels& labels = {}) const {
    return thoth::Value(families, name, labels);
  }
  bool Has(const std::string& name, const Labels& labels = {}) const {
    return thoth::Has(families, name, labels);
  }
  std::size_t Count(const std::string& name) const {
    for (const auto& f : families) {
      if (f.name == name) return f.size();
    }
    return 0;
  }
};

inline std::shared_ptr<Collector> MakeOne(const std::string& yaml, MemoryErrors* errors) {
  CollectorEnv env;
  env.memory_errors = errors;
  auto collectors = BuildCollectors("chroma", ParseYaml(yaml, "test.yml"), env);
  EXPECT_EQ(collectors.size(), 1u);
  return collectors.empty() ? nullptr : collectors[0];
}

inline Scraped ScrapeOnce(Collector& c, double deadline_seconds = 8) {
  MetricSink sink(c.TargetLabel());
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(deadline_seconds));
  Scraped s;
  s.status = c.Collect(ScrapeContext{deadline}, sink);
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  s.cache_age = sink.cache_age_seconds();
  s.families = sink.Take();
  return s;
}

inline Labels Coll(const std::string& collection, const std::string& database = "default_database",
                   const std::string& tenant = "default_tenant") {
  return {{"tenant", tenant}, {"database", database}, {"collection", collection}};
}

}  // namespace thoth::chroma

// Prints the exporter's built-in thresholds (thoth::Thresholds{}, what `exporter --once` judges
// with when the config has no thresholds: section) as JSON, in the shape of the mixin's
// _config.thresholds. tests/alerts/mixin_test.sh compares the two.
#include <cstdio>

#include "exporter/thresholds.h"

namespace {

void PrintLevel(const char* name, const thoth::Level& level, bool last = false) {
  std::printf("  \"%s\": {\"warning\": %.17g, \"critical\": %.17g}%s\n", name, level.warning,
              level.critical, last ? "" : ",");
}

void PrintValue(const char* name, double value) { std::printf("  \"%s\": %.17g,\n", name, value); }

}  // namespace

int main() {
  const thoth::Thresholds t;
  std::printf("{\n");
  PrintLevel("api_latency_seconds", t.api_latency_seconds);
  PrintLevel("db_connections_ratio", t.db_connections_ratio);
  PrintLevel("memory_usage_ratio", t.memory_usage_ratio);
  PrintLevel("error_rate_ratio", t.error_rate_ratio);
  PrintLevel("chroma_collection_vectors", t.chroma_collection_vectors);
  PrintValue("long_running_query_seconds", t.long_running_query_seconds);
  PrintValue("slow_query_mean_seconds", t.slow_query_mean_seconds);
  PrintValue("backup_max_age_seconds", t.backup_max_age_seconds);
  PrintLevel("disk_free_ratio", t.disk_free_ratio, /*last=*/true);
  std::printf("}\n");
  return 0;
}

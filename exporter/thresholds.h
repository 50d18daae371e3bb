#pragma once

namespace thoth {

// A warning/critical pair; a value strictly above a level reaches it.
struct Level {
  double warning = 0;
  double critical = 0;
};

// The documented alert thresholds (SPEC §4/§7). --once judges with these; alerts/ carries the
// same numbers and a test keeps the two equal.
struct Thresholds {
  Level api_latency_seconds{0.5, 2};
  Level db_connections_ratio{0.80, 0.95};
  Level memory_usage_ratio{0.70, 0.90};
  Level error_rate_ratio{0.01, 0.05};
  Level chroma_collection_vectors{1000000, 5000000};
  double long_running_query_seconds = 300;
  double slow_query_mean_seconds = 1;
  double backup_max_age_seconds = 21600;
  // Free space of a filesystem over its size: strictly *below* a level reaches it (GradeLow).
  Level disk_free_ratio{0.10, 0.05};
};

}  // namespace thoth

#include "exporter/registry.h"

#include "collectors/backup/backup_collector.h"
#include "collectors/chroma/chroma_collector.h"
#include "collectors/container/container_collector.h"
#include "collectors/filesystem/filesystem_collector.h"
#include "collectors/http/http_collector.h"
#include "collectors/json/json_collector.h"
#include "collectors/logs/logs_collector.h"
#include "collectors/postgres/postgres_collector.h"
#include "collectors/process/process_collector.h"
#include "collectors/redis/redis_collector.h"

namespace thoth {

const std::vector<CollectorKind>& CollectorKinds() {
  static const std::vector<CollectorKind> kKinds = {
      {"postgres",
       true,
       {"postgres"},
       "PostgreSQL statistics (postgres_exporter names)",
       postgres::MakeCollectors,
       nullptr},
      {"redis",
       true,
       {"redis"},
       "Redis INFO, keyspace and key counts (redis_exporter names)",
       redis::MakeCollectors,
       nullptr},
      {"chroma",
       true,
       {"chroma"},
       "ChromaDB collections, record counts and dimensions",
       chroma::MakeCollectors,
       nullptr},
      {"http",
       true,
       {"http", "probe"},
       "HTTP health probes (blackbox_exporter names)",
       http::MakeCollectors,
       http::MakeProber},
      {"container",
       true,
       {"container"},
       "cgroup v1/v2 and Docker containers (cAdvisor names)",
       container::MakeCollectors,
       nullptr},
      {"process",
       true,
       {"process"},
       "process groups from /proc (process-exporter names)",
       process::MakeCollectors,
       nullptr},
      {"filesystem",
       true,
       {"filesystem"},
       "filesystem space and host memory (node_exporter names)",
       filesystem::MakeCollectors,
       nullptr},
      {"backup",
       true,
       {"backup"},
       "age, size, count and verification of backup files",
       backup::MakeCollectors,
       nullptr},
      {"logs",
       true,
       {"logs"},
       "MEM-00x error codes and nginx access logs, tailed",
       logs::MakeCollectors,
       nullptr},
      {"json",
       true,
       {"json"},
       "numbers and booleans of JSON documents over HTTP (json_exporter's job)",
       json::MakeCollectors,
       nullptr},
  };
  return kKinds;
}

}  // namespace thoth

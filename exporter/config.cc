#include "exporter/config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "exporter/config_reader.h"
#include "exporter/registry.h"

namespace thoth {

bool CollectorSelection::Enabled(const std::string& kind, bool default_enabled) const {
  auto it = overrides.find(kind);
  return it == overrides.end() ? default_enabled : it->second;
}

const std::string& EmbeddedDefaultConfig() {
  static const std::string kText =
      R"yaml(# thoth-exporter embedded default: the stack's documented ports on localhost.
exporter:
  listen_address: 0.0.0.0:9745
  scrape_timeout: 8s
  log_level: info
thresholds:
  api_latency_seconds:        {warning: 0.5,  critical: 2}
  db_connections_ratio:       {warning: 0.80, critical: 0.95}
  memory_usage_ratio:         {warning: 0.70, critical: 0.90}
  error_rate_ratio:           {warning: 0.01, critical: 0.05}
  chroma_collection_vectors:  {warning: 1000000, critical: 5000000}
  long_running_query_seconds: 300
  slow_query_mean_seconds:    1
  backup_max_age_seconds:     21600
  disk_free_ratio:            {warning: 0.10, critical: 0.05}
postgres:
  - name: memory-db
    dsn: ${DATA_SOURCE_NAME:-postgresql://exporter@localhost:5432/letta_memory_db}
    pool_size: ${LETTA_POOL_SIZE:-50}
redis:
  - {name: cache, address: "${THOTH_REDIS_URL:-redis://localhost:6379}", password: "${REDIS_PASSWORD:-}"}
chroma:
  - {name: vectors, url: "${THOTH_CHROMADB_URL:-http://localhost:8003}"}
http:
  - {service: thoth-api, layout: v0.1, url: "${THOTH_API_URL:-http://localhost:8000}/health"}
  - {service: mcp-server, layout: v0.1, url: "http://localhost:8001/health"}
  - {service: discovery, layout: v0.1, url: "http://localhost:8004/health"}
  - {service: research-agent, layout: v0.1, url: "http://localhost:8005/health"}
  - {service: letta, url: "${THOTH_LETTA_URL:-${LETTA_SERVER_URL:-http://localhost:8283}}/health"}
  - {service: gateway, layout: v0.2, url: "http://localhost:${GATEWAY_PORT:-5000}/health"}
  - {service: auth-service, layout: v0.2, url: "${AUTH_SERVICE_URL:-http://localhost:5001}/health"}
  - {service: agent-service, layout: v0.2, url: "${AGENT_SERVICE_URL:-http://localhost:5002}/health"}
  - {service: rag-service, layout: v0.2, url: "${RAG_SERVICE_URL:-http://localhost:5003}/health"}
  - {service: nginx, url: "http://localhost:80/health"}
  - {service: prometheus, url: "http://localhost:9090/-/healthy"}
container: {self: true}
process:
  - {name: memory-service, cmdline: "memory-service"}
  - {name: chroma, cmdline: "chroma"}
filesystem: [/]
backup:
  - {name: postgres, glob: "/backups/memory-system/postgres_*.dump"}
  - {name: chroma, glob: "/backups/memory-system/chroma_*.tar.gz"}
logs:
  - {name: memory-service, path: "/var/log/memory-service/*.log", format: error_codes}
  # Under systemd or Docker the memory service's output is elsewhere; use one of these instead
  # of the entry above (not both: its codes would be counted twice):
  #   - {name: memory-service, format: error_codes, journal: {unit: memory-service.service}}
  #   - {name: memory-service, format: error_codes, docker: {container: letta-memory}}
  - {name: nginx, path: /var/log/nginx/access.log, format: nginx}
json:
  - name: letta-memory-stats
    url: "${THOTH_LETTA_URL:-${LETTA_SERVER_URL:-http://localhost:8283}}/api/memory/stats"
    prefix: letta_memory_stats
)yaml";
  return kText;
}

namespace {

Level ParseLevel(const ConfigNode& node, Level def) {
  if (node.IsNull()) return def;
  node.ExpectKeys({"warning", "critical"});
  Level level{node.Number("warning", def.warning), node.Number("critical", def.critical)};
  if (level.warning > level.critical) node.Fail("warning must not be above critical");
  return level;
}

// A level for a value where lower is worse (free space): warning at or above critical.
Level ParseLowLevel(const ConfigNode& node, Level def) {
  if (node.IsNull()) return def;
  node.ExpectKeys({"warning", "critical"});
  Level level{node.Number("warning", def.warning), node.Number("critical", def.critical)};
  if (level.warning < level.critical) node.Fail("warning must not be below critical");
  if (level.critical < 0 || level.warning > 1) node.Fail("ratios are between 0 and 1");
  return level;
}

double ParsePositive(const ConfigNode& node, double def) {
  if (node.IsNull()) return def;
  double v = node.AsNumber();
  if (v < 0) node.Fail("must not be negative");
  return v;
}

Thresholds ParseThresholds(const ConfigNode& node) {
  Thresholds t;
  node.ExpectKeys({"api_latency_seconds", "db_connections_ratio", "memory_usage_ratio",
                   "error_rate_ratio", "chroma_collection_vectors", "long_running_query_seconds",
                   "slow_query_mean_seconds", "backup_max_age_seconds", "disk_free_ratio"});
  t.api_latency_seconds = ParseLevel(node.Child("api_latency_seconds"), t.api_latency_seconds);
  t.db_connections_ratio = ParseLevel(node.Child("db_connections_ratio"), t.db_connections_ratio);
  t.memory_usage_ratio = ParseLevel(node.Child("memory_usage_ratio"), t.memory_usage_ratio);
  t.error_rate_ratio = ParseLevel(node.Child("error_rate_ratio"), t.error_rate_ratio);
  t.chroma_collection_vectors =
      ParseLevel(node.Child("chroma_collection_vectors"), t.chroma_collection_vectors);
  t.long_running_query_seconds =
      ParsePositive(node.Child("long_running_query_seconds"), t.long_running_query_seconds);
  t.slow_query_mean_seconds =
      ParsePositive(node.Child("slow_query_mean_seconds"), t.slow_query_mean_seconds);
  t.backup_max_age_seconds =
      ParsePositive(node.Child("backup_max_age_seconds"), t.backup_max_age_seconds);
  t.disk_free_ratio = ParseLowLevel(node.Child("disk_free_ratio"), t.disk_free_ratio);
  return t;
}

ExporterSettings ParseExporter(const ConfigNode& node) {
  ExporterSettings s;
  node.ExpectKeys({"listen_address", "scrape_timeout", "log_level"});
  s.listen_address = node.String("listen_address", s.listen_address);
  if (s.listen_address.find(':') == std::string::npos) {
    node.FailKey("listen_address", "expected HOST:PORT, e.g. 0.0.0.0:9745");
  }
  s.scrape_timeout_seconds = node.Duration("scrape_timeout", s.scrape_timeout_seconds);
  if (s.scrape_timeout_seconds <= 0) node.FailKey("scrape_timeout", "must be above 0");
  s.log_level = node.String("log_level", s.log_level);
  if (s.log_level != "debug" && s.log_level != "info" && s.log_level != "warn" &&
      s.log_level != "error") {
    node.FailKey("log_level", "expected debug, info, warn or error");
  }
  return s;
}

}  // namespace

Status LoadConfigText(const std::string& text, const std::string& name,
                      const CollectorSelection& selection, const CollectorEnv& env,
                      LoadedConfig* out) {
  try {
    ConfigNode root = ParseYaml(text, name);
    if (!root.IsNull() && !root.IsMap()) root.Fail("expected a mapping of sections");
    std::vector<std::string> sections = {"exporter", "thresholds"};
    for (const auto& kind : CollectorKinds()) {
      sections.insert(sections.end(), kind.sections.begin(), kind.sections.end());
    }
    root.ExpectKeys(sections);

    LoadedConfig loaded;
    loaded.source = name;
    loaded.exporter = ParseExporter(root.Child("exporter"));
    loaded.thresholds = ParseThresholds(root.Child("thresholds"));
    CollectorEnv kind_env = env;
    kind_env.thresholds = loaded.thresholds;
    for (const auto& kind : CollectorKinds()) {
      // Every section is validated, enabled or not, so a typo never waits for the day a
      // collector is switched on.
      auto collectors = kind.make(root, kind_env);
      std::shared_ptr<AdHocProber> prober;
      if (kind.make_prober) prober = kind.make_prober(root, kind_env);
      if (!selection.Enabled(kind.name, kind.default_enabled)) continue;
      for (auto& c : collectors) loaded.collectors.push_back(std::move(c));
      if (prober) loaded.prober = std::move(prober);
    }
    // Two targets of one kind with the same name would be indistinguishable in every series.
    for (size_t i = 0; i < loaded.collectors.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (loaded.collectors[i]->Kind() == loaded.collectors[j]->Kind() &&
            loaded.collectors[i]->Target() == loaded.collectors[j]->Target()) {
          return Status::Error(OneLine(name + ": " + loaded.collectors[i]->Kind() +
                                       ": target name \"" + loaded.collectors[i]->Target() +
                                       "\" is used twice"));
        }
      }
    }
    *out = std::move(loaded);
    return Status::Ok();
  } catch (const ConfigError& e) {
    return Status::Error(e.what());
  } catch (const YAML::Exception& e) {
    return Status::Error(OneLine(name + ": " + e.what()));
  } catch (const std::exception& e) {
    return Status::Error(OneLine(name + ": " + e.what()));
  }
}

Status LoadConfig(const std::string& path, const CollectorSelection& selection,
                  const CollectorEnv& env, LoadedConfig* out) {
  if (path.empty()) {
    return LoadConfigText(EmbeddedDefaultConfig(), "<embedded default>", selection, env, out);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Error(path + ": cannot read the config file: " + std::strerror(errno));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return LoadConfigText(buf.str(), path, selection, env, out);
}

}  // namespace thoth

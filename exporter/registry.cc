#include "exporter/registry.h"

#include <map>

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

namespace {

// A kind's factory: its section parsed by its config.h into `Config`, then built.
template <typename Config, typename Make>
CollectorFactory Factory(Status (*parse)(const ConfigNode&, Config*), Make make) {
  return [parse, make](const ConfigNode& section, const CollectorEnv& env,
                       std::vector<std::shared_ptr<Collector>>* out) {
    Config config;
    Status status = parse(section, &config);
    if (status.ok()) *out = make(std::move(config), env);
    return status;
  };
}

// One row of the registration list: enabled by default; a prober only for kinds that answer
// /probe?target=URL.
CollectorKind Kind(std::string name, std::vector<std::string> sections, std::string help,
                   CollectorFactory make, std::string target_key, ProberFactory prober = nullptr) {
  return {std::move(name),      true,
          std::move(sections),  std::move(help),
          std::move(make),      std::move(prober),
          std::move(target_key)};
}

Status MakeHttpProber(const ConfigNode& section, const CollectorEnv& env,
                      std::shared_ptr<AdHocProber>* out) {
  http::ProberConfig config;
  Status status = http::ParseProberConfig(section, &config);
  if (status.ok()) *out = http::MakeProber(std::move(config), env);
  return status;
}

const CollectorKind& FindKind(std::string_view name) {
  for (const auto& kind : CollectorKinds()) {
    if (kind.name == name) return kind;
  }
  throw ConfigError("no collector kind is named " + std::string(name));
}

}  // namespace

const std::vector<CollectorKind>& CollectorKinds() {
  static const std::vector<CollectorKind> kKinds = {
      Kind("postgres", {"postgres"}, "PostgreSQL statistics (postgres_exporter names)",
           Factory(postgres::ParseConfig, postgres::MakeCollectors), "name"),
      Kind("redis", {"redis"}, "Redis INFO, keyspace and key counts (redis_exporter names)",
           Factory(redis::ParseConfig, redis::MakeCollectors), "name"),
      Kind("chroma", {"chroma"}, "ChromaDB collections, record counts and dimensions",
           Factory(chroma::ParseConfig, chroma::MakeCollectors), "name"),
      Kind("http", {"http", "probe"}, "HTTP health probes (blackbox_exporter names)",
           Factory(http::ParseConfig, http::MakeCollectors), "service", MakeHttpProber),
      Kind("container", {"container"}, "cgroup v1/v2 and Docker containers (cAdvisor names)",
           Factory(container::ParseConfig, container::MakeCollectors), ""),
      Kind("process", {"process"}, "process groups from /proc (process-exporter names)",
           Factory(process::ParseConfig, process::MakeCollectors), "name"),
      Kind("filesystem", {"filesystem"}, "filesystem space and host memory (node_exporter names)",
           Factory(filesystem::ParseConfig, filesystem::MakeCollectors), ""),
      Kind("backup", {"backup"}, "age, size, count and verification of backup files",
           Factory(backup::ParseConfig, backup::MakeCollectors), "name"),
      Kind("logs", {"logs"}, "MEM-00x error codes and nginx access logs, tailed",
           Factory(logs::ParseConfig, logs::MakeCollectors), "name"),
      Kind("json", {"json"},
           "numbers and booleans of JSON documents over HTTP (json_exporter's job)",
           Factory(json::ParseConfig, json::MakeCollectors), "name"),
  };
  return kKinds;
}

void CheckTargetNames(const ConfigNode& section, const std::string& key,
                      const std::vector<std::string>& names) {
  std::map<std::string, ConfigNode> seen;
  const std::vector<ConfigNode> items = section.Items();
  for (size_t i = 0; i < items.size() && i < names.size(); ++i) {
    const ConfigNode at = items[i].Child(key);  // absent (a default name): points at the item
    auto [first, inserted] = seen.emplace(names[i], at);
    if (!inserted) {
      at.Fail("another target has this name: " + first->second.path() + " at " +
              first->second.Location() + " is already named " + names[i]);
    }
  }
}

std::vector<std::shared_ptr<Collector>> BuildCollectors(std::string_view kind_name,
                                                        const ConfigNode& root,
                                                        const CollectorEnv& env) {
  const CollectorKind& kind = FindKind(kind_name);
  const ConfigNode section = root.Child(kind.sections.at(0));
  std::vector<std::shared_ptr<Collector>> out;
  Status status = kind.make(section, env, &out);
  if (!status.ok()) throw ConfigError(status.message());
  if (!kind.target_key.empty()) {
    // A kind with one collector per item names each by its Target() (which may be a default,
    // e.g. a Redis target's address); one collector for the section (process) by the items.
    std::vector<std::string> names;
    const std::vector<ConfigNode> items = section.Items();
    if (out.size() == items.size()) {
      for (const auto& c : out) names.push_back(c->Target());
    } else {
      for (const auto& item : items) names.push_back(item.String(kind.target_key, ""));
    }
    CheckTargetNames(section, kind.target_key, names);
  }
  return out;
}

std::shared_ptr<AdHocProber> BuildProber(std::string_view kind_name, const ConfigNode& root,
                                         const CollectorEnv& env) {
  const CollectorKind& kind = FindKind(kind_name);
  if (!kind.make_prober) return nullptr;
  std::shared_ptr<AdHocProber> out;
  Status status = kind.make_prober(root.Child(kind.sections.at(1)), env, &out);
  if (!status.ok()) throw ConfigError(status.message());
  return out;
}

}  // namespace thoth

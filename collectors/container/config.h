#pragma once

#include <string>
#include <utility>
#include <vector>

#include "exporter/config_reader.h"
#include "exporter/status.h"

namespace thoth::container {

struct ContainerConfig {
  bool self = true;
  std::string self_name = "self";
  std::string docker_socket = "/var/run/docker.sock";
  std::vector<std::pair<std::string, std::string>> cgroups;  // (name, cgroup path)
};

// The `container:` section: what the one container collector watches.
struct SectionConfig {
  ContainerConfig watch;
  bool any = false;         // something to watch (self, a cgroup or Docker): else no collector
  std::string fingerprint;  // of the section; never printed
};

// Reads and validates the `container:` section, a map {self, docker_socket, cgroups}. Without
// the section only `self` is on (SPEC §4). `cgroups` items are cgroup paths (named by the path)
// or {name, path}; their names, with self's, must differ. An error names file, line, column
// and key.
Status ParseConfig(const ConfigNode& section, SectionConfig* out);

}  // namespace thoth::container

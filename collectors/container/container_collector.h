#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "collectors/container/config.h"
#include "exporter/collector.h"

namespace thoth::container {

// Builds the one `container` collector (Target() "container", no target label; series carry
// `name`) from the `container:` section:
//   container: {self: true, docker_socket: /var/run/docker.sock, cgroups: [paths]}
// `self` is true/false or the name to report the exporter's own container under (true = "self").
// `cgroups` items are cgroup paths as /proc/<pid>/cgroup shows them ("/system.slice/x.service",
// named by the path) or {name, path}. `docker_socket: ""` turns the Docker part off. Without the
// section only `self` is on (SPEC §4). Nothing to watch: no collector. No side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(SectionConfig config,
                                                       const CollectorEnv& env);

// Where the collector looks, for tests: `host_root` prefixes /proc and /sys paths (a fixture
// tree); a non-empty `cgroup_fstype` stands for the filesystem type of /sys/fs/cgroup.
struct ContainerOptions {
  std::string host_root;
  std::string cgroup_fstype;
};

std::shared_ptr<Collector> MakeContainerCollector(ContainerConfig config, ContainerOptions options,
                                                  std::string fingerprint);

}  // namespace thoth::container

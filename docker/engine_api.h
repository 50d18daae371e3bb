#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/status.h"

namespace thoth {

// Pure parsers of the Docker Engine API answers the container collector and the logs
// collector's docker source use, and the cgroup paths Docker gives a container. Hostile input
// (wrong types, huge or path-like ids) is skipped.

struct DockerContainer {
  std::string id;    // 64 hex digits (or at least 12), checked: it becomes part of a path
  std::string name;  // Names[0] without its leading '/'
};

// GET /containers/json: an array of {Id, Names: ["/name"], ...}. False (with *error) when the
// text is not a JSON array; entries without a valid id are skipped, and a container without a
// name is named by its short id.
StatusOr<std::vector<DockerContainer>> ParseDockerContainerList(std::string_view text);

// What GET /containers/{id}/json tells about where a container's cgroup is.
struct DockerInspect {
  std::int64_t pid = 0;       // State.Pid (0 when not running)
  std::string cgroup_parent;  // HostConfig.CgroupParent ("" = the driver's default)
};
StatusOr<DockerInspect> ParseDockerInspect(std::string_view text);

// True for an id of 12 to 64 lowercase hex digits.
bool IsDockerId(std::string_view id);

// The cgroup paths the container can have, most likely first: the cgroupfs driver's
// "<parent or /docker>/<id>" and the systemd driver's "<expanded parent slice or
// /system.slice>/docker-<id>.scope" (a parent named "a-b.slice" expands to
// /a.slice/a-b.slice). A parent that is not a safe path is ignored.
std::vector<std::string> DockerCgroupCandidates(std::string_view id,
                                                std::string_view cgroup_parent);

}  // namespace thoth

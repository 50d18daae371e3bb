#include "collectors/container/config.h"

#include <set>

#include "procfs/cgroup.h"

namespace thoth::container {

namespace {

ContainerConfig ParseWatch(const ConfigNode& section) {
  ContainerConfig config;
  if (section.IsNull()) return config;
  if (!section.IsMap()) section.Fail("must be a map with self, docker_socket, cgroups");
  section.ExpectKeys({"self", "docker_socket", "cgroups"});
  ConfigNode self = section.Child("self");
  if (!self.IsNull()) {
    std::string value = self.AsString();
    if (value == "true" || value == "yes" || value == "on") {
      config.self = true;
    } else if (value == "false" || value == "no" || value == "off") {
      config.self = false;
    } else if (!value.empty()) {
      config.self_name = value;
    } else {
      self.Fail("expected true, false or a name");
    }
  }
  config.docker_socket = section.String("docker_socket", config.docker_socket);
  if (!config.docker_socket.empty() && config.docker_socket[0] != '/') {
    section.FailKey("docker_socket", "must be an absolute path (or \"\" for none)");
  }
  // A cgroup's name is the `name` label of its series, beside self's.
  std::set<std::string> names = {};
  if (config.self) names.insert(config.self_name);
  for (const auto& item : section.Child("cgroups").Items()) {
    std::string name, path;
    if (item.IsScalar()) {
      path = item.AsString();
      name = path;
    } else {
      item.ExpectKeys({"name", "path"});
      path = item.RequiredString("path");
      name = item.String("name", path);
    }
    if (!IsSafeCgroupPath(path)) {
      item.Fail("must be an absolute cgroup path without . or .. (e.g. /system.slice/x.service)");
    }
    if (name.empty() || !names.insert(name).second) item.Fail("repeats the name " + name);
    config.cgroups.emplace_back(name, path);
  }
  return config;
}

}  // namespace

Status ParseConfig(const ConfigNode& section, SectionConfig* out) {
  return CatchConfigError([&] {
    SectionConfig config;
    config.watch = ParseWatch(section);
    config.any =
        config.watch.self || !config.watch.cgroups.empty() || !config.watch.docker_socket.empty();
    config.fingerprint = section.Fingerprint();
    *out = std::move(config);
  });
}

}  // namespace thoth::container

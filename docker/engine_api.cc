#include "docker/engine_api.h"

#include "nlohmann/json.hpp"
#include "procfs/cgroup.h"

namespace thoth {

bool IsDockerId(std::string_view id) {
  if (id.size() < 12 || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

StatusOr<std::vector<DockerContainer>> ParseDockerContainerList(std::string_view text) {
  std::vector<DockerContainer> out;
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_array()) {
    return Status::Error("/containers/json is not a JSON array");
  }
  for (const auto& item : doc) {
    if (!item.is_object()) continue;
    auto id = item.find("Id");
    if (id == item.end() || !id->is_string() || !IsDockerId(id->get_ref<const std::string&>())) {
      continue;
    }
    DockerContainer c;
    c.id = id->get<std::string>();
    auto names = item.find("Names");
    if (names != item.end() && names->is_array() && !names->empty() && (*names)[0].is_string()) {
      c.name = (*names)[0].get<std::string>();
      if (!c.name.empty() && c.name[0] == '/') c.name.erase(0, 1);
    }
    if (c.name.empty()) c.name = c.id.substr(0, 12);
    out.push_back(std::move(c));
  }
  return out;
}

StatusOr<DockerInspect> ParseDockerInspect(std::string_view text) {
  DockerInspect out;
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::Error("container inspect answer is not a JSON object");
  }
  auto state = doc.find("State");
  if (state != doc.end() && state->is_object()) {
    auto pid = state->find("Pid");
    if (pid != state->end() && pid->is_number_integer()) out.pid = pid->get<std::int64_t>();
  }
  auto host = doc.find("HostConfig");
  if (host != doc.end() && host->is_object()) {
    auto parent = host->find("CgroupParent");
    if (parent != host->end() && parent->is_string()) {
      out.cgroup_parent = parent->get<std::string>();
    }
  }
  return out;
}

namespace {

// systemd's slice naming: "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice.
std::string ExpandSlice(std::string_view slice) {
  std::string_view stem = slice.substr(0, slice.size() - 6);  // without ".slice"
  std::string path;
  std::size_t pos = 0;
  while (true) {
    std::size_t dash = stem.find('-', pos);
    std::string_view prefix = stem.substr(0, dash);
    if (!prefix.empty() && prefix != "-") {
      path += "/";
      path += prefix;
      path += ".slice";
    }
    if (dash == std::string_view::npos) break;
    pos = dash + 1;
  }
  return path;
}

bool IsSliceName(std::string_view s) {
  return s.size() > 6 && s.compare(s.size() - 6, 6, ".slice") == 0 &&
         s.find('/') == std::string_view::npos && s != "-.slice";
}

}  // namespace

std::vector<std::string> DockerCgroupCandidates(std::string_view id,
                                                std::string_view cgroup_parent) {
  std::vector<std::string> out;
  if (!IsDockerId(id)) return out;
  std::string scope = "docker-" + std::string(id) + ".scope";
  if (IsSliceName(cgroup_parent)) {
    std::string path = ExpandSlice(cgroup_parent) + "/" + scope;
    // The parent comes from the Docker API: a slice name with NULs or dot segments is ignored.
    if (IsSafeCgroupPath(path)) {
      out.push_back(std::move(path));
      return out;
    }
    cgroup_parent = {};
  }
  std::string parent;
  if (!cgroup_parent.empty()) {
    // Built in place: GCC 12's -Wrestrict misreads `"/" + std::string(view)` here at -O2 with
    // the hardening flags (a false positive that fails the Release build).
    parent.reserve(cgroup_parent.size() + 1);
    if (cgroup_parent[0] != '/') parent += '/';
    parent.append(cgroup_parent);
    while (parent.size() > 1 && parent.back() == '/') parent.pop_back();
    if (!IsSafeCgroupPath(parent)) parent.clear();
  }
  if (!parent.empty()) {
    out.push_back(parent + "/" + std::string(id));
  }
  out.push_back("/docker/" + std::string(id));
  out.push_back("/system.slice/" + scope);
  return out;
}

}  // namespace thoth

#include "procfs/cgroup.h"

#include <charconv>

#include "procfs/lines.h"

namespace thoth {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

template <typename T>
std::optional<T> Number(std::string_view s) {
  T v{};
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<std::uint64_t> ParseCgroupUnsigned(std::string_view text) {
  return Number<std::uint64_t>(Trim(text));
}

std::optional<std::int64_t> ParseCgroupSigned(std::string_view text) {
  return Number<std::int64_t>(Trim(text));
}

std::map<std::string, std::uint64_t> ParseFlatKeyed(std::string_view text) {
  std::map<std::string, std::uint64_t> out;
  for (std::string_view line : Lines(text)) {
    line = Trim(line);
    std::size_t sp = line.find(' ');
    if (sp == 0 || sp == std::string_view::npos) continue;
    auto value = Number<std::uint64_t>(Trim(line.substr(sp + 1)));
    if (!value) continue;
    out.emplace(std::string(line.substr(0, sp)), *value);
  }
  return out;
}

std::optional<CgroupLimit> ParseCgroupLimit(std::string_view text) {
  text = Trim(text);
  if (text == "max") return CgroupLimit{true, 0};
  auto v = Number<std::uint64_t>(text);
  if (!v) return std::nullopt;
  return CgroupLimit{false, *v};
}

std::optional<CpuMax> ParseCpuMax(std::string_view text) {
  text = Trim(text);
  std::size_t sp = text.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  auto quota = ParseCgroupLimit(text.substr(0, sp));
  auto period = Number<std::uint64_t>(Trim(text.substr(sp + 1)));
  if (!quota || !period) return std::nullopt;
  return CpuMax{*quota, *period};
}

bool IsSafeCgroupPath(std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  if (path.find('\0') != std::string_view::npos) return false;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t next = path.find('/', i + 1);
    std::string_view seg =
        path.substr(i + 1, next == std::string_view::npos ? std::string_view::npos : next - i - 1);
    if (seg == "." || seg == "..") return false;
    if (next == std::string_view::npos) break;
    i = next;
  }
  return true;
}

ProcCgroups ParseProcCgroup(std::string_view text) {
  ProcCgroups out;
  for (std::string_view line : Lines(text)) {
    std::size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    std::size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    if (!Number<unsigned>(line.substr(0, c1))) continue;
    std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::string_view path = line.substr(c2 + 1);
    // A cgroup removed while a member still runs shows " (deleted)"; the path is gone anyway.
    if (!IsSafeCgroupPath(path)) continue;
    if (controllers.empty()) {
      if (line.substr(0, c1) == "0") out.unified = std::string(path);
      continue;
    }
    while (!controllers.empty()) {
      std::size_t comma = controllers.find(',');
      std::string_view c = controllers.substr(0, comma);
      if (!c.empty()) out.v1.emplace(std::string(c), std::string(path));
      if (comma == std::string_view::npos) break;
      controllers.remove_prefix(comma + 1);
    }
  }
  return out;
}

std::optional<CgroupLayout> DetectCgroupLayout(const std::vector<MountInfo>& mounts,
                                               std::string_view sys_fs_cgroup_fstype) {
  CgroupLayout layout;
  const MountInfo* unified = nullptr;
  for (const auto& m : mounts) {
    if (m.fstype == "cgroup2") {
      // Prefer the mount at /sys/fs/cgroup itself over e.g. a hybrid /sys/fs/cgroup/unified.
      if (unified == nullptr || m.mount_point == "/sys/fs/cgroup") unified = &m;
    } else if (m.fstype == "cgroup") {
      for (const char* controller : {"cpu", "cpuacct", "memory"}) {
        if (HasOption(m.super_options, controller)) {
          layout.v1[controller] = CgroupMount{m.mount_point, m.root};
        }
      }
    }
  }
  if (sys_fs_cgroup_fstype == "cgroup2") {
    if (unified == nullptr) return std::nullopt;
    layout.v2 = true;
    layout.unified = CgroupMount{unified->mount_point, unified->root};
    layout.v1.clear();
    return layout;
  }
  if (layout.v1.count("memory") == 0 && layout.v1.count("cpuacct") == 0) {
    // No v1 controllers where they should be: a unified hierarchy mounted elsewhere still works.
    if (unified == nullptr) return std::nullopt;
    layout.v2 = true;
    layout.unified = CgroupMount{unified->mount_point, unified->root};
    layout.v1.clear();
  }
  return layout;
}

std::optional<std::string> CgroupDir(const CgroupMount& mount, std::string_view path) {
  if (!IsSafeCgroupPath(path)) return std::nullopt;
  std::string_view root = mount.root;
  while (root.size() > 1 && root.back() == '/') root.remove_suffix(1);
  std::string_view rel;
  if (root == "/") {
    rel = path;
  } else if (path.size() >= root.size() && path.compare(0, root.size(), root) == 0 &&
             (path.size() == root.size() || path[root.size()] == '/')) {
    rel = path.substr(root.size());
  } else {
    return std::nullopt;
  }
  std::string dir = mount.mount_point;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  while (!rel.empty() && rel.back() == '/') rel.remove_suffix(1);
  if (!rel.empty() && rel != "/") dir.append(rel);
  return dir;
}

}  // namespace thoth

#include "procfs/mountinfo.h"

#include <charconv>

#include "procfs/lines.h"

namespace thoth {
namespace {

// Undoes the kernel's octal escapes of ' ', '\t', '\n' and '\\' in mountinfo path fields.
std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool octal = true;
      for (std::size_t j = 1; j <= 3; ++j) {
        char c = s[i + j];
        if (c < '0' || c > '7') {
          octal = false;
          break;
        }
        v = v * 8 + (c - '0');
      }
      if (octal && v < 256) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

bool ParseInt(std::string_view s, int* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

std::vector<MountInfo> ParseMountInfo(std::string_view text) {
  std::vector<MountInfo> mounts;
  for (std::string_view line : Lines(text)) {
    std::vector<std::string_view> f = SplitFields(line);
    // id parent major:minor root mount_point options [optional...] - fstype source super
    if (f.size() < 10) continue;
    std::size_t sep = 0;
    for (std::size_t i = 6; i < f.size(); ++i) {
      if (f[i] == "-") {
        sep = i;
        break;
      }
    }
    if (sep == 0 || sep + 3 > f.size()) continue;
    MountInfo m;
    if (!ParseInt(f[0], &m.id) || !ParseInt(f[1], &m.parent_id)) continue;
    m.root = Unescape(f[3]);
    m.mount_point = Unescape(f[4]);
    if (m.mount_point.empty() || m.mount_point[0] != '/') continue;
    m.mount_options = std::string(f[5]);
    m.fstype = std::string(f[sep + 1]);
    m.source = Unescape(f[sep + 2]);
    if (sep + 3 < f.size()) m.super_options = std::string(f[sep + 3]);
    mounts.push_back(std::move(m));
  }
  return mounts;
}

const MountInfo* FindMountFor(const std::vector<MountInfo>& mounts, std::string_view path) {
  const MountInfo* best = nullptr;
  for (const auto& m : mounts) {
    std::string_view mp = m.mount_point;
    bool covers = false;
    if (mp == "/") {
      covers = !path.empty() && path[0] == '/';
    } else if (path.size() >= mp.size() && path.compare(0, mp.size(), mp) == 0) {
      covers = path.size() == mp.size() || path[mp.size()] == '/';
    }
    if (covers && (best == nullptr || mp.size() >= best->mount_point.size())) best = &m;
  }
  return best;
}

bool HasOption(std::string_view options, std::string_view option) {
  while (!options.empty()) {
    std::size_t comma = options.find(',');
    if (options.substr(0, comma) == option) return true;
    if (comma == std::string_view::npos) break;
    options.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace thoth

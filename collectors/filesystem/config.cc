#include "collectors/filesystem/config.h"

#include <set>

namespace thoth::filesystem {

Status ParseConfig(const ConfigNode& section, FilesystemConfig* out) {
  return CatchConfigError([&] {
    FilesystemConfig config;
    if (section.IsAbsent()) {
      config.paths = {"/"};  // SPEC §4: `/` stays watched when an operator's file leaves this out
    } else if (!section.IsNull()) {
      if (!section.IsSequence()) section.Fail("must be a list of paths");
      std::set<std::string> seen;
      for (const auto& item : section.Items()) {
        std::string path = item.AsString();
        if (path.empty() || path[0] != '/') item.Fail("must be an absolute path");
        if (seen.insert(path).second) config.paths.push_back(path);
      }
    }
    config.fingerprint = section.Fingerprint();
    *out = std::move(config);
  });
}

}  // namespace thoth::filesystem

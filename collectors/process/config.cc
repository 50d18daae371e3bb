#include "collectors/process/config.h"

namespace thoth::process {

Status ParseConfig(const ConfigNode& section, ProcessConfig* out) {
  return CatchConfigError([&] {
    ProcessConfig config;
    for (const auto& item : section.Items()) {
      item.ExpectKeys({"name", "cmdline", "min_processes"});
      ProcessGroupConfig g{item.RequiredString("name"), item.RequiredString("cmdline")};
      if (item.Has("min_processes")) {
        g.min_processes = item.Integer("min_processes", 0);
        if (*g.min_processes < 0 || *g.min_processes > 1000000) {
          item.FailKey("min_processes", "must be 0 to 1000000");
        }
      }
      if (Status valid = ValidCmdlinePattern(g.cmdline); !valid.ok()) {
        item.FailKey("cmdline", "not a valid regex: " + valid.message());
      }
      config.groups.push_back(std::move(g));
    }
    config.fingerprint = section.Fingerprint();
    *out = std::move(config);
  });
}

}  // namespace thoth::process

#include "collectors/http/config.h"

#include "collectors/http/url_pattern.h"

namespace thoth::http {

namespace {

// A layout names a group of services; it is shown in --once and the log.
bool ValidLayout(const std::string& layout) {
  if (layout.size() > 64) return false;
  for (char c : layout) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

TargetConfig ParseTarget(const ConfigNode& item, const std::vector<std::string>& keys) {
  item.ExpectKeys(keys);
  TargetConfig t;
  t.service = item.RequiredString("service");
  std::string url = item.RequiredString("url");
  auto parsed = ParseProbeUrl(url);
  if (!parsed.ok()) item.FailKey("url", parsed.status().message());
  t.url = parsed->normalized;
  t.layout = item.String("layout", "");
  if (!ValidLayout(t.layout)) {
    item.FailKey("layout", "expected a short name of letters, digits, '.', '_' or '-' (e.g. v0.2)");
  }
  t.required = item.Bool("required", false);
  t.spec = ParseProbeSpec(item, kDefaultTimeoutSeconds);
  t.fingerprint = item.Fingerprint();
  return t;
}

}  // namespace

Status ParseConfig(const ConfigNode& section, std::vector<TargetConfig>* out) {
  std::vector<std::string> keys = ProbeSpecKeys();
  keys.push_back("service");
  keys.push_back("url");
  keys.push_back("layout");
  keys.push_back("required");
  return ParseTargetList(
      section, [&keys](const ConfigNode& item) { return ParseTarget(item, keys); }, out);
}

Status ParseProberConfig(const ConfigNode& section, ProberConfig* out) {
  return CatchConfigError([&] {
    section.ExpectKeys({"allowed_targets", "denied_networks", "modules"});
    ProberConfig config;
    config.guard = ParseProbeGuard(section);
    const ConfigNode module_nodes = section.Child("modules");
    if (module_nodes.IsNull()) {
      config.modules.emplace(kDefaultModule, ProbeSpec{});
    } else {
      for (const auto& [name, node] : module_nodes.Entries()) {
        node.ExpectKeys(ProbeSpecKeys());
        config.modules.emplace(name, ParseProbeSpec(node, kDefaultTimeoutSeconds));
      }
    }
    *out = std::move(config);
  });
}

}  // namespace thoth::http

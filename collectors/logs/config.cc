#include "collectors/logs/config.h"

#include <cstdint>
#include <set>
#include <utility>

namespace thoth::logs {

namespace {

// Bounds for max_line_bytes: a line must fit a request line; one line must not take more
// memory than an operator would expect of a log tailer.
constexpr std::int64_t kMinLineBytes = 256;
constexpr std::int64_t kMaxLineBytes = 64 << 20;

}  // namespace

LogConfig ParseLogConfig(const ConfigNode& node) {
  node.ExpectKeys({"name", "path", "docker", "journal", "format", "from_start", "state_file",
                   "max_line_bytes", "log_format", "regex"});
  LogConfig c;
  c.name = node.RequiredString("name");
  if (!ParseLogSource(node, &c.source)) c.path = node.RequiredString("path");
  std::string format = node.RequiredString("format");
  if (format == "error_codes") {
    c.format = LogFormat::kErrorCodes;
  } else if (format == "nginx") {
    c.format = LogFormat::kNginx;
  } else {
    node.FailKey("format", "expected error_codes or nginx, got \"" + format + "\"");
  }
  c.from_start = node.Bool("from_start", false);
  c.state_file = node.String("state_file", "");
  std::int64_t max_line = node.Integer("max_line_bytes", 65536);
  if (max_line < kMinLineBytes || max_line > kMaxLineBytes) {
    node.FailKey("max_line_bytes", "must be between " + std::to_string(kMinLineBytes) + " and " +
                                       std::to_string(kMaxLineBytes));
  }
  c.max_line_bytes = static_cast<std::size_t>(max_line);
  if (node.Has("log_format")) {
    if (c.format != LogFormat::kNginx) node.FailKey("log_format", "only for format: nginx");
    c.log_format = node.String("log_format", "");
  }
  if (node.Has("regex")) {
    if (c.format != LogFormat::kErrorCodes) node.FailKey("regex", "only for format: error_codes");
    c.regex = node.String("regex", "");
  }
  return c;
}

Status ParseConfig(const ConfigNode& section, std::vector<LogTarget>* out) {
  return CatchConfigError([&] {
    std::vector<LogTarget> targets;
    std::set<std::string> state_files;
    for (const ConfigNode& item : section.Items()) {
      LogTarget t;
      t.config = ParseLogConfig(item);
      if (!t.config.state_file.empty() && !state_files.insert(t.config.state_file).second) {
        item.FailKey("state_file", "already used by another log");
      }
      if (t.config.format == LogFormat::kNginx) {
        if (t.config.log_format.empty()) {
          t.parser = NginxLineParser::Default();
        } else {
          auto compiled = NginxLineParser::Compile(t.config.log_format);
          if (!compiled.ok()) item.FailKey("log_format", compiled.status().message());
          t.parser = std::move(compiled).value();
        }
      } else if (!t.config.regex.empty()) {
        auto compiled = CodeRegex::Compile(t.config.regex);
        if (!compiled.ok()) item.FailKey("regex", compiled.status().message());
        t.regex = std::move(compiled).value();
      }
      t.fingerprint = item.Fingerprint();
      targets.push_back(std::move(t));
    }
    *out = std::move(targets);
  });
}

}  // namespace thoth::logs

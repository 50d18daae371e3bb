#include "exporter/cli.h"

#include <optional>
#include <sstream>
#include <string>

#include "exporter/registry.h"

namespace thoth {

namespace {

bool KnownKind(const std::string& name) {
  for (const auto& k : CollectorKinds()) {
    if (k.name == name) return true;
  }
  return false;
}

// Walks the command line one flag at a time: "--name=value", or "--name value" for a flag
// that takes a value.
class FlagCursor {
 public:
  FlagCursor(int argc, const char* const* argv) : argc_(argc), argv_(argv) {}

  // Moves to the next argument; false past the last.
  bool Next() {
    if (++i_ >= argc_) return false;
    arg_ = argv_[i_];
    name_ = arg_;
    value_.reset();
    if (size_t eq = arg_.find('='); eq != std::string::npos) {
      name_ = arg_.substr(0, eq);
      value_ = arg_.substr(eq + 1);
    }
    return true;
  }
  const std::string& arg() const { return arg_; }
  const std::string& name() const { return name_; }
  bool has_value() const { return value_.has_value(); }

  // The flag's value, from "=value" or the next argument.
  Status Take(std::string* into) {
    if (!value_) {
      if (i_ + 1 >= argc_) return Status::Error(name_ + " needs a value");
      value_ = argv_[++i_];
    }
    *into = *value_;
    return Status::Ok();
  }
  // A flag without a value.
  Status Flag(bool* into) const {
    if (value_) return Status::Error(name_ + " takes no value");
    *into = true;
    return Status::Ok();
  }

 private:
  const int argc_;
  const char* const* argv_;
  int i_ = 0;
  std::string arg_, name_;
  std::optional<std::string> value_;
};

// --config.file, --web.*, --log.*: sets *s and returns true when the flag is one of these.
bool ServerFlag(FlagCursor& f, Options& o, Status* s) {
  const std::string& name = f.name();
  std::string v;
  if (name == "--config.file") {
    *s = f.Take(&o.config_file);
  } else if (name == "--web.listen-address") {
    *s = f.Take(&v);
    o.listen_address = v;
    if (s->ok() && v.find(':') == std::string::npos) {
      *s = Status::Error("--web.listen-address must be HOST:PORT, e.g. 0.0.0.0:9745");
    }
  } else if (name == "--web.telemetry-path") {
    *s = f.Take(&o.telemetry_path);
    if (s->ok() && (o.telemetry_path.empty() || o.telemetry_path[0] != '/')) {
      *s = Status::Error("--web.telemetry-path must start with /");
    }
  } else if (name == "--web.config.file") {
    *s = f.Take(&o.web_config_file);
  } else if (name == "--log.level") {
    *s = f.Take(&v);
    o.log_level = v;
    if (s->ok() && v != "debug" && v != "info" && v != "warn" && v != "error") {
      *s = Status::Error("--log.level must be debug, info, warn or error");
    }
  } else if (name == "--log.format") {
    *s = f.Take(&o.log_format);
    if (s->ok() && o.log_format != "text" && o.log_format != "json") {
      *s = Status::Error("--log.format must be text or json");
    }
  } else {
    return false;
  }
  return true;
}

// --once, --format, --check-config, --version, --help: what the run does.
bool ModeFlag(FlagCursor& f, Options& o, Status* s) {
  const std::string& name = f.name();
  if (name == "--once") {
    *s = f.Flag(&o.once);
  } else if (name == "--format") {
    *s = f.Take(&o.once_format);
    if (s->ok() && o.once_format != "text" && o.once_format != "json" &&
        o.once_format != "prometheus") {
      *s = Status::Error("--format must be text, json or prometheus");
    }
  } else if (name == "--check-config") {
    *s = f.Flag(&o.check_config);
  } else if (name == "--version") {
    *s = f.Flag(&o.version);
  } else if (name == "--help" || name == "-h") {
    *s = f.Flag(&o.help);
  } else {
    return false;
  }
  return true;
}

// --collector.KIND and --no-collector.KIND.
bool CollectorFlag(const FlagCursor& f, Options& o, Status* s) {
  const std::string& name = f.name();
  const bool enable = name.rfind("--collector.", 0) == 0;
  if (!enable && name.rfind("--no-collector.", 0) != 0) return false;
  std::string kind = name.substr(enable ? 12 : 15);
  if (!KnownKind(kind)) {
    std::string list;
    for (const auto& k : CollectorKinds()) list += (list.empty() ? "" : ", ") + k.name;
    *s = Status::Error("unknown collector \"" + kind + "\" (known: " + list + ")");
  } else if (f.has_value()) {
    *s = Status::Error(name + " takes no value");
  } else {
    o.selection.overrides[kind] = enable;
  }
  return true;
}

}  // namespace

Status ParseArgs(int argc, const char* const* argv, Options* out) {
  Options o;
  FlagCursor f(argc, argv);
  while (f.Next()) {
    if (f.arg().rfind("--", 0) != 0)
      return Status::Error("unexpected argument \"" + f.arg() + "\"");
    Status s;
    if (!ServerFlag(f, o, &s) && !ModeFlag(f, o, &s) && !CollectorFlag(f, o, &s)) {
      s = Status::Error("unknown flag " + f.name() + " (see --help)");
    }
    if (!s.ok()) return s;
  }
  if (o.once && o.check_config)
    return Status::Error("--once and --check-config exclude each other");
  *out = std::move(o);
  return Status::Ok();
}

std::string VersionText() {
  return std::string("thoth-exporter ") + THOTH_VERSION + " (revision " + THOTH_REVISION + ")";
}

std::string HelpText() {
  std::ostringstream out;
  out << "usage: exporter [flags]\n"
         "\n"
         "One Prometheus exporter for the Thoth stack: PostgreSQL, Redis, ChromaDB, service\n"
         "health, containers, processes, disks, backups and the memory service's MEM-00x logs.\n"
         "\n"
         "Flags:\n"
         "  --config.file=PATH          YAML configuration. Without it the embedded default is\n"
         "                              used: the stack's documented services and ports,\n"
         "                              on localhost unless the stack's own variables\n"
         "                              (THOTH_API_URL, LETTA_SERVER_URL, THOTH_CHROMADB_URL,\n"
         "                              LETTA_POOL_SIZE, REDIS_PASSWORD, ...) say otherwise.\n"
         "  --web.listen-address=H:P    Address to serve on (default: exporter.listen_address,\n"
         "                              0.0.0.0:9745).\n"
         "  --web.telemetry-path=PATH   Path of the metrics (default /metrics).\n"
         "  --web.config.file=PATH      exporter-toolkit web config: tls_server_config serves TLS\n"
         "                              (client certificates, renewal without restart);\n"
         "                              basic_auth_users with bcrypt hashes protects every path\n"
         "                              but /health; http_server_config.headers. Re-read on\n"
         "                              SIGHUP and /-/reload.\n"
         "  --log.level=LEVEL           debug, info, warn or error (default: exporter.log_level,\n"
         "                              info).\n"
         "  --log.format=FORMAT         text or json (default text). Logs go to stderr.\n"
         "  --collector.NAME            Enable a collector kind.\n"
         "  --no-collector.NAME         Disable a collector kind.\n"
         "  --once                      Collect once, print a health report, exit with the\n"
         "                              Nagios code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN\n"
         "                              (config error, or nothing to collect).\n"
         "  --format=FORMAT             With --once: text (a table), json, or prometheus.\n"
         "  --check-config              Validate the configuration and exit (0 valid, 3 not).\n"
         "  --version                   Print the version and exit.\n"
         "  --help                      Print this help and exit.\n"
         "\n"
         "Collectors (all enabled by default):\n";
  for (const auto& k : CollectorKinds()) {
    std::string name = k.name;
    name.resize(12, ' ');
    out << "  " << name << k.help << "\n";
  }
  out << "\n"
         "Endpoints: /metrics, /probe?target=URL&module=NAME, /probe?collector=NAME&target=NAME,\n"
         "/health, /-/reload (POST; SIGHUP also reloads), / (status page).\n";
  return out.str();
}

}  // namespace thoth

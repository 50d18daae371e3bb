#include "exporter/cli.h"

#include <sstream>

#include "exporter/registry.h"

namespace thoth {

namespace {

bool KnownKind(const std::string& name) {
  for (const auto& k : CollectorKinds()) {
    if (k.name == name) return true;
  }
  return false;
}

}  // namespace

Status ParseArgs(int argc, const char* const* argv, Options* out) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return Status::Error("unexpected argument \"" + arg + "\"");
    std::string name = arg;
    std::optional<std::string> value;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    auto take = [&](std::string* into) -> Status {
      if (!value) {
        if (i + 1 >= argc) return Status::Error(name + " needs a value");
        value = argv[++i];
      }
      *into = *value;
      return Status::Ok();
    };
    auto flag = [&](bool* into) -> Status {
      if (value) return Status::Error(name + " takes no value");
      *into = true;
      return Status::Ok();
    };
    Status s;
    std::string v;
    if (name == "--config.file") {
      s = take(&o.config_file);
    } else if (name == "--web.listen-address") {
      s = take(&v);
      o.listen_address = v;
      if (s.ok() && v.find(':') == std::string::npos) {
        s = Status::Error("--web.listen-address must be HOST:PORT, e.g. 0.0.0.0:9745");
      }
    } else if (name == "--web.telemetry-path") {
      s = take(&o.telemetry_path);
      if (s.ok() && (o.telemetry_path.empty() || o.telemetry_path[0] != '/')) {
        s = Status::Error("--web.telemetry-path must start with /");
      }
    } else if (name == "--web.config.file") {
      s = take(&o.web_config_file);
    } else if (name == "--log.level") {
      s = take(&v);
      o.log_level = v;
      if (s.ok() && v != "debug" && v != "info" && v != "warn" && v != "error") {
        s = Status::Error("--log.level must be debug, info, warn or error");
      }
    } else if (name == "--log.format") {
      s = take(&o.log_format);
      if (s.ok() && o.log_format != "text" && o.log_format != "json") {
        s = Status::Error("--log.format must be text or json");
      }
    } else if (name == "--once") {
      s = flag(&o.once);
    } else if (name == "--format") {
      s = take(&o.once_format);
      if (s.ok() && o.once_format != "text" && o.once_format != "json" &&
          o.once_format != "prometheus") {
        s = Status::Error("--format must be text, json or prometheus");
      }
    } else if (name == "--check-config") {
      s = flag(&o.check_config);
    } else if (name == "--version") {
      s = flag(&o.version);
    } else if (name == "--help" || name == "-h") {
      s = flag(&o.help);
    } else if (name.rfind("--collector.", 0) == 0 || name.rfind("--no-collector.", 0) == 0) {
      const bool enable = name.rfind("--collector.", 0) == 0;
      std::string kind = name.substr(enable ? 12 : 15);
      if (!KnownKind(kind)) {
        std::string list;
        for (const auto& k : CollectorKinds()) list += (list.empty() ? "" : ", ") + k.name;
        s = Status::Error("unknown collector \"" + kind + "\" (known: " + list + ")");
      } else if (value) {
        s = Status::Error(name + " takes no value");
      } else {
        o.selection.overrides[kind] = enable;
      }
    } else {
      s = Status::Error("unknown flag " + name + " (see --help)");
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

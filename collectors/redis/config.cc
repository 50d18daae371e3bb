#include "collectors/redis/config.h"

#include <charconv>

namespace thoth::redis {

namespace {

bool ParseInt(std::string_view text, int min, int max, int* out) {
  if (text.empty()) return false;
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < min || v > max) return false;
  *out = v;
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes URL userinfo; nullopt on a broken escape.
std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 1 < s.size() ? HexDigit(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? HexDigit(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// host, host:port, [v6]:port, [v6]: a TCP endpoint (port 6379 when none is given).
StatusOr<Endpoint> ParseHostPort(std::string_view hp) {
  std::string_view host = hp;
  std::string_view port;
  if (!hp.empty() && hp.front() == '[') {
    const size_t close = hp.find(']');
    if (close == std::string_view::npos) {
      return Status::Error("unclosed '[' in the host");
    }
    host = hp.substr(1, close - 1);
    std::string_view rest = hp.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return Status::Error("expected ':' after ']'");
      }
      port = rest.substr(1);
      if (port.empty()) {
        return Status::Error("empty port");
      }
    }
  } else {
    const size_t colon = hp.rfind(':');
    if (colon != std::string_view::npos) {
      if (hp.find(':') != colon) {
        return Status::Error("an IPv6 address must be written in brackets: [::1]:6379");
      }
      host = hp.substr(0, colon);
      port = hp.substr(colon + 1);
      if (port.empty()) {
        return Status::Error("empty port");
      }
    }
  }
  if (host.empty()) {
    return Status::Error("no host");
  }
  for (char c : host) {
    if (c == '/' || c == '@' || c == ' ' || c == '?' || c == '#') {
      return Status::Error("invalid character in the host");
    }
  }
  Endpoint ep;
  ep.host = std::string(host);
  if (!port.empty() && !ParseInt(port, 1, 65535, &ep.port)) {
    return Status::Error("the port must be a number from 1 to 65535");
  }
  return ep;
}

}  // namespace

std::string Endpoint::Display() const {
  if (unix_socket) return "unix://" + path;
  const bool v6 = host.find(':') != std::string::npos;
  return "redis://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

StatusOr<ParsedAddress> ParseAddress(std::string_view address) {
  ParsedAddress out;
  if (address.empty()) {
    return Status::Error("empty address");
  }
  if (address.starts_with("rediss://")) {
    return Status::Error(
        "rediss:// (TLS) is not supported: Debian 12's hiredis 0.14 is built without TLS; use "
        "redis:// on a trusted network or a local TLS tunnel (stunnel, spiped)");
  }
  if (address.starts_with("unix://")) {
    out.endpoint.unix_socket = true;
    out.endpoint.path = std::string(address.substr(7));
    if (out.endpoint.path.empty() || out.endpoint.path.front() != '/') {
      return Status::Error("a unix socket address must be unix:///absolute/path");
    }
    return out;
  }
  std::string_view rest = address;
  if (address.starts_with("redis://")) {
    rest.remove_prefix(8);
    // Path: an optional database number, ignored.
    const size_t slash = rest.find('/');
    if (slash != std::string_view::npos) {
      std::string_view db = rest.substr(slash + 1);
      int ignored = 0;
      if (!db.empty() && !ParseInt(db, 0, 1 << 20, &ignored)) {
        return Status::Error("the path of a redis:// address may only be a database number");
      }
      rest = rest.substr(0, slash);
    }
    const size_t at = rest.rfind('@');
    if (at != std::string_view::npos) {
      std::string_view userinfo = rest.substr(0, at);
      rest = rest.substr(at + 1);
      const size_t colon = userinfo.find(':');
      std::string_view user = userinfo.substr(0, colon);
      if (!user.empty()) {
        auto decoded = PercentDecode(user);
        if (!decoded) {
          return Status::Error("bad percent-escape in the user name");
        }
        out.user = *decoded;
      }
      if (colon != std::string_view::npos) {
        auto decoded = PercentDecode(userinfo.substr(colon + 1));
        if (!decoded) {
          return Status::Error("bad percent-escape in the password");
        }
        out.password = *decoded;
      }
    }
  } else if (address.find("://") != std::string_view::npos) {
    return Status::Error("unsupported scheme (expected redis://, unix:// or host:port)");
  }
  StatusOr<Endpoint> endpoint = ParseHostPort(rest);
  if (!endpoint.ok()) return endpoint.status();
  out.endpoint = std::move(*endpoint);
  return out;
}

StatusOr<CountKeysSpec> ParseCountKeys(std::string_view text) {
  CountKeysSpec spec;
  std::string_view pattern = text;
  // "dbN=" prefix is optional; a pattern may itself contain '=', so only a leading dbN counts.
  const size_t eq = text.find('=');
  if (eq != std::string_view::npos && text.starts_with("db")) {
    std::string_view digits = text.substr(2, eq - 2);
    if (!ParseInt(digits, 0, 1 << 20, &spec.db)) {
      return Status::Error("expected dbN=PATTERN (e.g. db0=ratelimit:*)");
    }
    pattern = text.substr(eq + 1);
  }
  if (pattern.empty()) {
    return Status::Error("empty key pattern");
  }
  spec.pattern = std::string(pattern);
  return spec;
}

TargetConfig ParseTargetConfig(const ConfigNode& node) {
  node.ExpectKeys({"name", "address", "username", "password", "password_file", "connect_timeout",
                   "command_timeout", "count_keys", "count_keys_timeout", "count_keys_batch",
                   "config_command"});
  TargetConfig c;
  const std::string address = node.String("address", "redis://localhost:6379");
  StatusOr<ParsedAddress> parsed = ParseAddress(address);
  if (!parsed.ok()) node.FailKey("address", parsed.status().message());
  c.endpoint = parsed->endpoint;
  c.name = node.String("name", c.endpoint.Display());
  if (c.name.empty()) node.FailKey("name", "must not be empty");

  c.password = node.Secret("password");
  // An empty password is none (Redis's own requirepass ""): the embedded default passes
  // "${REDIS_PASSWORD:-}", which is empty on a stack without one.
  if (c.password && c.password->empty()) c.password.reset();
  if (parsed->password) {
    if (c.password && *c.password != *parsed->password) {
      node.FailKey("address", "a password is given both in the URL and as password");
    }
    c.password = parsed->password;
  }
  if (node.Has("username")) {
    if (parsed->user) node.FailKey("username", "a user is given both in the URL and as username");
    c.username = node.String("username", "");
    if (c.username->empty()) node.FailKey("username", "must not be empty");
  } else {
    c.username = parsed->user;
  }
  if (c.username && !c.password) {
    node.FailKey(node.Has("username") ? "username" : "address",
                 "an ACL user needs a password (password or password_file)");
  }

  c.connect_timeout = node.Duration("connect_timeout", c.connect_timeout);
  c.command_timeout = node.Duration("command_timeout", c.command_timeout);
  c.count_keys_timeout = node.Duration("count_keys_timeout", c.count_keys_timeout);
  if (c.connect_timeout <= 0) node.FailKey("connect_timeout", "must be positive");
  if (c.command_timeout <= 0) node.FailKey("command_timeout", "must be positive");
  if (c.count_keys_timeout <= 0) node.FailKey("count_keys_timeout", "must be positive");
  const std::int64_t batch = node.Integer("count_keys_batch", c.count_keys_batch);
  if (batch < 1 || batch > 100000) node.FailKey("count_keys_batch", "must be 1 to 100000");
  c.count_keys_batch = static_cast<int>(batch);
  c.config_command = node.String("config_command", c.config_command);

  for (const auto& item : node.Child("count_keys").Items()) {
    StatusOr<CountKeysSpec> spec = ParseCountKeys(item.AsString());
    if (!spec.ok()) item.Fail(spec.status().message());
    for (const auto& other : c.count_keys) {
      if (other.db == spec->db && other.pattern == spec->pattern) item.Fail("listed twice");
    }
    c.count_keys.push_back(*spec);
  }
  c.fingerprint = node.Fingerprint();
  return c;
}

Status ParseConfig(const ConfigNode& section, std::vector<TargetConfig>* out) {
  return ParseTargetList(section, ParseTargetConfig, out);
}

}  // namespace thoth::redis

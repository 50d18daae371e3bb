#include "collectors/http/url_pattern.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

namespace thoth::http {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string StripBrackets(std::string host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

int DefaultPort(const std::string& scheme) { return scheme == "https" ? 443 : 80; }

struct UrlHandle {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// One part of a parsed URL; nullopt when the URL has none.
std::optional<std::string> Part(CURLU* u, CURLUPart what, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(u, what, &value, flags) != CURLUE_OK || value == nullptr) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

StatusOr<ProbeUrl> ParseOnce(std::string_view url) {
  for (unsigned char c : url) {
    if (c < 0x20 || c == 0x7f) return Status::Error("the URL contains a control character");
  }
  std::unique_ptr<CURLU, UrlHandle> u(curl_url());
  if (!u) return Status::Error("cannot parse URLs (out of memory)");
  const std::string text(url);
  // No CURLU_DEFAULT_SCHEME and no CURLU_NON_SUPPORT_SCHEME: a URL must say its scheme.
  CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0);
  if (rc != CURLUE_OK) {
    return Status::Error(std::string("not a valid URL: ") + curl_url_strerror(rc));
  }
  ProbeUrl out;
  out.scheme = Lower(Part(u.get(), CURLUPART_SCHEME).value_or(""));
  if (out.scheme != "http" && out.scheme != "https") {
    return Status::Error("only http and https URLs can be probed");
  }
  auto host = Part(u.get(), CURLUPART_HOST);
  if (!host || host->empty()) return Status::Error("the URL has no host");
  out.host = Lower(StripBrackets(*host));
  auto port = Part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  out.port = port ? std::atoi(port->c_str()) : DefaultPort(out.scheme);
  // libcurl accepts ":0" (and ":000"), which no server listens on and which a pattern with port
  // `*` would otherwise allow.
  if (out.port < 1 || out.port > 65535) {
    return Status::Error("the port must be between 1 and 65535");
  }
  out.has_credentials =
      Part(u.get(), CURLUPART_USER).has_value() || Part(u.get(), CURLUPART_PASSWORD).has_value();
  // One assignment of a whole string: GCC 12's -Wrestrict misreads `path = "/"` after the
  // assignment above when optimising (a false positive in Release builds).
  std::string path = Part(u.get(), CURLUPART_PATH).value_or(std::string());
  out.path_and_query = path.empty() ? std::string(1, '/') : std::move(path);
  // libcurl resolves literal dot segments but leaves encoded ones to the server, which may decode
  // "/public/%2e%2e/admin" into "/admin" after the allowlist approved "/public/*".
  const std::string lower_path = Lower(out.path_and_query);
  for (const char* encoded : {"%2e", "%2f", "%5c", "\\"}) {
    if (lower_path.find(encoded) != std::string::npos) {
      return Status::Error("encoded dots, slashes or backslashes in the path are not allowed");
    }
  }
  if (auto query = Part(u.get(), CURLUPART_QUERY)) out.path_and_query += "?" + *query;
  // A fragment never reaches the server; drop it so the fetched URL is exactly what was judged.
  curl_url_set(u.get(), CURLUPART_FRAGMENT, nullptr, 0);
  auto normalized = Part(u.get(), CURLUPART_URL);
  if (!normalized) return Status::Error("not a valid URL");
  out.normalized = *normalized;
  return out;
}

}  // namespace

StatusOr<ProbeUrl> ParseProbeUrl(std::string_view url) {
  auto out = ParseOnce(url);
  if (!out.ok()) return out;
  // What is fetched is the normalized URL: it must read as what was judged. libcurl decodes a
  // percent-encoded host after it has normalized numeric IPv4 forms, so "http://06%30/" is host
  // "060" here but 0.0.0.48 (octal) once normalized (found by url_pattern_fuzz).
  auto again = ParseOnce(out->normalized);
  if (!again.ok() || again->scheme != out->scheme || again->host != out->host ||
      again->port != out->port || again->path_and_query != out->path_and_query ||
      again->normalized != out->normalized) {
    return Status::Error("the URL reads differently once normalized (an encoded host?)");
  }
  return out;
}

StatusOr<ProbeUrl> ResolveRedirect(const ProbeUrl& from, std::string_view location) {
  if (location.empty()) return Status::Error("the redirect has an empty Location");
  for (unsigned char c : location) {
    if (c < 0x20 || c == 0x7f) {
      return Status::Error("the redirect Location contains a control character");
    }
  }
  std::unique_ptr<CURLU, UrlHandle> u(curl_url());
  if (!u) return Status::Error("cannot parse URLs (out of memory)");
  if (curl_url_set(u.get(), CURLUPART_URL, from.normalized.c_str(), 0) != CURLUE_OK) {
    return Status::Error("the redirecting URL does not parse");
  }
  // Setting a URL on a handle that holds one resolves it against that one when it is relative.
  // CURLU_NON_SUPPORT_SCHEME lets any scheme parse, so that it is refused below by name.
  const std::string text(location);
  CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) {
    return Status::Error(std::string("the redirect Location is not a valid URL: ") +
                         curl_url_strerror(rc));
  }
  const std::string scheme = Lower(Part(u.get(), CURLUPART_SCHEME).value_or(""));
  if (scheme != "http" && scheme != "https") {
    const bool printable =
        scheme.size() <= 16 && std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
          return std::isalnum(c) != 0 || c == '+' || c == '-' || c == '.';
        });
    return Status::Error("a redirect to a " + (printable ? scheme + ":" : std::string("non-http")) +
                         " URL is refused (only http and https)");
  }
  if (from.scheme == "https" && scheme == "http") {
    return Status::Error("a redirect from https to http is refused");
  }
  curl_url_set(u.get(), CURLUPART_FRAGMENT, nullptr, 0);
  auto resolved = Part(u.get(), CURLUPART_URL);
  if (!resolved) return Status::Error("the redirect Location is not a valid URL");
  auto out = ParseProbeUrl(*resolved);
  if (!out.ok()) return Status::Error("the redirect target is refused: " + out.status().message());
  return out;
}

// Splits an authority into host and port ("" when absent), a [v6] host unbracketed; the
// problem, or nullptr.
static const char* SplitAuthority(std::string_view authority, std::string_view* host,
                                  std::string_view* port) {
  *host = authority;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "unclosed [ in the host";
    *host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "unexpected text after the host";
      *port = after.substr(1);
      if (port->empty()) return "empty port";
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    *host = authority.substr(0, colon);
    *port = authority.substr(colon + 1);
    if (port->empty()) return "empty port";
  }
  if (host->empty()) return "the pattern has no host";
  if (*host == "*") return "a bare * host would allow every host; name the hosts";
  const auto star = host->find('*');
  if (star != std::string_view::npos && (star != 0 || host->size() < 3 || (*host)[1] != '.' ||
                                         host->find('*', 1) != std::string_view::npos)) {
    return "* in a host is only allowed as a leading label, as in *.example.com";
  }
  return nullptr;
}

// The port of a pattern: the scheme's default when absent, 0 for *; the problem, or nullptr.
static const char* ParsePatternPort(std::string_view port, const std::string& scheme, int* out) {
  if (port.empty()) {
    *out = DefaultPort(scheme);
  } else if (port == "*") {
    *out = 0;
  } else {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(),
                                        [](unsigned char c) { return std::isdigit(c) != 0; })) {
      return "the port must be a number or *";
    }
    *out = std::stoi(std::string(port));
    if (*out < 1 || *out > 65535) return "the port must be between 1 and 65535";
  }
  return nullptr;
}

StatusOr<UrlPattern> UrlPattern::Parse(std::string_view text) {
  for (unsigned char c : text) {
    if (c <= 0x20 || c == 0x7f) {
      return Status::Error("a URL pattern cannot contain spaces or controls");
    }
  }
  UrlPattern p;
  p.text_ = std::string(text);
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return Status::Error("expected SCHEME://HOST[:PORT][/PATH]");
  p.scheme_ = Lower(text.substr(0, sep));
  if (p.scheme_ != "http" && p.scheme_ != "https") {
    return Status::Error("the scheme must be http or https");
  }
  std::string_view rest = text.substr(sep + 3);
  const auto path_at = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view path = path_at == std::string_view::npos ? "" : rest.substr(path_at);
  if (authority.find('@') != std::string_view::npos) {
    return Status::Error("a URL pattern cannot contain credentials");
  }
  if (path.find('#') != std::string_view::npos) {
    return Status::Error("a URL pattern cannot have a fragment");
  }

  std::string_view host;
  std::string_view port;
  if (const char* why = SplitAuthority(authority, &host, &port)) return Status::Error(why);
  p.host_ = Lower(host);
  if (const char* why = ParsePatternPort(port, p.scheme_, &p.port_)) return Status::Error(why);

  // One string built in place: GCC 12's -Wrestrict misreads `"/" + std::string(path)` when
  // optimising with Debian's hardening flags (a false positive that fails Release builds).
  if (path.empty()) {
    p.path_glob_ = "/*";
  } else {
    std::string glob;
    glob.reserve(path.size() + 1);
    if (path.front() == '?') glob.push_back('/');
    glob.append(path);
    p.path_glob_ = std::move(glob);
  }
  return p;
}

bool UrlPattern::Matches(const ProbeUrl& url) const {
  if (url.scheme != scheme_) return false;
  if (port_ != 0 && url.port != port_) return false;
  if (host_.size() > 2 && host_[0] == '*') {
    const std::string_view suffix = std::string_view(host_).substr(1);  // ".example.com"
    if (url.host.size() <= suffix.size()) return false;
    if (url.host.compare(url.host.size() - suffix.size(), suffix.size(), suffix) != 0) {
      return false;
    }
  } else if (url.host != host_) {
    return false;
  }
  return GlobMatch(path_glob_, url.path_and_query);
}

bool GlobMatch(std::string_view glob, std::string_view text) {
  std::size_t g = 0, t = 0;
  std::size_t star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (g < glob.size() && glob[g] == '*') {
      star = g++;
      resume = t;
    } else if (g < glob.size() && glob[g] == text[t]) {
      ++g;
      ++t;
    } else if (star != std::string_view::npos) {
      g = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

}  // namespace thoth::http

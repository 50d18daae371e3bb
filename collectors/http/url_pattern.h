#pragma once

#include <string>
#include <string_view>

#include "exporter/status.h"

namespace thoth::http {

// A URL as libcurl itself understands it (curl_url), so that what the allowlist judges is what
// the client then fetches: no parser differential between the check and the request.
struct ProbeUrl {
  std::string scheme;          // "http" or "https", lower case
  std::string host;            // lower case; IPv6 without brackets
  int port = 0;                // explicit, or 80/443 from the scheme
  std::string path_and_query;  // "/health" or "/health?x=1" (no fragment)
  bool has_credentials = false;
  std::string normalized;  // the URL to fetch, as libcurl writes it back (no fragment)
};

// Parses an absolute http or https URL. An error for anything else (other schemes, relative or
// malformed URLs, control characters, and paths with encoded dots, slashes or backslashes, which
// a server may decode into a path the allowlist never saw).
StatusOr<ProbeUrl> ParseProbeUrl(std::string_view url);

// The URL a redirect leads to: `location` (the Location header of a response to `from`) resolved
// against `from` as RFC 3986 §5 says (relative paths, "//host/..." and "?query" forms), then
// parsed as ParseProbeUrl. An error for a target that is not http or https (file:, gopher:,
// ...), for a change from https to http, and for anything ParseProbeUrl refuses. Errors never
// repeat the location: it is the remote server's input.
StatusOr<ProbeUrl> ResolveRedirect(const ProbeUrl& from, std::string_view location);

// One entry of probe.allowed_targets. Syntax: SCHEME://HOST[:PORT][/PATH], where
// - SCHEME is http or https (a pattern never spans schemes);
// - HOST is a name or address, matched case-insensitively; `*.example.com` matches any name
//   ending in `.example.com` (not `example.com` itself); a bare `*` is refused, so a pattern
//   always names the hosts it opens;
// - PORT is a number or `*` (any port); absent means the scheme's default port;
// - PATH (with an optional ?query) is matched against the whole path and query of the URL,
//   where each `*` matches any run of characters; absent means `/*` (any path on that host).
// So `http://127.0.0.1:8000/health` allows one URL, `http://127.0.0.1:8000` every path on that
// port, and `https://*.svc.cluster.local:*/healthz*` any health URL in the cluster.
class UrlPattern {
 public:
  // The pattern, or an error that says what is wrong with it.
  static StatusOr<UrlPattern> Parse(std::string_view text);

  bool Matches(const ProbeUrl& url) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::string scheme_;
  std::string host_;  // "*.suffix" form keeps the leading "*."
  int port_ = 0;      // 0 = any
  std::string path_glob_;
};

// Glob match where `*` matches any run of characters (including none); everything else is
// literal. Two-pointer matching: at most len(glob) x len(text) steps, never exponential.
bool GlobMatch(std::string_view glob, std::string_view text);

}  // namespace thoth::http

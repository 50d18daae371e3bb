// /probe targets, the allowlist and the redirects a probed server answers with: the URL comes
// from whoever can reach /probe, the Location from whoever controls an allowed server. Input: an
// allowlist pattern on the first line, a URL on the second, and a redirect Location after it
// (inputs of two lines are a pattern and a URL, as before).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/http/ip_network.h"
#include "collectors/http/url_pattern.h"

namespace {

// Fetched as judged: a URL's normalized form parses to the same scheme, host, port and path.
void CheckReparses(const thoth::http::ProbeUrl& url) {
  if (url.scheme != "http" && url.scheme != "https") __builtin_trap();
  if (url.port <= 0 || url.port > 65535) __builtin_trap();
  auto again = thoth::http::ParseProbeUrl(url.normalized);
  if (!again.ok() || again->scheme != url.scheme || again->host != url.host ||
      again->port != url.port || again->path_and_query != url.path_and_query) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string_view pattern_text = input.substr(0, nl == std::string_view::npos ? input.size() : nl);
  std::string_view url_text = nl == std::string_view::npos ? input : input.substr(nl + 1);
  std::string_view location;
  bool has_location = false;
  if (size_t nl2 = url_text.find('\n');
      nl != std::string_view::npos && nl2 != std::string_view::npos) {
    location = url_text.substr(nl2 + 1);
    url_text = url_text.substr(0, nl2);
    has_location = true;
  }

  auto url = thoth::http::ParseProbeUrl(url_text);
  if (url.ok()) CheckReparses(*url);
  auto pattern = thoth::http::UrlPattern::Parse(pattern_text);
  if (pattern.ok() && url.ok()) (void)pattern->Matches(*url);

  if (url.ok() && has_location) {
    auto to = thoth::http::ResolveRedirect(*url, location);
    if (to.ok()) {
      // Only http and https, never a downgrade, and the hop is fetched as it was judged.
      CheckReparses(*to);
      if (url->scheme == "https" && to->scheme == "http") __builtin_trap();
      if (pattern.ok()) (void)pattern->Matches(*to);
      // An absolute target resolves to itself from anywhere it may be reached from.
      auto same = thoth::http::ResolveRedirect(*to, to->normalized);
      if (!same.ok() || same->normalized != to->normalized) __builtin_trap();
    }
  }

  // The pattern line as a denied network: a network contains the address it is written with.
  auto network = thoth::http::IpNetwork::Parse(pattern_text);
  if (network.ok()) {
    auto base = thoth::http::ParseIpAddress(pattern_text.substr(0, pattern_text.find('/')));
    if (!base || !network->Contains(*base)) __builtin_trap();
    if (url.ok()) {
      if (auto host_ip = thoth::http::ParseIpAddress(url->host)) (void)network->Contains(*host_ip);
    }
  }

  // Glob matching is quadratic at worst: keep inputs small enough for libFuzzer's timeout.
  if (pattern_text.size() <= 4096 && url_text.size() <= 4096) {
    bool m = thoth::http::GlobMatch(pattern_text, url_text);
    if (pattern_text.find('*') == std::string_view::npos && m != (pattern_text == url_text)) {
      __builtin_trap();
    }
    if (!thoth::http::GlobMatch("*", url_text)) __builtin_trap();
  }
  return 0;
}

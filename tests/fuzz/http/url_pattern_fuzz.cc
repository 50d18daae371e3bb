// /probe targets and the allowlist: the URL comes from whoever can reach /probe. Input: an
// allowlist pattern on the first line, a URL after it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/http/url_pattern.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string_view pattern_text = input.substr(0, nl == std::string_view::npos ? input.size() : nl);
  std::string_view url_text = nl == std::string_view::npos ? input : input.substr(nl + 1);

  std::string error;
  auto url = thoth::http::ParseProbeUrl(url_text, &error);
  if (url) {
    // Only http and https may ever be fetched.
    if (url->scheme != "http" && url->scheme != "https") __builtin_trap();
    if (url->port <= 0 || url->port > 65535) __builtin_trap();
    // What is fetched (normalized) must judge like what was checked: no parser differential.
    auto again = thoth::http::ParseProbeUrl(url->normalized, &error);
    if (!again || again->scheme != url->scheme || again->host != url->host ||
        again->port != url->port) {
      __builtin_trap();
    }
  }
  auto pattern = thoth::http::UrlPattern::Parse(pattern_text, &error);
  if (pattern && url) (void)pattern->Matches(*url);
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

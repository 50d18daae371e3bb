// The query string of /probe, from whoever can reach the port: civetweb's URL decoding into
// target, collector and module, then the target as the prober parses it for the allowlist.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collectors/http/url_pattern.h"
#include "exporter/http_server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string query(reinterpret_cast<const char*>(data), size);  // stops at a NUL
  thoth::ProbeQuery q = thoth::ParseProbeQuery(query.c_str());
  for (const auto& [value, present] :
       {std::pair{&q.target, q.has_target}, std::pair{&q.collector, q.has_collector},
        std::pair{&q.module, q.has_module}}) {
    if (!present && !value->empty()) __builtin_trap();  // absent means empty
    if (value->size() >= 8192) __builtin_trap();        // decoded values are bounded
  }
  if (q.has_target) {
    auto url = thoth::http::ParseProbeUrl(q.target);
    // Whatever the encoding tricks, only http and https ever reach libcurl.
    if (url.ok() && url->scheme != "http" && url->scheme != "https") __builtin_trap();
  }
  return 0;
}

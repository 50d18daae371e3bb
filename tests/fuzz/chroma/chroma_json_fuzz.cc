// Chroma's JSON answers (heartbeat, version, collection pages, counts, an embedding probe) and the
// description of an unexpected answer: the body of a server that may be anything listening on that
// port.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/chroma/chroma_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)thoth::chroma::ParseHeartbeat(body);
  (void)thoth::chroma::ParseVersion(body);
  std::vector<thoth::chroma::CollectionInfo> page;
  (void)thoth::chroma::ParseCollectionsPage(body, &page);
  auto count = thoth::chroma::ParseCount(body);
  if (count.ok() && *count < 0) __builtin_trap();  // promised non-negative
  (void)thoth::chroma::ParseEmbeddingProbe(body);
  // Details are short whatever the body: they end up in --once output and logs.
  if (thoth::chroma::Snippet(body).size() > 512) __builtin_trap();
  if (thoth::chroma::DescribeAnswer(static_cast<int>(size), body.substr(0, 40), body).size() >
      4096) {
    __builtin_trap();
  }
  return 0;
}

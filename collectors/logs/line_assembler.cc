#include "collectors/logs/line_assembler.h"

#include <cstring>

namespace thoth::logs {

void LineAssembler::Feed(std::string_view chunk, LineHandler& handler) {
  const char* p = chunk.data();
  const char* end = p + chunk.size();
  while (p < end) {
    const std::size_t left = static_cast<std::size_t>(end - p);
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', left));
    if (skipping_) {
      if (nl == nullptr) {
        skipped_ += left;
        return;
      }
      skipping_ = false;
      skipped_ = 0;
      handler.OnOverlongLine();
      p = nl + 1;
      continue;
    }
    if (nl == nullptr) {
      if (partial_.size() + left > max_) {
        skipping_ = true;
        skipped_ = partial_.size() + left;
        partial_.clear();
      } else {
        partial_.append(p, left);
      }
      return;
    }
    const std::size_t len = static_cast<std::size_t>(nl - p);
    if (!partial_.empty()) {
      if (partial_.size() + len > max_) {
        handler.OnOverlongLine();
      } else {
        partial_.append(p, len);
        handler.OnLine(partial_);
      }
      partial_.clear();
    } else if (len > max_) {
      handler.OnOverlongLine();
    } else {
      handler.OnLine(std::string_view(p, len));
    }
    p = nl + 1;
  }
}

void LineAssembler::Reset() {
  partial_.clear();
  skipping_ = false;
  skipped_ = 0;
}

}  // namespace thoth::logs

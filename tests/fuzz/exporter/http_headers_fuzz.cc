// Request headers the exporter interprets itself: Accept-Encoding and the scrape timeout.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/app.h"
#include "exporter/http_server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static thoth::App app(thoth::Options{});
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)thoth::AcceptsGzip(text.c_str());
  auto deadline = app.Deadline(text.c_str());
  // Never further out than the header allows (3600 s), never in the past by more than a moment.
  auto now = thoth::Clock::now();
  if (deadline > now + std::chrono::seconds(3601)) __builtin_trap();
  if (deadline < now - std::chrono::seconds(1)) __builtin_trap();
  return 0;
}

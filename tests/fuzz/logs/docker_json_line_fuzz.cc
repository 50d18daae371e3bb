// libFuzzer target: the Docker json-file record decoder and the handler that joins partial
// records. Nothing longer than the bound is ever handed on or kept, and every record that a
// strict JSON parser (nlohmann) reads as an object with a string `log` is decoded to the same
// text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "collectors/logs/docker_json_line.h"
#include "nlohmann/json.hpp"

namespace {

struct Checker : thoth::logs::LineHandler {
  std::size_t max = 0;
  void OnLine(std::string_view line) override {
    if (line.size() > max) std::abort();
  }
  void OnOverlongLine() override {}
  void OnRotation() override {}
  void OnTruncation() override {}
  void Flush() override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t max = 1 + data[0] % 128;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  thoth::logs::DockerJsonDecoder bounded(max);
  thoth::logs::DockerJsonRecord rec;
  if (bounded.Decode(text, &rec) && rec.log.size() > max) std::abort();

  // The input as several records, one a line, through the handler.
  Checker checker;
  checker.max = max;
  thoth::logs::DockerJsonHandler handler(&checker, max);
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    handler.OnLine(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }

  // Against a strict parser, for flat objects (the decoder bounds nesting; nlohmann keeps the
  // last of duplicate keys, the decoder the first).
  // (nlohmann also stops at a NUL byte, which the decoder reads as trailing garbage.)
  if (text.find('\0') != std::string_view::npos || text.find('[') != std::string_view::npos ||
      text.find('{', text.find('{') + 1) != std::string_view::npos) {
    return 0;
  }
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    auto it = doc.find("log");
    if (it != doc.end() && it->is_string()) {
      const std::string& want = it->get_ref<const std::string&>();
      std::size_t keys = 0;
      for (std::size_t p = text.find("\"log\""); p != std::string_view::npos;
           p = text.find("\"log\"", p + 1)) {
        ++keys;
      }
      thoth::logs::DockerJsonDecoder full(text.size() + 16);
      if (keys == 1 && (!full.Decode(text, &rec) || rec.log != want)) std::abort();
    }
  }
  return 0;
}

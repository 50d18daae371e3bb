// libFuzzer target: line assembly (lines must not depend on how the bytes were split into
// reads, and nothing longer than the bound is ever kept) and the state-file parser.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/logs/line_assembler.h"
#include "collectors/logs/state_file.h"

namespace {

struct Recorder : thoth::logs::LineHandler {
  std::size_t max = 0;
  std::vector<std::string> lines;
  int overlong = 0;
  void OnLine(std::string_view line) override {
    if (line.size() > max) std::abort();
    lines.emplace_back(line);
  }
  void OnOverlongLine() override { ++overlong; }
  void OnRotation() override {}
  void OnTruncation() override {}
  void Flush() override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max = 1 + data[0] % 64;
  const std::size_t piece = 1 + data[1] % 16;
  std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);

  Recorder whole, pieces;
  whole.max = pieces.max = max;
  thoth::logs::LineAssembler a(max), b(max);
  a.Feed(text, whole);
  for (std::size_t i = 0; i < text.size(); i += piece) b.Feed(text.substr(i, piece), pieces);
  if (whole.lines != pieces.lines || whole.overlong != pieces.overlong) std::abort();
  if (a.pending_bytes() != b.pending_bytes()) std::abort();
  std::size_t tail =
      text.size() - (text.rfind('\n') == std::string_view::npos ? 0 : text.rfind('\n') + 1);
  if (a.pending_bytes() != tail) std::abort();

  std::vector<thoth::logs::FilePosition> positions, again;
  if (thoth::logs::ParsePositions(text, &positions)) {
    if (!thoth::logs::ParsePositions(thoth::logs::FormatPositions(positions), &again)) std::abort();
    if (again.size() != positions.size()) std::abort();
    for (std::size_t i = 0; i < again.size(); ++i) {
      if (again[i].offset != positions[i].offset || again[i].inode != positions[i].inode) {
        std::abort();
      }
    }
  }
  return 0;
}

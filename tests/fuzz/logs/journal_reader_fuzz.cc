// libFuzzer target: the journal entry reader on damaged journal files, and the journal
// position parser. A real journal file (written once by systemd-journal-remote from Journal
// Export Format at start) is cut and patched by the input: cut anywhere (a file truncated in the
// middle), bytes overwritten anywhere. Reading it must neither crash nor hand on a line longer
// than the bound. Without systemd-journal-remote only the parser is fuzzed.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/logs/journal_source.h"
#include "collectors/logs/state_file.h"

namespace {

std::string g_journal;  // the real journal file's bytes, up to its last object

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

void MakeJournal() {
  char dir[] = "/tmp/thoth-journal-fuzz.XXXXXX";
  if (::mkdtemp(dir) == nullptr) return;
  const std::string file = std::string(dir) + "/seed.journal";
  const std::string cmd =
      "printf '__REALTIME_TIMESTAMP=1700000000000000\\n_SYSTEMD_UNIT=memory-service.service\\n"
      "MESSAGE=ERROR MEM-001 db\\n\\n__REALTIME_TIMESTAMP=1700000000000001\\n"
      "_SYSTEMD_UNIT=other.service\\nMESSAGE=MEM-002\\n\\n__REALTIME_TIMESTAMP=1700000000000002\\n"
      "_SYSTEMD_UNIT=memory-service.service\\nMESSAGE=two\\nlines\\n\\n' | "
      "/lib/systemd/systemd-journal-remote --output=" +
      file + " - 2>/dev/null";
  if (std::system(cmd.c_str()) == 0) {
    std::ifstream in(file, std::ios::binary);
    g_journal.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    // The file is preallocated: keep it up to its last non-zero byte.
    std::size_t used = g_journal.find_last_not_of('\0');
    g_journal.resize(used == std::string::npos ? 0 : (used + 8) / 8 * 8);
  }
  std::remove(file.c_str());
  ::rmdir(dir);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  MakeJournal();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  thoth::logs::JournalPosition position;
  if (thoth::logs::ParseJournalPosition(text, &position)) {
    thoth::logs::JournalPosition again;
    if (!thoth::logs::ParseJournalPosition(thoth::logs::FormatJournalPosition(position), &again) ||
        again.cursor != position.cursor || again.realtime_usec != position.realtime_usec) {
      std::abort();
    }
  }
  if (g_journal.empty() || size < 5) return 0;

  // 4 bytes: where to cut; then patches of (4-byte offset, 1-byte length, bytes).
  std::uint32_t cut = 0;
  std::memcpy(&cut, data, 4);
  std::string file = g_journal.substr(0, cut % (g_journal.size() + 1));
  std::size_t p = 4;
  while (p + 5 <= size && !file.empty()) {
    std::uint32_t at = 0;
    std::memcpy(&at, data + p, 4);
    std::size_t len = data[p + 4] % 16;
    p += 5;
    for (std::size_t i = 0; i < len && p < size; ++i, ++p) file[(at + i) % file.size()] = data[p];
  }

  int fd = ::memfd_create("journal", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (::write(fd, file.data(), file.size()) == static_cast<ssize_t>(file.size())) {
    Checker checker;
    checker.max = 1 + data[0] % 64;
    thoth::logs::JournalReader reader;
    if (reader.OpenFd(fd, data[1] % 2 ? "memory-service.service" : "").ok()) {
      reader.SeekHead();
      bool at_end = false;
      for (int batches = 0; !at_end && batches < 100; ++batches) {
        reader.Read(64, checker.max, checker, &at_end);
      }
      std::string cursor = reader.Cursor();
      if (!cursor.empty()) {
        reader.SeekAfterCursor(cursor);
        reader.Read(64, checker.max, checker, &at_end);
      }
    }
  }
  ::close(fd);
  return 0;
}

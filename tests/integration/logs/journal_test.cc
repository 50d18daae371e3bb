// The journal source against real journal files, written by Debian's systemd-journal-remote
// from Journal Export Format (no journald needed): only the configured unit is counted,
// entries appended while following are counted once, a restart resumes at the saved cursor,
// a journal file added and another removed under the reader, and one cut in the middle, are
// survived.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "collectors/logs/journal_source.h"
#include "collectors/logs/logs_collector.h"
#include "exporter/health_check.h"
#include "exporter/memory_errors.h"
#include "exporter/registry.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/process.h"

namespace thoth::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

constexpr const char* kJournalRemote = "/lib/systemd/systemd-journal-remote";

std::shared_ptr<Collector> MakeLog(const std::string& entry, MemoryErrors* errors,
                                   bool one_shot = false) {
  CollectorEnv env;
  env.memory_errors = errors;
  env.one_shot = one_shot;
  auto c = BuildCollectors("logs", ParseYaml("logs: [" + entry + "]", "test.yml"), env);
  return c.at(0);
}

template <typename Pred>
bool WaitFor(Pred pred, milliseconds timeout) {
  auto until = Steady::now() + timeout;
  while (!pred()) {
    if (Steady::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

std::string WaitingRow(const std::shared_ptr<Collector>& c) {
  std::vector<HealthCheck> checks;
  c->Checks({}, true, Thresholds{}, checks);
  for (const auto& row : checks) {
    if (row.check == "source") return row.value;
  }
  return "";
}

// Appends entries to a journal file (created when missing) through systemd-journal-remote:
// `n` entries of `unit`, every one carrying MEM-001 when `code`, and as many of other.service
// (always MEM-001: they must not be counted).
class JournalWriter {
 public:
  void Append(const std::string& file, const std::string& unit, int n, bool code = true) {
    std::string text;
    for (int i = 0; i < n; ++i) {
      for (const std::string& u : {unit, std::string("other.service")}) {
        std::uint64_t now =
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
        text += "__REALTIME_TIMESTAMP=" + std::to_string(now + seq_++) + "\n";
        text += "_SYSTEMD_UNIT=" + u + "\n";
        text += "MESSAGE=entry " + std::to_string(seq_) +
                ((code || u != unit) ? " ERROR MEM-001 connection timeout" : "") + "\n\n";
      }
    }
    std::string input = file + ".export";
    WriteFile(input, text);
    RunResult r = Run({kJournalRemote, "--output=" + file, input}, seconds(60));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    fs::remove(input);
  }

 private:
  std::uint64_t seq_ = 0;
};

class JournalSource : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kJournalRemote, X_OK) != 0) {
      GTEST_SKIP() << kJournalRemote << " missing (Debian package systemd-journal-remote)";
    }
    dir_ = MakeTempDir("thoth-logs-journal");
    journal_dir_ = dir_ + "/journal";
    fs::create_directories(journal_dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) RemoveTree(dir_);
  }
  std::string Entry(const std::string& unit = "memory-service.service") const {
    return "{name: mem, format: error_codes, journal: {unit: " + unit +
           ", directory: " + journal_dir_ + "}, state_file: " + dir_ + "/position}";
  }
  std::string dir_, journal_dir_;
  JournalWriter writer_;
};

TEST_F(JournalSource, CountsOnlyTheUnitOnceWhileFollowingAndResumesAtTheCursor) {
  const std::string a = journal_dir_ + "/a.journal";
  writer_.Append(a, "memory-service.service", 50);  // before the first start: not counted
  MemoryErrors errors;
  auto log = MakeLog(Entry(), &errors);
  log->Start();
  ASSERT_TRUE(WaitFor([&] { return fs::exists(dir_ + "/position"); }, seconds(10)));

  writer_.Append(a, "memory-service.service", 30);
  ASSERT_TRUE(WaitFor([&] { return errors.Get("MEM-001", "mem") >= 30; }, seconds(10)));
  writer_.Append(a, "memory-service.service", 20, /*code=*/false);
  writer_.Append(a, "memory-service.service", 7);
  ASSERT_TRUE(WaitFor([&] { return errors.Get("MEM-001", "mem") >= 37; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(errors.Get("MEM-001", "mem"), 37u);
  EXPECT_EQ(static_cast<logs::LogCollector&>(*log).counters().lines(), 57u);

  // Down while entries are written; a restart resumes after the last entry counted.
  log.reset();
  writer_.Append(a, "memory-service.service", 11);
  log = MakeLog(Entry(), &errors);
  log->Start();
  ASSERT_TRUE(WaitFor([&] { return errors.Get("MEM-001", "mem") >= 48; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(errors.Get("MEM-001", "mem"), 48u);

  // `--once` reads from the saved position and does not move it.
  log.reset();
  writer_.Append(a, "memory-service.service", 4);
  MemoryErrors once_errors;
  {
    auto once = MakeLog(Entry(), &once_errors, /*one_shot=*/true);
    once->Start();
    ScrapeContext ctx;
    ctx.deadline = std::chrono::steady_clock::now() + seconds(10);
    MetricSink sink;
    ASSERT_TRUE(once->Collect(ctx, sink).ok());
  }
  EXPECT_EQ(once_errors.Get("MEM-001", "mem"), 4u);
  log = MakeLog(Entry(), &errors);
  log->Start();
  ASSERT_TRUE(WaitFor([&] { return errors.Get("MEM-001", "mem") >= 52; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(errors.Get("MEM-001", "mem"), 52u);
}

TEST_F(JournalSource, NewFileAndRemovedFileUnderTheReader) {
  const std::string a = journal_dir_ + "/a.journal";
  const std::string b = journal_dir_ + "/b.journal";
  writer_.Append(a, "memory-service.service", 5);
  MemoryErrors errors;
  auto log = MakeLog(Entry(), &errors);
  log->Start();
  ASSERT_TRUE(WaitFor([&] { return fs::exists(dir_ + "/position"); }, seconds(10)));
  writer_.Append(a, "memory-service.service", 10);
  ASSERT_TRUE(WaitFor([&] { return errors.Get("MEM-001", "mem") >= 10; }, seconds(10)));

  // Rotation: the writer goes on in a new file; then the old one is vacuumed.
  writer_.Append(b, "memory-service.service", 12);
  ASSERT_TRUE(WaitFor([&] { return errors.Get("MEM-001", "mem") >= 22; }, seconds(10)));
  fs::remove(a);
  writer_.Append(b, "memory-service.service", 8);
  ASSERT_TRUE(WaitFor([&] { return errors.Get("MEM-001", "mem") >= 30; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(errors.Get("MEM-001", "mem"), 30u);

  // A restart whose cursor names an entry of the removed file: the entries after it, once.
  log.reset();
  writer_.Append(b, "memory-service.service", 3);
  log = MakeLog(Entry(), &errors);
  log->Start();
  ASSERT_TRUE(WaitFor([&] { return errors.Get("MEM-001", "mem") >= 33; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(errors.Get("MEM-001", "mem"), 33u);
}

TEST_F(JournalSource, MissingUnitAndDirectoryAreWaitedFor) {
  RemoveTree(journal_dir_);
  MemoryErrors errors;
  auto log = MakeLog(Entry(), &errors);
  log->Start();
  ASSERT_TRUE(WaitFor([&] { return WaitingRow(log).find("cannot open") != std::string::npos; },
                      seconds(10)))
      << WaitingRow(log);
  fs::create_directories(journal_dir_);
  writer_.Append(journal_dir_ + "/a.journal", "later.service", 2);
  ASSERT_TRUE(WaitFor(
      [&] { return WaitingRow(log).find("no entries of unit") != std::string::npos; }, seconds(10)))
      << WaitingRow(log);
  // The unit appears: its first entries are counted, and the landing page stops waiting.
  writer_.Append(journal_dir_ + "/a.journal", "memory-service.service", 6);
  ASSERT_TRUE(WaitFor([&] { return errors.Get("MEM-001", "mem") >= 6; }, seconds(10)));
  EXPECT_TRUE(WaitFor([&] { return WaitingRow(log).empty(); }, seconds(5))) << WaitingRow(log);
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(errors.Get("MEM-001", "mem"), 6u);
}

TEST_F(JournalSource, UnitAbsentFromAnEmptyJournalIsReadWhenItAppears) {
  // Opened on a directory without journal files, then on one with other units only: the first
  // entries of the unit that come later are all counted.
  MemoryErrors errors;
  auto log = MakeLog(Entry(), &errors);
  log->Start();
  ASSERT_TRUE(WaitFor([&] { return fs::exists(dir_ + "/position"); }, seconds(10)));
  EXPECT_NE(WaitingRow(log).find("no entries of unit memory-service.service"), std::string::npos)
      << WaitingRow(log);
  writer_.Append(journal_dir_ + "/a.journal", "later.service", 3);
  std::this_thread::sleep_for(milliseconds(300));
  writer_.Append(journal_dir_ + "/a.journal", "memory-service.service", 5);
  ASSERT_TRUE(WaitFor([&] { return errors.Get("MEM-001", "mem") >= 5; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(errors.Get("MEM-001", "mem"), 5u);
  EXPECT_TRUE(WaitFor([&] { return WaitingRow(log).empty(); }, seconds(5))) << WaitingRow(log);
}

// A journal file cut in the middle of its entries, its header's arena size made to match the
// cut (the header still names objects past it). The fuzz target patches such files further.
std::string CutJournal(const std::string& from, const std::string& to) {
  std::string bytes = ReadFile(from);
  std::size_t used = bytes.find_last_not_of('\0');
  used = used == std::string::npos ? 0 : (used + 8) / 8 * 8;
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data() + 88, 8);
  std::size_t cut = used / 2 / 8 * 8;  // in the middle of the entries (after the hash tables)
  cut = std::max<std::size_t>(cut, header_size + 8);
  bytes.resize(cut);
  std::uint64_t arena = cut - header_size;
  std::memcpy(bytes.data() + 96, &arena, 8);
  WriteFile(to, bytes);
  return to;
}

TEST_F(JournalSource, JournalFileTruncatedInTheMiddleIsSurvived) {
  const std::string staging = dir_ + "/staging";
  fs::create_directories(staging);
  writer_.Append(staging + "/full.journal", "memory-service.service", 300);
  const std::string cut = CutJournal(staging + "/full.journal", journal_dir_ + "/cut.journal");

  struct Count : logs::LineHandler {
    void OnLine(std::string_view) override { ++lines; }
    void OnOverlongLine() override {}
    void OnRotation() override {}
    void OnTruncation() override {}
    void Flush() override {}
    int lines = 0;
  } count;
  // sd-journal refuses a file whose objects do not fit it (the tail object past the end), or
  // reads the entries before the cut: either way no crash and no entry invented.
  logs::JournalReader reader;
  Status opened = reader.OpenFiles({cut}, "memory-service.service");
  if (opened.ok()) {
    reader.SeekHead();
    bool at_end = false;
    for (int i = 0; i < 100 && !at_end; ++i) reader.Read(1000, 65536, count, &at_end);
  }
  EXPECT_LT(count.lines, 300);
  std::printf("[ info ] %d of 300 entries read from a journal file cut in the middle (%s)\n",
              count.lines, opened.ok() ? "opened" : opened.message().c_str());

  // Beside it, a sound file: the source reads it, whatever the cut one holds.
  MemoryErrors errors;
  auto log = MakeLog(Entry(), &errors);
  log->Start();
  ASSERT_TRUE(WaitFor([&] { return fs::exists(dir_ + "/position"); }, seconds(10)));
  writer_.Append(journal_dir_ + "/b.journal", "memory-service.service", 9);
  ASSERT_TRUE(WaitFor([&] { return errors.Get("MEM-001", "mem") >= 9; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(errors.Get("MEM-001", "mem"), 9u);
}

}  // namespace
}  // namespace thoth::testing

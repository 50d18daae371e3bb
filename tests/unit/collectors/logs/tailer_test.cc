#include "collectors/logs/tailer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace thoth::logs {
namespace {

namespace fs = std::filesystem;

struct Counter : LineHandler {
  std::vector<std::string> lines;
  std::atomic<int> count{0};
  int overlong = 0, truncations = 0;
  std::atomic<int> rotations{0};  // read while a background tailer runs
  void OnLine(std::string_view line) override {
    lines.emplace_back(line);
    ++count;
  }
  void OnOverlongLine() override {
    ++overlong;
    ++count;
  }
  void OnRotation() override { ++rotations; }
  void OnTruncation() override { ++truncations; }
  void Flush() override {}
};

class TailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/thoth-tailer-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  void Append(const std::string& name, const std::string& text) {
    std::ofstream(Path(name), std::ios::app | std::ios::binary) << text;
  }
  TailerOptions Options(const std::string& glob) {
    TailerOptions o;
    o.name = "test";
    o.glob = Path(glob);
    o.use_inotify = false;
    return o;
  }
  // *.log from the start, polled every 5 ms, with a state file and the given rotate_wait.
  TailerOptions StateOptions(std::chrono::milliseconds rotate_wait) {
    TailerOptions o = Options("*.log");
    o.state_file = Path("positions");
    o.poll_interval = std::chrono::milliseconds(5);
    o.rotate_wait = rotate_wait;
    o.from_start = true;
    return o;
  }
  // Descriptors of this process that point at a path under the test directory.
  std::vector<std::string> OpenUnderDir() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
      std::error_code ec;
      auto target = fs::read_symlink(e.path(), ec);
      if (!ec && target.string().rfind(dir_, 0) == 0) out.push_back(target.string());
    }
    return out;
  }

  std::string dir_;
};

TEST_F(TailerTest, ExistingFilesStartAtTheEndNewFilesAtTheStart) {
  Append("a.log", "old 1\nold 2\n");
  Counter c;
  Tailer t(Options("*.log"), &c);
  t.PollOnce();
  EXPECT_EQ(c.count, 0);
  Append("a.log", "new 1\nnew 2\n");
  Append("b.log", "b 1\nb 2\nb 3\n");  // appeared after start: read from its first line
  t.PollOnce();
  EXPECT_EQ(c.count, 5);
  EXPECT_EQ(c.rotations.load(), 0);
}

TEST_F(TailerTest, StartsAtTheLastIncompleteLine) {
  Append("a.log", "done\nhal");
  Counter c;
  Tailer t(Options("a.log"), &c);
  t.PollOnce();
  Append("a.log", "f\n");
  t.PollOnce();
  EXPECT_EQ(c.lines, (std::vector<std::string>{"half"}));
}

TEST_F(TailerTest, FromStartReadsWhatIsThere) {
  Append("a.log", "1\n2\n3\nno newline at EOF");
  Counter c;
  auto o = Options("a.log");
  o.from_start = true;
  Tailer t(o, &c);
  t.PollOnce();
  EXPECT_EQ(c.count, 3);  // the last line waits for its newline
  Append("a.log", "\n");
  t.PollOnce();
  EXPECT_EQ(c.lines.back(), "no newline at EOF");
}

TEST_F(TailerTest, RenameRotationFinishesTheOldFileFirst) {
  Append("app.log", "");
  Counter c;
  auto o = Options("app.log");
  o.rotate_wait = std::chrono::milliseconds(0);
  Tailer t(o, &c);
  t.PollOnce();
  Append("app.log", "a1\na2\n");
  t.PollOnce();
  Append("app.log", "a3\npart");
  fs::rename(Path("app.log"), Path("app.log.1"));
  Append("app.log.1", "ial\na4\n");  // the writer has not reopened yet
  Append("app.log", "b1\n");
  t.PollOnce();
  EXPECT_EQ(c.lines, (std::vector<std::string>{"a1", "a2", "a3", "partial", "a4", "b1"}));
  EXPECT_EQ(c.rotations.load(), 1);
  t.PollOnce();  // idle for rotate_wait (0): the renamed file is let go
  EXPECT_EQ(OpenUnderDir(), (std::vector<std::string>{Path("app.log")}));
}

TEST_F(TailerTest, RenameWithinTheGlobIsTheSameFile) {
  Append("app.log", "");
  Counter c;
  Tailer t(Options("app.log*"), &c);
  t.PollOnce();
  Append("app.log", "a1\n");
  fs::rename(Path("app.log"), Path("app.log.1"));
  Append("app.log", "b1\n");
  t.PollOnce();
  t.PollOnce();
  EXPECT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(c.rotations.load(), 1);
}

TEST_F(TailerTest, CopyTruncateRestartsAtZero) {
  Append("app.log", "");
  Counter c;
  Tailer t(Options("app.log"), &c);
  t.PollOnce();
  Append("app.log", "1\n2\n3\n4\n");
  t.PollOnce();
  fs::resize_file(Path("app.log"), 0);
  Append("app.log", "5\n");
  t.PollOnce();
  EXPECT_EQ(c.count, 5);
  EXPECT_EQ(c.truncations, 1);
  EXPECT_EQ(c.lines.back(), "5");
}

TEST_F(TailerTest, DeletedFilesAreReadToTheEndAndLetGo) {
  Append("app.log", "");
  Counter c;
  Tailer t(Options("app.log"), &c);
  t.PollOnce();
  Append("app.log", "1\n2\n");
  ASSERT_EQ(OpenUnderDir().size(), 1u);
  fs::remove(Path("app.log"));
  t.PollOnce();
  EXPECT_EQ(c.count, 2);
  EXPECT_TRUE(OpenUnderDir().empty());  // no descriptor kept on a deleted file
  Append("app.log", "3\n");             // re-created
  t.PollOnce();
  EXPECT_EQ(c.count, 3);
  EXPECT_EQ(c.rotations.load(), 1);
}

TEST_F(TailerTest, OverlongLinesAreCountedNotKept) {
  Append("a.log", "");
  Counter c;
  auto o = Options("a.log");
  o.max_line_bytes = 1024;
  Tailer t(o, &c);
  t.PollOnce();
  Append("a.log", std::string(1 << 20, 'x'));
  t.PollOnce();
  Append("a.log", "\nafter\n");
  t.PollOnce();
  EXPECT_EQ(c.overlong, 1);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"after"}));
}

TEST_F(TailerTest, CompressedRotationsAndDirectoriesAreIgnored) {
  Counter c;
  auto o = Options("*");
  Tailer t(o, &c);
  t.PollOnce();
  Append("access.log.2.gz", "\x1f\x8b binary\n");
  fs::create_directory(Path("sub.log"));
  Append("access.log", "1\n");
  t.PollOnce();
  EXPECT_EQ(c.lines, (std::vector<std::string>{"1"}));
}

TEST_F(TailerTest, StateFileResumesExactly) {
  const std::string state = Path("positions");
  Append("a.log", "before start\n");
  auto o = Options("a.log");
  o.state_file = state;
  o.poll_interval = std::chrono::milliseconds(10);
  o.from_start = true;
  Counter first;
  {
    Tailer t(o, &first);
    t.Start();
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    Append("a.log", "1\n2\nhalf");
    while (first.count < 3 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }  // stopped: positions written
  ASSERT_EQ(first.count, 3);
  Append("a.log", " line\n3\n");  // while "down"
  Counter second;
  Tailer t2(o, &second);
  t2.PollOnce();
  EXPECT_EQ(second.lines, (std::vector<std::string>{"half line", "3"}));
}

// Runs a background tailer until `handler` has seen `lines` lines, then stops it (which writes
// the state file).
void RunUntil(const TailerOptions& o, Counter* handler, int lines) {
  Tailer t(o, handler);
  t.Start();
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (handler->count < lines && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a few more passes
}

TEST_F(TailerTest, FileMissingFromTheGlobWhenStoppingKeepsItsPosition) {
  // A directory read that races a rename can miss the renamed file for one pass. Moving the
  // file out of the glob and back plays that miss, with the stop in between: the file must
  // resume where it was, not be read again as a new file.
  auto o = StateOptions(std::chrono::milliseconds(60000));
  Append("a.log", "1\n2\n");
  Counter first;
  {
    Tailer t(o, &first);
    t.Start();
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (first.count < 2 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(fs::file_size(Path("a.log")), 4u);
    fs::rename(Path("a.log"), Path("a.hidden"));
    until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (first.rotations == 0 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(first.rotations.load(), 1);  // seen as gone before the stop
  }
  fs::rename(Path("a.hidden"), Path("b.log"));
  Append("b.log", "3\n");
  Counter second;
  RunUntil(o, &second, 1);
  EXPECT_EQ(second.lines, (std::vector<std::string>{"3"}));
}

TEST_F(TailerTest, StatePositionsNotFoundYetAreWrittenBack) {
  // A restart whose passes miss a file of the state file, then another restart: the second one
  // still knows the file's position.
  auto o = StateOptions(std::chrono::milliseconds(60000));
  Append("a.log", "1\n2\n");
  Counter first;
  RunUntil(o, &first, 2);
  ASSERT_EQ(first.count, 2);
  fs::rename(Path("a.log"), Path("a.hidden"));
  Append("c.log", "x\n");  // something to read, so that the second run writes its positions
  Counter second;
  RunUntil(o, &second, 1);
  ASSERT_EQ(second.lines, (std::vector<std::string>{"x"}));
  fs::rename(Path("a.hidden"), Path("a.log"));
  Append("a.log", "3\n");
  Counter third;
  RunUntil(o, &third, 1);
  EXPECT_EQ(third.lines, (std::vector<std::string>{"3"}));
}

TEST_F(TailerTest, StatePositionsNotFoundAreForgottenAfterRotateWait) {
  auto o = StateOptions(std::chrono::milliseconds(0));
  Append("a.log", "1\n2\n");
  Counter first;
  RunUntil(o, &first, 2);
  fs::rename(Path("a.log"), Path("a.hidden"));
  Counter second;
  RunUntil(o, &second, 0);
  std::ifstream in(Path("positions"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("a.log"), std::string::npos) << text;
}

TEST_F(TailerTest, BackgroundThreadStopsPromptly) {
  Counter c;
  auto o = Options("a.log");
  o.poll_interval = std::chrono::milliseconds(60000);
  Tailer t(o, &c);
  t.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto start = std::chrono::steady_clock::now();
  t.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace thoth::logs

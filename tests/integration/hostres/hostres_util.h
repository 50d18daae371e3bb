#pragma once

#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "exporter/collector.h"
#include "exporter/config_reader.h"
#include "tests/integration/harness/process.h"

namespace thoth::testing {

// Small helpers shared by the host-resource integration tests (one binary).

inline std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  return s;
}

// Runs a shell line and returns its trimmed output (failing the test if it fails).
inline std::string ShellOut(const std::string& command) {
  RunResult r = Shell(command, std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.output;
  return Trim(r.output);
}

inline double ShellNumber(const std::string& command) {
  std::string out = ShellOut(command);
  try {
    return std::stod(out);
  } catch (...) {
    ADD_FAILURE() << command << " printed \"" << out << "\"";
    return std::nan("");
  }
}

// Builds the collectors of one kind from YAML text and runs one collection.
template <typename Factory>
std::shared_ptr<Collector> Build(Factory make, const std::string& yaml) {
  auto collectors = make(ParseYaml(yaml, "test.yml"), CollectorEnv{});
  EXPECT_EQ(collectors.size(), 1u) << yaml;
  return collectors.empty() ? nullptr : collectors[0];
}

inline MetricSink CollectOnce(Collector& c, Status* status = nullptr) {
  MetricSink sink(c.TargetLabel());
  Status s = c.Collect(ScrapeContext{Clock::now() + std::chrono::seconds(8)}, sink);
  EXPECT_TRUE(s.ok()) << c.Kind() << ": " << s.message();
  if (status != nullptr) *status = s;
  return sink;
}

inline double Sample(const MetricSink& sink, const std::string& name, const Labels& labels) {
  double v = std::nan("");
  FindSample(sink.families(), name, labels, &v);
  return v;
}

// A copy of /bin/sleep under a distinctive name, so that its processes are told apart by their
// command line from everything else on the host.
inline std::string DistinctSleep(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  EXPECT_EQ(Shell("cp /bin/sleep " + path).exit_code, 0);
  return path;
}

}  // namespace thoth::testing

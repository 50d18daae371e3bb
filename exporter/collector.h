#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "exporter/health_check.h"
#include "exporter/metric_sink.h"
#include "exporter/status.h"
#include "exporter/thresholds.h"

namespace thoth {

class MemoryErrors;

using Clock = std::chrono::steady_clock;

// What one collection may know about the scrape it serves.
struct ScrapeContext {
  // The most the engine keeps back from the deadline for I/O: a collection that gives up at
  // IoDeadline() still has time to write what it knows (e.g. pg_up 0 and its reason) and hand
  // the result back before the engine declares it late.
  static constexpr Clock::duration kMaxIoMargin = std::chrono::milliseconds(100);

  ScrapeContext() = default;
  ScrapeContext(Clock::time_point deadline_in) : deadline(deadline_in) {}  // NOLINT: implicit

  Clock::time_point deadline;
  Clock::time_point start = Clock::now();  // when the collection began

  double SecondsLeft() const {
    return std::chrono::duration<double>(deadline - Clock::now()).count();
  }
  bool Expired() const { return Clock::now() >= deadline; }

  // The deadline for network and disk I/O: `deadline` minus a tenth of the scrape's budget, at
  // most kMaxIoMargin. Collectors bound every connect, request and wait by this, never by a
  // margin of their own.
  Clock::time_point IoDeadline() const {
    const Clock::duration budget = deadline - start;
    const Clock::duration margin =
        std::clamp<Clock::duration>(budget / 10, Clock::duration::zero(), kMaxIoMargin);
    return deadline - margin;
  }
  double IoSecondsLeft() const {
    return std::chrono::duration<double>(IoDeadline() - Clock::now()).count();
  }
};

// Shared, long-lived services handed to collectors when they are made. Outlives every collector.
struct CollectorEnv {
  MemoryErrors* memory_errors = nullptr;  // MEM-00x counters observed by the exporter itself
  Thresholds thresholds;
  // `exporter --once`: one collection, then exit. Collectors keep no background work and
  // persist nothing (e.g. log positions), so that a one-shot run cannot disturb a running
  // exporter's state.
  bool one_shot = false;
};

// Who a collector is: fixed at construction, the same for the life of the instance.
struct CollectorId {
  std::string kind;          // as in --collector.KIND: "postgres", "redis", ...
  std::string target;        // the configured target name; the kind for single-instance kinds
  std::string target_label;  // value of the `target` label on every sample; "" adds none
  std::string fingerprint;   // changes with the target's configuration (secrets included)

  // A target of a kind with many (postgres, redis, chroma, http, json): samples carry
  // target="<target>".
  static CollectorId Labelled(std::string kind, std::string target, std::string fingerprint) {
    std::string label = target;
    return {std::move(kind), std::move(target), std::move(label), std::move(fingerprint)};
  }
  // A target whose samples carry their own identifying label instead (backup, logs).
  static CollectorId Unlabelled(std::string kind, std::string target, std::string fingerprint) {
    return {std::move(kind), std::move(target), "", std::move(fingerprint)};
  }
  // The one instance of a kind without targets (filesystem, process, container): its target is
  // the kind's name and its samples carry no target label.
  static CollectorId Single(std::string kind, std::string fingerprint) {
    std::string target = kind;
    return {std::move(kind), std::move(target), "", std::move(fingerprint)};
  }
};

// One configured target of one collector kind (e.g. postgres/"memory-db"). Kinds without
// targets (filesystem, process, container) have one instance whose target is the kind's name.
//
// Contract:
// - Construction has no side effects (no connections, no threads); Start() begins background
//   work for kinds that have it (log tailing) and the destructor ends it.
// - Collect() is called from a scrape thread, never concurrently for the same instance (the
//   scrape engine coalesces concurrent scrapes into one in-flight collection per target).
// - Collect() bounds its I/O by ctx.IoDeadline() and returns by ctx.deadline; the engine does
//   not wait longer and reports a late collection as failed.
// - A returned error means collector_success 0; metrics written before it are still served
//   (e.g. pg_up 0). Errors are Status values; Collect() catches only the exceptions of
//   libraries that throw (nlohmann/json, yaml-cpp, std::sto*) and turns them into a Status.
// - The engine is the one exception boundary: an exception that escapes Collect() fails the
//   collection ("internal error: ..."), keeps the metrics written so far, and then calls
//   AfterThrow() on the same thread, where a collector drops state that may be half-updated
//   (a connection in mid-protocol). Collectors add no try/catch of their own around Collect().
// - Threads: TimedOut() and Checks() may run on another thread WHILE a late Collect() of the
//   same instance is still running (the engine gave up waiting for it; `--once` then judges
//   what it has). They may read only what Collect() never writes (the configuration, the
//   identity) or state guarded by a mutex or an atomic; they must not block on Collect().
//   Stop() too may run beside a late Collect() (the exporter exits on a signal mid-scrape).
class Collector {
 public:
  explicit Collector(CollectorId id) : id_(std::move(id)) {}
  virtual ~Collector() = default;
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // The kind, as in --collector.KIND: "postgres", "redis", ...
  const std::string& Kind() const { return id_.kind; }
  // The configured target name.
  const std::string& Target() const { return id_.target; }
  // Value of the `target` label the sink adds to every sample; "" adds none.
  const std::string& TargetLabel() const { return id_.target_label; }
  // Changes whenever this target's configuration changes (secrets included; never printed).
  // On reload an instance whose kind, target and fingerprint are unchanged is kept, with its
  // connections and state.
  const std::string& Fingerprint() const { return id_.fingerprint; }

  virtual void Start() {}
  // Called once when the exporter exits on a signal: ends background work and writes what must
  // survive a restart (e.g. log positions). Must return promptly. Collect may still be called.
  virtual void Stop() {}

  virtual Status Collect(const ScrapeContext& ctx, MetricSink& sink) = 0;
  // Called by the engine, on the collecting thread, after Collect() threw: drop whatever the
  // interrupted collection may have left half-done (e.g. close a connection) and write what is
  // known (e.g. pg_up 0) into `sink`, which holds what Collect() wrote before it threw.
  // `error` is the message the collection fails with ("internal error: ..."); a collector whose
  // exceptions may quote a secret scrubs it here.
  virtual void AfterThrow(MetricSink& sink, std::string& error) {
    (void)sink;
    (void)error;
  }
  // Writes what is known of a target whose collection missed the scrape deadline, e.g.
  // `pg_up 0`, so that "down" alerts fire for a hung target too. Must not block; may run
  // beside the late Collect() (see the contract above).
  virtual void TimedOut(MetricSink& sink) const { (void)sink; }

  // --once rows judged from this target's last collection (its families and success). May run
  // beside a late Collect() (see the contract above).
  virtual void Checks(const Families& families, bool success, const Thresholds& thresholds,
                      std::vector<HealthCheck>& out) const {
    (void)families;
    (void)thresholds;
    out.push_back({Kind(), Target(), "collected", success ? "yes" : "no", "",
                   success ? Severity::kOk : Severity::kCritical});
  }

 private:
  const CollectorId id_;
};

}  // namespace thoth

#pragma once

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
  Clock::time_point deadline;

  double SecondsLeft() const {
    return std::chrono::duration<double>(deadline - Clock::now()).count();
  }
  bool Expired() const { return Clock::now() >= deadline; }
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

// One configured target of one collector kind (e.g. postgres/"memory-db"). Kinds without
// targets (filesystem, process, container) have one instance whose target is the kind's name.
//
// Contract:
// - Collect() is called from a scrape thread, never concurrently for the same instance (the
//   scrape engine coalesces concurrent scrapes into one in-flight collection per target).
// - Collect() should return by ctx.deadline; the engine does not wait longer, and reports a late
//   collection as failed. It must not throw (the engine also catches, as a last resort).
// - A returned error means collector_success 0; metrics written before it are still served
//   (e.g. pg_up 0).
// - Construction has no side effects (no connections, no threads); Start() begins background
//   work for kinds that have it (log tailing) and the destructor ends it.
class Collector {
 public:
  virtual ~Collector() = default;

  // The kind, as in --collector.NAME: "postgres", "redis", ...
  virtual const std::string& Name() const = 0;
  // The configured target name.
  virtual const std::string& Target() const = 0;
  // Value of the `target` label the sink adds to every sample; "" adds none.
  virtual std::string TargetLabel() const { return Target(); }
  // Changes whenever this target's configuration changes (secrets included; never printed).
  // On reload an instance whose kind, target and fingerprint are unchanged is kept, with its
  // connections and state.
  virtual const std::string& Fingerprint() const = 0;

  virtual void Start() {}
  // Called once when the exporter exits on a signal: ends background work and writes what must
  // survive a restart (e.g. log positions). Must return promptly. Collect may still be called.
  virtual void Stop() {}

  // Writes what is known of a target whose collection missed the scrape deadline, e.g.
  // `pg_up 0`, so that "down" alerts fire for a hung target too. Must not block.
  virtual void TimedOut(MetricSink& sink) const { (void)sink; }
  virtual Status Collect(const ScrapeContext& ctx, MetricSink& sink) = 0;

  // --once rows judged from this target's last collection (its families and success).
  virtual void Checks(const Families& families, bool success, const Thresholds& thresholds,
                      std::vector<HealthCheck>& out) const {
    (void)families;
    (void)thresholds;
    out.push_back({Name(), Target(), "collected", success ? "yes" : "no", "",
                   success ? Severity::kOk : Severity::kCritical});
  }
};

}  // namespace thoth

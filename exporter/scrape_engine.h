#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/collector.h"
#include "exporter/metric_sink.h"

namespace thoth {

// What one target's collection produced for one scrape.
struct TargetResult {
  std::string collector;
  std::string target;
  bool success = false;
  bool timed_out = false;
  double duration_seconds = 0;
  double cache_age_seconds = 0;
  std::string error;  // empty on success; never contains a secret
  std::shared_ptr<const Families> families;
};

// Runs collectors concurrently under a deadline.
//
// - Each target is collected on its own thread; Collect() waits for all of them, but never past
//   the deadline. A target still running then is reported as timed out (collector_success 0)
//   and left to finish in the background.
// - Concurrent Collect() calls share one in-flight collection per target: a second scrape that
//   arrives while a target is being collected waits for that collection instead of starting
//   another, so a database is never queried twice at once and a hung target holds one thread.
// - No exception escapes a collection thread.
// - Logs one line when a target goes down and one when it comes back.
// Thread-safe.
class ScrapeEngine {
 public:
  ScrapeEngine() = default;
  ScrapeEngine(const ScrapeEngine&) = delete;
  ScrapeEngine& operator=(const ScrapeEngine&) = delete;

  // Installs a new set of collectors (at start and on reload). An instance with the same kind,
  // target and fingerprint as a running one is dropped in favour of the running one, which keeps
  // its connections and state; new instances are started.
  // By value: the engine holds the only references once it returns, so an instance dropped in
  // favour of a running one dies here (App::Install relies on it).
  void SetCollectors(std::vector<std::shared_ptr<Collector>> collectors);
  std::vector<std::shared_ptr<Collector>> Collectors() const;

  using Filter = std::function<bool(const Collector&)>;
  // Collects every target that passes `filter` (all when empty). Results are in registration
  // order.
  std::vector<TargetResult> Collect(Clock::time_point deadline, const Filter& filter = {});

  // The last result of every target, for the landing page.
  std::vector<TargetResult> LastResults() const;

  // Takes back the buffers of results whose text has been written out: *results is emptied,
  // and each target's families are cleared once nothing else reads them (Families::Clear keeps
  // the capacity of ordinary families), so that a target of hundreds of tables does not hold
  // its last megabytes of text until its next collection.
  void Release(std::vector<TargetResult>* results);

 private:
  struct Inflight;
  // One target's place in the engine, shared by the instances that succeed one another at
  // reloads. `latest` is the instance that collects next; a replaced instance is referenced only
  // by `entries_` until the reload and by its own in-flight collection, never by a scrape that
  // waits, so it closes its connections before its successor can open any.
  struct Slot {
    std::mutex mu;  // guards latest and current
    std::shared_ptr<Collector> latest;
    std::shared_ptr<Inflight> current;
    // The families of the last collection: refilled by the next one once nobody reads them
    // any more, so that steady scraping reuses the same buffers.
    std::shared_ptr<Families> buffers;
  };
  struct Entry {
    std::shared_ptr<Collector> collector;
    std::shared_ptr<Slot> slot;
  };

  // SetCollectors' steps. EntryFor: the entry of `c` in the next set, the running one when kind,
  // target and fingerprint are unchanged (*is_new false), else `c` in its predecessor's slot or
  // a new one (requires mu_). ForgetGone: drops the last results of targets not in `next`
  // (requires mu_). HandOver: gives each taken-over slot its new instance.
  Entry EntryFor(const std::shared_ptr<Collector>& c, bool* is_new) const;
  void ForgetGone(const std::vector<Entry>& next);
  static void HandOver(const std::vector<Entry>& next, std::vector<Entry>& old);
  static std::shared_ptr<Inflight> StartOrJoin(const std::shared_ptr<Slot>& slot,
                                               Clock::time_point deadline);
  void Remember(const TargetResult& result);

  mutable std::mutex mu_;
  std::vector<Entry> entries_;
  std::map<std::pair<std::string, std::string>, TargetResult> last_;
};

// The text exposition of every result's families followed by `extra`: one family per name (the
// first HELP and TYPE win) in first-seen order, its samples in result order; samples of a family
// whose type conflicts with the first are dropped. Each family's text is copied once, into an
// output sized beforehand.
std::string SerializeResults(const std::vector<TargetResult>& results, const Families& extra);

}  // namespace thoth

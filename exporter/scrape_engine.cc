#include "exporter/scrape_engine.h"

#include <condition_variable>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "exporter/metric_sink.h"
#include "spdlog/spdlog.h"

namespace thoth {

struct ScrapeEngine::Inflight {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  TargetResult result;
};

namespace {

// Lets the collector drop what an interrupted collection left half-done; never throws.
void AfterThrow(Collector& collector, MetricSink& sink, std::string& error) {
  try {
    collector.AfterThrow(sink, error);
  } catch (const std::exception& e) {
    spdlog::error("collector {} target {}: after an exception: {}", collector.Kind(),
                  collector.Target(), e.what());
  } catch (...) {
    spdlog::error("collector {} target {}: after an exception: unknown exception", collector.Kind(),
                  collector.Target());
  }
}

// Runs one collection into `buffers` (cleared first); never throws. The one exception boundary
// of every collector.
TargetResult RunCollection(Collector& collector, Clock::time_point deadline,
                           std::shared_ptr<Families> buffers) {
  TargetResult r;
  r.collector = collector.Kind();
  r.target = collector.Target();
  MetricSink sink(collector.TargetLabel(), std::move(*buffers));
  const auto start = Clock::now();
  try {
    ScrapeContext ctx{deadline};
    Status status = collector.Collect(ctx, sink);
    r.success = status.ok();
    r.error = status.message();
  } catch (const std::exception& e) {
    r.success = false;
    r.error = std::string("internal error: ") + e.what();
    AfterThrow(collector, sink, r.error);
  } catch (...) {
    r.success = false;
    r.error = "internal error: unknown exception";
    AfterThrow(collector, sink, r.error);
  }
  r.duration_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.cache_age_seconds = sink.cache_age_seconds();
  *buffers = sink.Take();
  r.families = std::move(buffers);
  return r;
}

}  // namespace

ScrapeEngine::Entry ScrapeEngine::EntryFor(const std::shared_ptr<Collector>& c,
                                           bool* is_new) const {
  for (const auto& e : entries_) {
    if (e.collector->Kind() == c->Kind() && e.collector->Target() == c->Target() &&
        e.collector->Fingerprint() == c->Fingerprint()) {
      *is_new = false;
      return e;
    }
  }
  *is_new = true;
  // A changed target takes over its predecessor's slot (see HandOver): a scrape that arrives
  // while the old instance is still collecting (a hung server) joins that collection instead
  // of opening a second connection to the same target.
  Entry entry{c, nullptr};
  for (const auto& e : entries_) {
    if (e.collector->Kind() == c->Kind() && e.collector->Target() == c->Target()) {
      entry.slot = e.slot;
      return entry;
    }
  }
  entry.slot = std::make_shared<Slot>();
  entry.slot->latest = c;
  return entry;
}

void ScrapeEngine::ForgetGone(const std::vector<Entry>& next) {
  for (auto it = last_.begin(); it != last_.end();) {
    bool present = false;
    for (const auto& e : next) {
      present = present || (e.collector->Kind() == it->first.first &&
                            e.collector->Target() == it->first.second);
    }
    it = present ? std::next(it) : last_.erase(it);
  }
}

void ScrapeEngine::HandOver(const std::vector<Entry>& next, std::vector<Entry>& old) {
  // Each taken-over slot gets its new instance, and the old list lets go of the replaced one
  // under that slot's lock: unless it is collecting (its collection thread then lets go of it
  // before the slot is free), the replaced instance closes its connections here, before its
  // successor can start a collection. Scrapes never hold an instance while they wait.
  for (const auto& e : next) {
    std::lock_guard<std::mutex> slot_lock(e.slot->mu);
    if (e.slot->latest == e.collector) continue;
    std::shared_ptr<Collector> replaced = std::move(e.slot->latest);
    e.slot->latest = e.collector;
    for (auto& o : old) {
      if (o.collector == replaced) o.collector.reset();
    }
    replaced.reset();
  }
}

void ScrapeEngine::SetCollectors(std::vector<std::shared_ptr<Collector>> collectors) {
  std::vector<Entry> next;
  std::vector<std::shared_ptr<Collector>> to_start;
  std::vector<Entry> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& c : collectors) {
      bool is_new = false;
      next.push_back(EntryFor(c, &is_new));
      if (is_new) to_start.push_back(std::move(c));
    }
    ForgetGone(next);  // the last results of targets that are gone
    old.swap(entries_);
    entries_ = next;
  }
  HandOver(next, old);
  // Instances of targets that are gone die here or when their last in-flight collection ends.
  old.clear();
  for (auto& c : to_start) {
    try {
      c->Start();
    } catch (const std::exception& e) {
      spdlog::error("collector {} target {}: cannot start: {}", c->Kind(), c->Target(), e.what());
    }
  }
}

std::vector<std::shared_ptr<Collector>> ScrapeEngine::Collectors() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<Collector>> out;
  for (const auto& e : entries_) out.push_back(e.collector);
  return out;
}

std::shared_ptr<ScrapeEngine::Inflight> ScrapeEngine::StartOrJoin(const std::shared_ptr<Slot>& slot,
                                                                  Clock::time_point deadline) {
  std::lock_guard<std::mutex> lock(slot->mu);
  if (slot->current) return slot->current;
  auto inflight = std::make_shared<Inflight>();
  slot->current = inflight;
  // The last collection's buffers are ours again when nothing else holds them (no scrape is
  // still writing them out): nobody can take a new reference to them then, since every other
  // holder is gone.
  std::shared_ptr<Families> buffers;
  if (slot->buffers && slot->buffers.use_count() == 1) {
    buffers = std::move(slot->buffers);
  } else {
    buffers = std::make_shared<Families>();
  }
  slot->buffers = buffers;
  // The thread owns everything it touches, so it may outlive this scrape, a reload and the
  // engine itself.
  std::thread([collector = slot->latest, slot, inflight, deadline,
               buffers = std::move(buffers)]() mutable {
    TargetResult r = RunCollection(*collector, deadline, std::move(buffers));
    // Let go of the collector before the slot is free: a replaced instance then closes its
    // connections before its successor can open any.
    collector.reset();
    {
      std::lock_guard<std::mutex> slot_lock(slot->mu);
      if (slot->current == inflight) slot->current.reset();
    }
    {
      std::lock_guard<std::mutex> done_lock(inflight->mu);
      inflight->result = std::move(r);
      inflight->done = true;
    }
    inflight->cv.notify_all();
  }).detach();
  return inflight;
}

std::vector<TargetResult> ScrapeEngine::Collect(Clock::time_point deadline, const Filter& filter) {
  std::vector<Entry> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& e : entries_) {
      if (!filter || filter(*e.collector)) entries.push_back(e);
    }
  }
  std::vector<std::shared_ptr<Inflight>> inflights;
  std::vector<std::shared_ptr<Slot>> slots;
  inflights.reserve(entries.size());
  slots.reserve(entries.size());
  for (const auto& e : entries) {
    inflights.push_back(StartOrJoin(e.slot, deadline));
    slots.push_back(e.slot);
  }
  // Hold no instance while waiting: one replaced by a reload meanwhile must be free to go.
  entries.clear();

  std::vector<TargetResult> results;
  results.reserve(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    Inflight& in = *inflights[i];
    std::unique_lock<std::mutex> lock(in.mu);
    if (in.cv.wait_until(lock, deadline, [&] { return in.done; })) {
      results.push_back(in.result);
      continue;
    }
    lock.unlock();
    // Late: report what the collector knows about an unreachable target (e.g. pg_up 0).
    std::shared_ptr<Collector> latest;
    {
      std::lock_guard<std::mutex> slot_lock(slots[i]->mu);
      latest = slots[i]->latest;
    }
    TargetResult r;
    r.collector = latest->Kind();
    r.target = latest->Target();
    r.timed_out = true;
    r.error = "collection did not finish before the scrape deadline";
    MetricSink sink(latest->TargetLabel());
    try {
      latest->TimedOut(sink);
    } catch (...) {
    }
    r.families = std::make_shared<const Families>(sink.Take());
    results.push_back(std::move(r));
  }
  for (const auto& r : results) Remember(r);
  return results;
}

void ScrapeEngine::Remember(const TargetResult& result) {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = std::make_pair(result.collector, result.target);
  auto it = last_.find(key);
  const bool was_up = it == last_.end() ? true : it->second.success;
  if (was_up && !result.success) {
    spdlog::warn("collector {} target {} is failing: {}", result.collector, result.target,
                 result.error);
  } else if (!was_up && result.success) {
    spdlog::info("collector {} target {} recovered", result.collector, result.target);
  }
  TargetResult summary = result;
  summary.families.reset();  // the landing page needs the outcome, not the samples
  last_[key] = std::move(summary);
}

void ScrapeEngine::Release(std::vector<TargetResult>* results) {
  results->clear();
  std::vector<std::shared_ptr<Slot>> slots;
  {
    std::lock_guard<std::mutex> lock(mu_);
    slots.reserve(entries_.size());
    for (const auto& e : entries_) slots.push_back(e.slot);
  }
  for (const auto& slot : slots) {
    std::lock_guard<std::mutex> lock(slot->mu);
    // use_count 1: no collection is writing them and no scrape is reading them.
    if (slot->buffers && slot->buffers.use_count() == 1) slot->buffers->Clear();
  }
}

std::vector<TargetResult> ScrapeEngine::LastResults() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TargetResult> out;
  for (const auto& e : entries_) {
    auto it = last_.find({e.collector->Kind(), e.collector->Target()});
    if (it != last_.end()) {
      out.push_back(it->second);
    } else {
      TargetResult never;
      never.collector = e.collector->Kind();
      never.target = e.collector->Target();
      never.error = "not collected yet";
      out.push_back(std::move(never));
    }
  }
  return out;
}

std::string SerializeResults(const std::vector<TargetResult>& results, const Families& extra) {
  // Every family of every part, grouped by name; the parts outlive this call, so their names
  // key the index.
  struct Group {
    const Family* first;
    std::vector<const Family*> more;
  };
  std::vector<Group> groups;
  std::unordered_map<std::string_view, std::size_t> index;
  std::size_t total = 0;
  auto add = [&](const Families& part) {
    for (const Family& f : part) {
      auto [it, inserted] = index.try_emplace(f.name, groups.size());
      if (inserted) {
        groups.push_back({&f, {}});
        total += f.text.size() + 2 * f.name.size() + f.help.size() + 32;
        continue;
      }
      Group& g = groups[it->second];
      if (g.first->type != f.type) continue;  // the first type wins
      g.more.push_back(&f);
      total += f.text.size();
    }
  };
  for (const auto& r : results) {
    if (r.families) add(*r.families);
  }
  add(extra);
  std::string out;
  out.reserve(total);
  for (const Group& g : groups) {
    AppendText(*g.first, &out);
    for (const Family* f : g.more) out.append(f->text);
  }
  return out;
}

}  // namespace thoth

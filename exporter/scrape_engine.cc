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

// Runs one collection; never throws. The one exception boundary of every collector.
TargetResult RunCollection(Collector& collector, Clock::time_point deadline) {
  TargetResult r;
  r.collector = collector.Kind();
  r.target = collector.Target();
  MetricSink sink(collector.TargetLabel());
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
  r.families = std::make_shared<const std::vector<prometheus::MetricFamily>>(sink.Take());
  return r;
}

}  // namespace

void ScrapeEngine::SetCollectors(std::vector<std::shared_ptr<Collector>> collectors) {
  std::vector<Entry> next;
  std::vector<std::shared_ptr<Collector>> to_start;
  std::vector<Entry> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& c : collectors) {
      const Entry* kept = nullptr;
      for (const auto& e : entries_) {
        if (e.collector->Kind() == c->Kind() && e.collector->Target() == c->Target() &&
            e.collector->Fingerprint() == c->Fingerprint()) {
          kept = &e;
          break;
        }
      }
      if (kept != nullptr) {
        next.push_back(*kept);
        continue;
      }
      // A changed target takes over its predecessor's slot (below): a scrape that arrives
      // while the old instance is still collecting (a hung server) joins that collection
      // instead of opening a second connection to the same target.
      Entry entry{c, nullptr};
      for (const auto& e : entries_) {
        if (e.collector->Kind() == c->Kind() && e.collector->Target() == c->Target()) {
          entry.slot = e.slot;
          break;
        }
      }
      if (entry.slot == nullptr) {
        entry.slot = std::make_shared<Slot>();
        entry.slot->latest = c;
      }
      next.push_back(std::move(entry));
      to_start.push_back(c);
    }
    // Forget the last results of targets that are gone.
    for (auto it = last_.begin(); it != last_.end();) {
      bool present = false;
      for (const auto& e : next) {
        present = present || (e.collector->Kind() == it->first.first &&
                              e.collector->Target() == it->first.second);
      }
      it = present ? std::next(it) : last_.erase(it);
    }
    old.swap(entries_);
    entries_ = next;
  }
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
  // The thread owns everything it touches, so it may outlive this scrape, a reload and the
  // engine itself.
  std::thread([collector = slot->latest, slot, inflight, deadline]() mutable {
    TargetResult r = RunCollection(*collector, deadline);
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
    r.families = std::make_shared<const std::vector<prometheus::MetricFamily>>(sink.Take());
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

std::vector<prometheus::MetricFamily> MergeFamilies(const std::vector<TargetResult>& results) {
  std::vector<prometheus::MetricFamily> merged;
  std::unordered_map<std::string, size_t> index;
  for (const auto& r : results) {
    if (!r.families) continue;
    for (const auto& f : *r.families) {
      auto [it, inserted] = index.try_emplace(f.name, merged.size());
      if (inserted) {
        merged.push_back(f);
        continue;
      }
      auto& into = merged[it->second];
      if (into.type != f.type) continue;
      into.metric.insert(into.metric.end(), f.metric.begin(), f.metric.end());
    }
  }
  return merged;
}

namespace {

// One family's text as the serializer wrote it: its `# HELP`/`# TYPE` lines, then its samples.
struct TextBlock {
  std::string_view name;
  std::string_view type;
  std::string_view header;
  std::string_view samples;
  bool has_help = false;
  bool has_type = false;
};

// The `<name>` and the rest of a `# HELP <name> ...` or `# TYPE <name> <type>` line.
bool HeaderLine(std::string_view line, std::string_view* name, std::string_view* rest) {
  if (line.rfind("# HELP ", 0) != 0 && line.rfind("# TYPE ", 0) != 0) return false;
  std::string_view tail = line.substr(7);
  size_t space = tail.find(' ');
  *name = tail.substr(0, space);
  *rest = space == std::string_view::npos ? std::string_view() : tail.substr(space + 1);
  return true;
}

// Splits the serializer's output into families. Header lines start with "# "; sample lines
// never do. A family starts at a header line that follows a sample or names another family.
std::vector<TextBlock> SplitBlocks(std::string_view text) {
  std::vector<TextBlock> blocks;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    end = end == std::string_view::npos ? text.size() : end + 1;
    std::string_view line = text.substr(pos, end - pos);
    std::string_view name, rest;
    if (HeaderLine(line, &name, &rest)) {
      const bool help = line[2] == 'H';
      if (blocks.empty() || !blocks.back().samples.empty() || blocks.back().name != name ||
          blocks.back().has_type || (help && blocks.back().has_help)) {
        blocks.push_back({name, {}, text.substr(pos, 0), text.substr(end, 0)});
      }
      TextBlock& b = blocks.back();
      if (help) {
        b.has_help = true;
      } else {
        b.has_type = true;
        b.type = rest;
        while (!b.type.empty() && b.type.back() == '\n') b.type.remove_suffix(1);
      }
      b.header = std::string_view(b.header.data(), b.header.size() + line.size());
      b.samples = text.substr(end, 0);
    } else if (!blocks.empty()) {
      TextBlock& b = blocks.back();
      b.samples = std::string_view(b.samples.data(), b.samples.size() + line.size());
    }
    pos = end;
  }
  return blocks;
}

}  // namespace

std::string SerializeResults(const std::vector<TargetResult>& results,
                             const std::vector<prometheus::MetricFamily>& extra) {
  std::vector<std::string> texts;
  texts.reserve(results.size() + 1);
  for (const auto& r : results) {
    if (!r.families || r.families->empty()) continue;
    texts.emplace_back();
    AppendText(*r.families, &texts.back());
  }
  if (!extra.empty()) {
    texts.emplace_back();
    AppendText(extra, &texts.back());
  }
  struct Group {
    std::string_view type;
    std::string_view header;
    std::vector<std::string_view> samples;
  };
  std::vector<Group> groups;
  std::unordered_map<std::string_view, size_t> index;
  size_t total = 0;
  bool regrouped = false;
  for (const auto& text : texts) {
    for (const TextBlock& b : SplitBlocks(text)) {
      auto [it, inserted] = index.try_emplace(b.name, groups.size());
      if (inserted) {
        groups.push_back({b.type, b.header, {b.samples}});
        total += b.header.size() + b.samples.size();
        continue;
      }
      regrouped = true;
      Group& g = groups[it->second];
      if (g.type != b.type) continue;  // as MergeFamilies: the first type wins
      g.samples.push_back(b.samples);
      total += b.samples.size();
    }
  }
  // One part whose family names are all distinct is already the answer.
  if (texts.size() == 1 && !regrouped) return std::move(texts.front());
  std::string out;
  out.reserve(total);
  for (const Group& g : groups) {
    out.append(g.header);
    for (std::string_view s : g.samples) out.append(s);
  }
  return out;
}

}  // namespace thoth

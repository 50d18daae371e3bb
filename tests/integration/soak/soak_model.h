// The fault soak's model of its dependencies and the rule by which it judges a scrape's `*_up`.
// Pure logic (no servers, no clock): unit-tested in soak_model_test.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace thoth::testing::soak {

// What a target is known to be after a change has taken effect.
enum class Expect {
  kUp,       // confirmed: the server answers its protocol's ping
  kDown,     // confirmed: connections are refused (stopped) or never answered (frozen)
  kUnknown,  // the change was not confirmed: no scrape is judged against it
};
const char* ExpectName(Expect e);

// One change of one target. A change is in flux from `begin` (the action starts) to `at` (its
// effect confirmed, or the confirmation given up); no scrape that overlaps that window is judged
// for the target, and a scrape is judged against the last change confirmed before it started.
struct Event {
  double begin = 0;
  double at = 0;
  std::string target;
  std::string what;  // "stop", "freeze", "thaw", "restart", "stop (frozen)", "reload (good)", ...
  Expect expect = Expect::kUnknown;
  std::string note;  // how it was confirmed, or why it was not
};

// The verdict on one target in one scrape.
struct Verdict {
  enum Kind {
    kJudged,     // `expect` applies; compare it with the scrape's value
    kInFlux,     // a change of the target overlapped the scrape
    kTooRecent,  // the last change is younger than the interval
    kUnknown,    // the last change's outcome is unknown
  } kind = kJudged;
  Expect expect = Expect::kUp;
  const Event* last = nullptr;  // the change judged against (nullptr: none, up since the start)
  double since = 0;             // seconds from last->at (or from 0) to the scrape's start
};

// Judges target's `*_up` in a scrape that ran from start to end, given all events (ordered by
// `at`) and the interval within which a change must show. Before any event a target is up.
Verdict Judge(const std::vector<Event>& events, const std::string& target, double start, double end,
              double interval);

// The events of target whose window touches [from, to], in order.
std::vector<const Event*> EventsAround(const std::vector<Event>& events, const std::string& target,
                                       double from, double to);

}  // namespace thoth::testing::soak

#include "tests/integration/soak/soak_model.h"

namespace thoth::testing::soak {

const char* ExpectName(Expect e) {
  switch (e) {
    case Expect::kUp:
      return "up";
    case Expect::kDown:
      return "down";
    case Expect::kUnknown:
      return "unknown";
  }
  return "?";
}

Verdict Judge(const std::vector<Event>& events, const std::string& target, double start, double end,
              double interval) {
  Verdict v;
  for (const auto& e : events) {
    if (e.target != target) continue;
    if (e.begin < end && e.at > start) {
      v.kind = Verdict::kInFlux;
      v.last = &e;
      return v;
    }
    if (e.at <= start) v.last = &e;
  }
  v.since = v.last != nullptr ? start - v.last->at : start;
  if (v.since < interval) {
    v.kind = Verdict::kTooRecent;
    return v;
  }
  v.expect = v.last != nullptr ? v.last->expect : Expect::kUp;
  if (v.expect == Expect::kUnknown) v.kind = Verdict::kUnknown;
  return v;
}

std::vector<const Event*> EventsAround(const std::vector<Event>& events, const std::string& target,
                                       double from, double to) {
  std::vector<const Event*> out;
  for (const auto& e : events) {
    if (e.target == target && e.at >= from && e.begin <= to) out.push_back(&e);
  }
  return out;
}

}  // namespace thoth::testing::soak

// The soak's judging rule on hand-made event lists (no servers): built into the soak binary, so
// soak_short runs it too.
#include "tests/integration/soak/soak_model.h"

#include "gtest/gtest.h"

namespace thoth::testing::soak {
namespace {

constexpr double kInterval = 6;

TEST(SoakModel, UpBeforeAnyEvent) {
  Verdict v = Judge({}, "cache", 10, 11, kInterval);
  EXPECT_EQ(v.kind, Verdict::kJudged);
  EXPECT_EQ(v.expect, Expect::kUp);
  EXPECT_EQ(Judge({}, "cache", 3, 4, kInterval).kind, Verdict::kTooRecent);
}

TEST(SoakModel, JudgedAgainstTheLastConfirmedChangeOfTheTarget) {
  std::vector<Event> events = {{20, 20.1, "cache", "stop", Expect::kDown, ""},
                               {25, 25.5, "queue", "freeze", Expect::kDown, ""},
                               {30, 31, "cache", "restart", Expect::kUp, ""}};
  Verdict v = Judge(events, "cache", 27, 28, kInterval);
  EXPECT_EQ(v.kind, Verdict::kJudged);
  EXPECT_EQ(v.expect, Expect::kDown);
  EXPECT_DOUBLE_EQ(v.since, 27 - 20.1);
  EXPECT_EQ(v.last, &events[0]);
  EXPECT_EQ(Judge(events, "cache", 40, 41, kInterval).expect, Expect::kUp);
  EXPECT_EQ(Judge(events, "queue", 40, 41, kInterval).expect, Expect::kDown);
}

// The change counts from its confirmation, not from when it was begun.
TEST(SoakModel, IntervalCountsFromTheConfirmation) {
  std::vector<Event> events = {{20, 28, "cache", "restart", Expect::kUp, ""}};
  EXPECT_EQ(Judge(events, "cache", 33, 34, kInterval).kind, Verdict::kTooRecent);
  EXPECT_EQ(Judge(events, "cache", 34, 35, kInterval).kind, Verdict::kJudged);
}

// A scrape that overlaps a change's window from begin to confirmation is not judged, whichever
// way it overlaps.
TEST(SoakModel, ScrapeOverlappingAChangeIsNotJudged) {
  std::vector<Event> events = {{20, 20.1, "cache", "stop", Expect::kDown, ""},
                               {40, 45, "cache", "restart", Expect::kUp, ""}};
  EXPECT_EQ(Judge(events, "cache", 39, 41, kInterval).kind, Verdict::kInFlux);  // over begin
  EXPECT_EQ(Judge(events, "cache", 42, 43, kInterval).kind, Verdict::kInFlux);  // inside
  EXPECT_EQ(Judge(events, "cache", 44, 46, kInterval).kind, Verdict::kInFlux);  // over the end
  EXPECT_EQ(Judge(events, "cache", 30, 39.9, kInterval).kind, Verdict::kJudged);
  EXPECT_EQ(Judge(events, "queue", 42, 43, kInterval).kind, Verdict::kJudged);
}

// A change whose outcome is unknown (a restart that was not seen answering, a stop after which
// something still answered) is never used to judge, until a later confirmed change.
TEST(SoakModel, UnknownOutcomeIsNotJudged) {
  std::vector<Event> events = {{10, 10.1, "cache", "stop", Expect::kDown, ""},
                               {20, 50, "cache", "restart", Expect::kUnknown, "no PONG in 30 s"},
                               {60, 61, "cache", "restart", Expect::kUp, ""}};
  EXPECT_EQ(Judge(events, "cache", 55, 56, kInterval).kind, Verdict::kTooRecent);
  Verdict v = Judge(events, "cache", 57, 58, kInterval);
  EXPECT_EQ(v.kind, Verdict::kUnknown);
  EXPECT_EQ(v.last, &events[1]);
  EXPECT_EQ(Judge(events, "cache", 70, 71, kInterval).expect, Expect::kUp);
}

TEST(SoakModel, EventsAroundSelectsTheTargetsWindow) {
  std::vector<Event> events = {{10, 11, "cache", "stop", Expect::kDown, ""},
                               {12, 13, "queue", "stop", Expect::kDown, ""},
                               {50, 51, "cache", "restart", Expect::kUp, ""},
                               {90, 91, "cache", "stop", Expect::kDown, ""}};
  auto around = EventsAround(events, "cache", 11, 60);
  ASSERT_EQ(around.size(), 2u);
  EXPECT_EQ(around[0], &events[0]);
  EXPECT_EQ(around[1], &events[2]);
}

}  // namespace
}  // namespace thoth::testing::soak

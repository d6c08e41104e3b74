// The error tracker: per-code counts over sliding windows and threshold notifications, on a
// manual clock.
#include <gtest/gtest.h>

#include <bitactor/resilience/error_tracker.hpp>
#include <bitactor/resilience/events.hpp>
#include <chrono>
#include <vector>

namespace resilience = bitactor::resilience;
using namespace std::chrono_literals;
using resilience::error;
using resilience::error_category;
using resilience::threshold_crossed;

namespace {
const error db_timeout(error_category::timeout, "database_timeout");
}

TEST(error_tracker, fifteen_timeouts_within_a_minute_notify_once_with_at_least_ten) {
  resilience::manual_clock clock;
  resilience::error_tracker tracker(clock.source());
  std::vector<threshold_crossed> told;
  tracker.subscribe("database_timeout", 10, 1min,
                    [&](const threshold_crossed& t) { told.push_back(t); });
  for (int i = 0; i < 15; ++i) {
    tracker.record(db_timeout);
    clock.advance(2s);
  }
  ASSERT_EQ(told.size(), 1u);  // once per burst, not once per error past the threshold
  EXPECT_GE(told[0].count, 10u);
  EXPECT_EQ(told[0].code, "database_timeout");
  EXPECT_EQ(told[0].threshold, 10u);
  EXPECT_EQ(told[0].window, 1min);
}

TEST(error_tracker, errors_spread_wider_than_the_window_do_not_notify) {
  resilience::manual_clock clock;
  resilience::error_tracker tracker(clock.source());
  int told = 0;
  tracker.subscribe("database_timeout", 10, 1min, [&](const threshold_crossed&) { ++told; });
  for (int i = 0; i < 15; ++i) {
    tracker.record(db_timeout);
    clock.advance(7s);  // at most 9 fall within any minute
  }
  EXPECT_EQ(told, 0);
  EXPECT_LE(tracker.count("database_timeout", 1min), 9u);
}

TEST(error_tracker, other_codes_do_not_count_toward_a_subscription) {
  resilience::manual_clock clock;
  resilience::error_tracker tracker(clock.source());
  int told = 0;
  tracker.subscribe("database_timeout", 3, 1min, [&](const threshold_crossed&) { ++told; });
  for (int i = 0; i < 10; ++i) tracker.record("cache_miss");
  EXPECT_EQ(told, 0);
  EXPECT_EQ(tracker.count("cache_miss", 1min), 10u);
  EXPECT_EQ(tracker.count("database_timeout", 1min), 0u);
}

TEST(error_tracker, a_subscription_fires_again_after_the_count_falls_below_the_threshold) {
  resilience::manual_clock clock;
  resilience::error_tracker tracker(clock.source());
  int told = 0;
  tracker.subscribe("database_timeout", 3, 10s, [&](const threshold_crossed&) { ++told; });
  for (int i = 0; i < 3; ++i) tracker.record(db_timeout);
  EXPECT_EQ(told, 1);
  clock.advance(11s);          // the first burst leaves the window
  tracker.record(db_timeout);  // count 1: re-armed
  tracker.record(db_timeout);
  tracker.record(db_timeout);  // count 3 again
  EXPECT_EQ(told, 2);
}

TEST(error_tracker, counts_only_the_errors_inside_the_window) {
  resilience::manual_clock clock;
  resilience::error_tracker tracker(clock.source());
  tracker.record(db_timeout);
  clock.advance(30s);
  tracker.record(db_timeout);
  EXPECT_EQ(tracker.count("database_timeout", 1min), 2u);
  EXPECT_EQ(tracker.count("database_timeout", 10s), 1u);
  clock.advance(31s);
  EXPECT_EQ(tracker.count("database_timeout", 1min), 1u);
}

TEST(error_tracker, an_unsubscribed_callback_is_not_called) {
  resilience::manual_clock clock;
  resilience::error_tracker tracker(clock.source());
  int told = 0;
  auto id = tracker.subscribe("x", 1, 1min, [&](const threshold_crossed&) { ++told; });
  EXPECT_TRUE(tracker.unsubscribe(id));
  EXPECT_FALSE(tracker.unsubscribe(id));
  tracker.record("x");
  EXPECT_EQ(told, 0);
}

TEST(error_tracker, a_crossing_is_emitted_as_an_event) {
  resilience::manual_clock clock;
  resilience::error_tracker tracker(clock.source());
  tracker.subscribe("x", 2, 1min, nullptr);
  std::vector<resilience::event> seen;
  auto id = resilience::attach({"bitactor", "error_tracker"},
                               [&](const resilience::event& e) { seen.push_back(e); });
  tracker.record("x");
  tracker.record("x");
  resilience::detach(id);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].name.back(), "threshold_crossed");
  EXPECT_EQ(*seen[0].meta("code"), "x");
  EXPECT_EQ(*seen[0].measurement("count"), 2.0);
}

TEST(error_tracker, keeps_at_most_max_per_code_times) {
  resilience::manual_clock clock;
  resilience::error_tracker tracker(clock.source(), {.retention = 1h, .max_per_code = 5});
  for (int i = 0; i < 20; ++i) tracker.record("x");
  EXPECT_EQ(tracker.count("x", 1h), 5u);
}

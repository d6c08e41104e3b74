// Timeouts too long to add to the clock: where a timeout becomes a deadline the sum saturates,
// so `std::chrono::milliseconds::max()` means "wait forever" (Erlang's `infinity`), never
// "already expired". Negative timeouts mean 0, as for a receive's `after` clause.
#include <gtest/gtest.h>

#include <bitactor/core/internal/deadline.hpp>
#include <limits>

#include "test_support.hpp"

using namespace bitactor;
using namespace bitactor::test;

namespace {
constexpr auto forever = std::chrono::milliseconds::max();
constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();
struct tick {
  int n;
};
}  // namespace

TEST(deadline, a_sum_past_the_clock_range_saturates_to_never) {
  EXPECT_EQ(detail::deadline_after(0, forever), never);
  EXPECT_EQ(detail::deadline_after(never - 5, 10ms), never);
  EXPECT_EQ(detail::deadline_after(100, 20ms), 120u);
  EXPECT_EQ(detail::deadline_after(100, -20ms), 100u);  // negative: already due
}

TEST(deadline, a_steady_clock_deadline_past_its_range_is_none) {
  EXPECT_FALSE(detail::steady_deadline(forever));
  EXPECT_FALSE(detail::steady_deadline(forever - 1ms));
  auto d = detail::steady_deadline(1s);
  ASSERT_TRUE(d);
  EXPECT_GT(*d, std::chrono::steady_clock::now());
}

TEST(deadline, threaded_receive_with_an_endless_timeout_waits_for_the_message) {
  node n(threaded(2));
  inbox box(n);
  n.send_after(box.self(), 30ms, tick{1});
  auto t = box.receive<tick>(forever);
  ASSERT_TRUE(t) << "receive(milliseconds::max()) gave up before the message came";
  EXPECT_EQ(t->n, 1);
}

TEST(deadline, threaded_receive_any_with_an_endless_timeout_waits_for_the_message) {
  node n(threaded(2));
  inbox box(n);
  n.send_after(box.self(), 30ms, tick{2});
  auto m = box.receive_any(forever);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->is<tick>());
}

TEST(deadline, deterministic_receive_with_an_endless_timeout_runs_to_the_next_timer) {
  node n(deterministic());
  inbox box(n);
  n.advance_time(5ms);
  n.send_after(box.self(), 1h, tick{3});
  auto t = box.receive<tick>(forever);
  ASSERT_TRUE(t);
  EXPECT_EQ(n.now(), 1h + 5ms);
}

TEST(deadline, deterministic_endless_receive_with_nothing_to_come_leaves_the_clock_alone) {
  node n(deterministic());
  inbox box(n);
  n.advance_time(7ms);
  EXPECT_FALSE(box.receive<tick>(forever));  // nothing can ever arrive: returns, time stays
  EXPECT_EQ(n.now(), 7ms);
  n.send_after(box.self(), 10ms, tick{4});  // and timers still work afterwards
  EXPECT_TRUE(box.receive<tick>(forever));
  EXPECT_EQ(n.now(), 17ms);
}

TEST(deadline, deterministic_receive_with_a_negative_timeout_does_not_wait) {
  node n(deterministic());
  inbox box(n);
  n.send_after(box.self(), 10ms, tick{5});
  EXPECT_FALSE(box.receive<tick>(-1ms));
  EXPECT_EQ(n.now(), 0ms);
}

TEST(deadline, send_after_with_an_endless_delay_never_fires) {
  node n(deterministic());
  inbox box(n);
  n.advance_time(1ms);
  timer_ref r = n.send_after(box.self(), forever, tick{6});
  n.send_after(box.self(), forever, tick{7});
  n.advance_time(std::chrono::hours(24 * 365 * 10));
  EXPECT_EQ(box.size(), 0u);
  EXPECT_EQ(n.counters().timers_pending, 2u);
  auto left = n.cancel_timer(r);
  ASSERT_TRUE(left);
  EXPECT_GT(*left, std::chrono::hours(24 * 365 * 1000)) << left->count();
}

TEST(deadline, send_after_with_an_endless_delay_late_in_virtual_time_never_fires) {
  node n(deterministic());
  inbox box(n);
  n.advance_time(std::chrono::milliseconds(std::numeric_limits<std::int64_t>::max() / 2));
  n.send_after(box.self(), forever, tick{8});  // now + delay is past 2^64 ms
  n.send_after(box.self(), forever, tick{9});
  n.advance_time(1h);
  EXPECT_EQ(box.size(), 0u);
  EXPECT_EQ(n.counters().timers_pending, 2u);
}

TEST(deadline, threaded_send_after_with_an_endless_delay_does_not_fire_at_once) {
  node n(threaded(2));
  inbox box(n);
  n.send_after(box.self(), forever, tick{10});
  n.send_after(box.self(), 30ms, tick{11});
  auto m = box.receive_any(5s);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->is<tick>());
  EXPECT_EQ(m->get_if<tick>()->n, 11) << "the endless timer fired first";
  EXPECT_EQ(n.counters().timers_pending, 1u);
}

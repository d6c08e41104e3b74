// Timers: erlang:send_after/3, start_timer/3 and cancel_timer/1, on virtual time.
#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace bitactor;
using namespace bitactor::test;

namespace {
struct tick {
  int n;
};
}  // namespace

TEST(timer, send_after_delivers_at_the_deadline_not_before) {
  node n(deterministic());
  inbox box(n);
  n.send_after(box.self(), 100ms, tick{1});
  n.advance_time(99ms);
  EXPECT_EQ(box.size(), 0u);
  n.advance_time(1ms);
  EXPECT_EQ(box.size(), 1u);
  EXPECT_EQ(box.receive<tick>(0ms)->n, 1);
}

TEST(timer, timers_fire_in_deadline_order) {
  node n(deterministic());
  inbox box(n);
  n.send_after(box.self(), 300ms, tick{3});
  n.send_after(box.self(), 100ms, tick{1});
  n.send_after(box.self(), 5000ms, tick{4});
  n.send_after(box.self(), 200ms, tick{2});
  n.advance_time(10s);
  for (int expected = 1; expected <= 4; ++expected) {
    auto t = box.receive<tick>(0ms);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->n, expected);
  }
}

TEST(timer, start_timer_delivers_timeout_with_its_ref) {
  node n(deterministic());
  inbox box(n);
  auto shared = std::make_shared<timer_ref>();
  pid p = n.spawn<puppet>(box.self(), false);
  pid fwd = n.spawn([to = box.self()](actor& self, message& m) {
    if (auto* t = m.get_if<timeout_msg<std::string>>()) self.send(to, *t);
  });
  on(n, p,
     [fwd, shared](actor& self) { *shared = self.start_timer(fwd, 50ms, std::string("hi")); });
  n.advance_time(50ms);
  auto t = box.receive<timeout_msg<std::string>>(0ms);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->message, "hi");
  EXPECT_EQ(t->timer, *shared);
}

TEST(timer, cancel_returns_remaining_time) {
  node n(deterministic());
  inbox box(n);
  timer_ref r = n.send_after(box.self(), 1000ms, tick{1});
  n.advance_time(400ms);
  auto left = n.cancel_timer(r);
  ASSERT_TRUE(left);
  EXPECT_EQ(*left, 600ms);
  n.advance_time(2s);
  EXPECT_EQ(box.size(), 0u);
}

TEST(timer, cancel_after_firing_returns_false) {
  node n(deterministic());
  inbox box(n);
  timer_ref r = n.send_after(box.self(), 10ms, tick{1});
  n.advance_time(10ms);
  EXPECT_FALSE(n.cancel_timer(r));
  EXPECT_TRUE(box.receive<tick>(0ms));
}

TEST(timer, cancel_twice_returns_false_the_second_time) {
  node n(deterministic());
  inbox box(n);
  timer_ref r = n.send_after(box.self(), 10ms, tick{1});
  EXPECT_TRUE(n.cancel_timer(r));
  EXPECT_FALSE(n.cancel_timer(r));
}

TEST(timer, stale_ref_does_not_cancel_a_newer_timer_in_the_same_slot) {
  node n(deterministic());
  inbox box(n);
  timer_ref old = n.send_after(box.self(), 10ms, tick{1});
  ASSERT_TRUE(n.cancel_timer(old));
  timer_ref fresh = n.send_after(box.self(), 10ms, tick{2});
  EXPECT_EQ(old.slot, fresh.slot);
  EXPECT_FALSE(n.cancel_timer(old));
  n.advance_time(10ms);
  EXPECT_EQ(box.receive<tick>(0ms)->n, 2);
}

TEST(timer, timer_to_a_dead_process_is_dropped) {
  node n(deterministic());
  inbox box(n);
  pid p = n.spawn<puppet>(box.self(), false);
  n.send_after(p, 10ms, std::string("late"));
  n.exit(p, exit_reason::kill());
  n.advance_time(20ms);
  EXPECT_EQ(n.counters().timers_pending, 0u);
}

TEST(timer, a_million_pending_timers_are_cheap_and_all_fire) {
  node n(deterministic());
  inbox box(n);
  std::atomic<int> fired{0};
  pid counter = n.spawn([&fired](actor&, message& m) {
    if (m.is<tick>()) fired.fetch_add(1);
  });
  constexpr int count = 1'000'000;
  for (int i = 0; i < count; ++i)
    n.send_after(counter, std::chrono::milliseconds(1 + i % 100000), tick{i});
  EXPECT_EQ(n.counters().timers_pending, static_cast<std::uint64_t>(count));
  n.advance_time(100s);
  EXPECT_EQ(fired.load(), count);
}

TEST(timer, real_time_timer_fires_under_the_threaded_policy) {
  node n(threaded(2));
  inbox box(n);
  n.send_after(box.self(), 20ms, tick{7});
  auto t = box.receive<tick>(5s);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->n, 7);
}

// An idle node whose only timer is an hour away sleeps until that timer (or the wheel's
// cascade before it) is due: its timer thread does not poll. We wait on a message that
// does not come, bounded at 500 ms, and count the timer thread's wake-ups meanwhile
// (polling every 64 ms would be about 8).
TEST(timer, far_timer_does_not_wake_an_idle_node) {
  node n(threaded(2));
  inbox box(n);
  n.send_after(box.self(), 1h, tick{1});
  const auto before = n.counters().timer_wakeups;
  EXPECT_FALSE(box.receive<tick>(500ms));
  const auto woke = n.counters().timer_wakeups - before;
  EXPECT_LE(woke, 2u) << "the timer thread woke " << woke << " times in 500 ms";
  EXPECT_EQ(n.counters().timers_pending, 1u);
}

// The same rules on the threaded policy, in real time: deadlines a few milliseconds apart,
// and waits bounded by seconds, so a loaded machine delays them but cannot reorder them.

TEST(timer_threaded, timers_fire_in_deadline_order) {
  node n(threaded(2));
  inbox box(n);
  n.send_after(box.self(), 60ms, tick{3});
  n.send_after(box.self(), 20ms, tick{1});
  n.send_after(box.self(), 80ms, tick{4});
  n.send_after(box.self(), 40ms, tick{2});
  for (int expected = 1; expected <= 4; ++expected) {
    auto t = box.receive<tick>(5s);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->n, expected);
  }
}

TEST(timer_threaded, start_timer_delivers_timeout_with_its_ref) {
  node n(threaded(2));
  inbox box(n);
  pid p = n.spawn<puppet>(box.self(), false);
  on(n, p, [to = box.self()](actor& self) {
    timer_ref r = self.start_timer(to, 10ms, std::string("hi"));
    self.send(to, r);
  });
  auto r = box.receive<timer_ref>(5s);
  auto t = box.receive<timeout_msg<std::string>>(5s);
  ASSERT_TRUE(r && t);
  EXPECT_EQ(t->message, "hi");
  EXPECT_EQ(t->timer, *r);
}

TEST(timer_threaded, cancel_returns_remaining_time_and_nothing_arrives) {
  node n(threaded(2));
  inbox box(n);
  timer_ref r = n.send_after(box.self(), 10s, tick{1});
  auto left = n.cancel_timer(r);
  ASSERT_TRUE(left);
  EXPECT_GT(*left, 0ms);
  EXPECT_LE(*left, 10s);
  EXPECT_FALSE(n.cancel_timer(r));
  EXPECT_EQ(n.counters().timers_pending, 0u);
}

TEST(timer_threaded, cancel_after_firing_returns_false) {
  node n(threaded(2));
  inbox box(n);
  timer_ref r = n.send_after(box.self(), 5ms, tick{1});
  ASSERT_TRUE(box.receive<tick>(5s));
  EXPECT_FALSE(n.cancel_timer(r));
}

TEST(timer_threaded, stale_ref_does_not_cancel_a_newer_timer_in_the_same_slot) {
  node n(threaded(2));
  inbox box(n);
  timer_ref old = n.send_after(box.self(), 10ms, tick{1});
  ASSERT_TRUE(n.cancel_timer(old));
  timer_ref fresh = n.send_after(box.self(), 10ms, tick{2});
  EXPECT_EQ(old.slot, fresh.slot);
  EXPECT_FALSE(n.cancel_timer(old));
  auto t = box.receive<tick>(5s);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->n, 2);
}

TEST(timer_threaded, timer_to_a_dead_process_is_dropped) {
  node n(threaded(2));
  inbox box(n);
  pid p = n.spawn<puppet>(box.self(), false);
  box.monitor(p);
  n.send_after(p, 10ms, std::string("late"));
  n.exit(p, exit_reason::kill());
  ASSERT_TRUE(box.receive<down_msg>(5s));
  EXPECT_TRUE(holds_within(5s, [&] { return n.counters().timers_pending == 0; }));
  EXPECT_FALSE(box.receive<seen>(20ms));  // nothing was delivered to the dead process
}

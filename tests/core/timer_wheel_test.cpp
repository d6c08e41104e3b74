// The timing wheel on its own: placement across levels, cascades, cancellation.
#include <gtest/gtest.h>

#include <bitactor/core/internal/deadline.hpp>
#include <bitactor/core/internal/timer_wheel.hpp>
#include <bitactor/core/message.hpp>
#include <random>

using namespace bitactor;
using detail::timer_wheel;

namespace {
message* msg_for(int n) { return make_message<int>(n); }
int value(const timer_wheel::expired& e) { return *e.msg->get_if<int>(); }
}  // namespace

TEST(timer_wheel, fires_each_timer_exactly_at_its_tick_across_all_levels) {
  timer_wheel w;
  std::vector<std::uint64_t> deadlines = {1,    63,     64,     65,       4095,      4096,
                                          4097, 262143, 262144, 16777216, 1073741824};
  for (std::size_t i = 0; i < deadlines.size(); ++i) {
    w.add(deadlines[i], pid{}, msg_for(static_cast<int>(i)));
  }
  std::vector<timer_wheel::expired> out;
  for (std::size_t i = 0; i < deadlines.size(); ++i) {
    w.advance(deadlines[i] - 1, out);
    EXPECT_TRUE(out.empty()) << "fired early: deadline " << deadlines[i];
    w.advance(deadlines[i], out);
    ASSERT_EQ(out.size(), 1u) << "deadline " << deadlines[i];
    EXPECT_EQ(value(out[0]), static_cast<int>(i));
    delete out[0].msg;
    out.clear();
  }
  EXPECT_EQ(w.pending(), 0u);
}

TEST(timer_wheel, random_deadlines_fire_in_order_and_none_early) {
  timer_wheel w;
  std::mt19937_64 rng(7);
  std::vector<std::uint64_t> deadlines;
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t d = rng() % 5'000'000;
    deadlines.push_back(d);
    w.add(d, pid{}, msg_for(static_cast<int>(d)));
  }
  std::vector<timer_wheel::expired> out;
  std::uint64_t now = 0;
  std::uint64_t fired = 0;
  while (w.pending() > 0) {
    now += 1 + rng() % 20000;
    w.advance(now, out);
    for (auto& e : out) {
      EXPECT_LE(static_cast<std::uint64_t>(value(e)), now);
      EXPECT_GT(static_cast<std::uint64_t>(value(e)) + 20001, now - 0);
      delete e.msg;
      ++fired;
    }
    out.clear();
  }
  EXPECT_EQ(fired, deadlines.size());
}

TEST(timer_wheel, cancel_removes_and_reports_the_deadline) {
  timer_wheel w;
  auto r = w.add(500, pid{}, msg_for(1));
  auto d = w.cancel(r);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, 500u);
  EXPECT_FALSE(w.cancel(r));
  std::vector<timer_wheel::expired> out;
  w.advance(1000, out);
  EXPECT_TRUE(out.empty());
}

TEST(timer_wheel, past_deadline_fires_at_the_next_tick) {
  timer_wheel w;
  std::vector<timer_wheel::expired> out;
  w.advance(1000, out);
  w.add(10, pid{}, msg_for(1));
  w.advance(1000, out);  // time has not moved: nothing new to process
  EXPECT_TRUE(out.empty());
  w.advance(1001, out);
  ASSERT_EQ(out.size(), 1u);
  delete out[0].msg;
}

TEST(timer_wheel, next_wakeup_is_empty_without_timers) {
  timer_wheel w;
  EXPECT_FALSE(w.next_wakeup());
  w.add(10, pid{}, msg_for(1));
  ASSERT_TRUE(w.next_wakeup());
  EXPECT_LE(*w.next_wakeup(), 10u);
}

// Far timers: advancing jumps from one tick with work to the next instead of visiting every
// 64-tick boundary, so one advance over 2^36 ms is a handful of steps.
TEST(timer_wheel, far_timers_fire_in_order_at_their_ticks_over_a_long_advance) {
  timer_wheel w;
  const std::vector<std::uint64_t> deadlines = {
      5, (std::uint64_t{1} << 30) + 7, (std::uint64_t{1} << 33) + 3, (std::uint64_t{1} << 36) - 1,
      (std::uint64_t{1} << 36) + 1000};  // past range
  for (std::size_t i = deadlines.size(); i-- > 0;) {
    w.add(deadlines[i], pid{}, msg_for(static_cast<int>(i)));
  }
  std::vector<timer_wheel::expired> out;
  for (std::size_t i = 0; i < deadlines.size(); ++i) {
    w.advance(deadlines[i] - 1, out);
    EXPECT_TRUE(out.empty()) << "fired early: deadline " << deadlines[i];
    w.advance(deadlines[i], out);
    ASSERT_EQ(out.size(), 1u) << "deadline " << deadlines[i];
    EXPECT_EQ(value(out[0]), static_cast<int>(i));
    delete out[0].msg;
    out.clear();
  }
  EXPECT_EQ(w.pending(), 0u);
}

TEST(timer_wheel, one_advance_over_two_to_the_36_ms_fires_far_timers_in_deadline_order) {
  timer_wheel w;
  std::mt19937_64 rng(11);
  std::vector<std::uint64_t> deadlines;
  for (int i = 0; i < 50; ++i) {
    std::uint64_t d = 1 + rng() % (std::uint64_t{1} << 36);
    deadlines.push_back(d);
    w.add(d, pid{}, msg_for(i));
  }
  std::vector<timer_wheel::expired> out;
  w.advance(std::uint64_t{1} << 36, out);
  ASSERT_EQ(out.size(), deadlines.size());
  for (std::size_t i = 1; i < out.size(); ++i) {
    EXPECT_LE(deadlines[static_cast<std::size_t>(value(out[i - 1]))],
              deadlines[static_cast<std::size_t>(value(out[i]))]);
  }
  for (auto& e : out) delete e.msg;
}

// An hour-long timer wakes its driver once per level it moves down through, not every 64 ms.
TEST(timer_wheel, next_wakeup_of_a_far_timer_skips_empty_slots) {
  timer_wheel w;
  const std::uint64_t hour = 3'600'000;
  w.add(hour, pid{}, msg_for(1));
  std::vector<timer_wheel::expired> out;
  int wakeups = 0;
  std::uint64_t last = 0;
  while (out.empty()) {
    auto next = w.next_wakeup();
    ASSERT_TRUE(next);
    ASSERT_GT(*next, last == 0 ? 0 : last) << "next_wakeup went backwards";
    ASSERT_LE(*next, hour);
    last = *next;
    ++wakeups;
    w.advance(*next, out);
    ASSERT_LT(wakeups, 100) << "far timer polled every slot";
  }
  EXPECT_EQ(last, hour);
  EXPECT_LE(wakeups, 6);
  delete out[0].msg;
}

TEST(timer_wheel, a_never_deadline_is_pending_and_cancellable_but_never_fires_or_wakes) {
  timer_wheel w;
  auto r = w.add(detail::never_ms, pid{}, msg_for(1));
  w.add(detail::never_ms, pid{}, msg_for(2));
  EXPECT_EQ(w.pending(), 2u);
  EXPECT_FALSE(w.next_wakeup());
  std::vector<timer_wheel::expired> out;
  w.advance(detail::never_ms - 1, out);
  EXPECT_TRUE(out.empty());
  auto d = w.cancel(r);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, detail::never_ms);
  EXPECT_EQ(w.pending(), 1u);
}

// Driven the way the timer thread drives it (advance to next_wakeup(), adding timers on the
// way), every timer fires exactly at its deadline, whatever level it starts on.
TEST(timer_wheel, stepping_by_next_wakeup_fires_every_timer_exactly_at_its_deadline) {
  timer_wheel w;
  std::mt19937_64 rng(5);
  std::vector<std::uint64_t> deadline_of;
  auto add_random = [&](std::uint64_t now) {
    const int level = static_cast<int>(rng() % 6);
    std::uint64_t d = now + 1 + rng() % (std::uint64_t{1} << (6 * level + 6));
    deadline_of.push_back(d);
    w.add(d, pid{}, msg_for(static_cast<int>(deadline_of.size() - 1)));
  };
  for (int i = 0; i < 200; ++i) add_random(0);
  std::vector<timer_wheel::expired> out;
  std::size_t fired = 0;
  int steps = 0;
  while (auto next = w.next_wakeup()) {
    ASSERT_LT(++steps, 100000);
    w.advance(*next, out);
    for (auto& e : out) {
      EXPECT_EQ(deadline_of[static_cast<std::size_t>(value(e))], *next);
      delete e.msg;
      ++fired;
    }
    out.clear();
    if (deadline_of.size() < 400 && rng() % 4 == 0) add_random(*next);
  }
  EXPECT_EQ(fired, deadline_of.size());
  EXPECT_EQ(w.pending(), 0u);
}

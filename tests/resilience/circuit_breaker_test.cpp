// The circuit breaker: closed -> open on the failure or slow-call rate (count- and
// time-based windows, minimum calls), fail-fast while open, half-open probes, state change
// events, and concurrent use.
#include <gtest/gtest.h>

#include <atomic>
#include <bitactor/resilience/circuit_breaker.hpp>
#include <bitactor/resilience/events.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace resilience = bitactor::resilience;
using namespace std::chrono_literals;
using resilience::breaker_state;
using resilience::error_category;
using resilience::failure;

namespace {

failure outage() { return failure(resilience::error(error_category::infrastructure, "db_down")); }

struct fixture {
  resilience::manual_clock clock;
  std::vector<std::string> changes;
  resilience::breaker_config config(resilience::breaker_config c) {
    c.on_state_change = [this](const resilience::state_change& s) {
      changes.push_back(std::string(to_string(s.from)) + "->" + std::string(to_string(s.to)));
    };
    return c;
  }
};

void succeed(resilience::circuit_breaker& b, int times = 1) {
  for (int i = 0; i < times; ++i) b.call([] { return 1; });
}
void fail(resilience::circuit_breaker& b, int times = 1) {
  for (int i = 0; i < times; ++i) {
    EXPECT_THROW(b.call([]() -> int { throw outage(); }), failure);
  }
}

}  // namespace

TEST(circuit_breaker, opens_when_the_failure_rate_reaches_the_threshold) {
  fixture f;
  resilience::circuit_breaker b(
      f.config({.window_size = 10, .minimum_calls = 10, .failure_rate_threshold = 50}),
      f.clock.source());
  succeed(b, 5);
  fail(b, 4);
  EXPECT_EQ(b.state(), breaker_state::closed);  // 4 of 9: below the minimum and the rate
  fail(b, 1);                                   // 5 of 10 = 50 %
  EXPECT_EQ(b.state(), breaker_state::open);
  EXPECT_EQ(f.changes, std::vector<std::string>{"closed->open"});
}

TEST(circuit_breaker, does_not_open_before_the_minimum_number_of_calls) {
  fixture f;
  resilience::circuit_breaker b(f.config({.window_size = 100, .minimum_calls = 20}),
                                f.clock.source());
  fail(b, 19);  // 100 % failures, but only 19 calls
  EXPECT_EQ(b.state(), breaker_state::closed);
  fail(b, 1);
  EXPECT_EQ(b.state(), breaker_state::open);
}

TEST(circuit_breaker, the_count_window_forgets_the_oldest_outcomes) {
  fixture f;
  resilience::circuit_breaker b(
      f.config({.window_size = 4, .minimum_calls = 4, .failure_rate_threshold = 75}),
      f.clock.source());
  fail(b, 2);
  succeed(b, 6);  // the two failures have left the window
  auto m = b.metrics();
  EXPECT_EQ(m.calls, 4u);
  EXPECT_EQ(m.failures, 0u);
  fail(b, 2);
  EXPECT_EQ(b.state(), breaker_state::closed);  // 2 of 4 = 50 % < 75 %
  EXPECT_EQ(b.metrics().failure_rate, 50.0);
}

TEST(circuit_breaker, an_open_breaker_fails_fast_with_an_unavailable_error) {
  fixture f;
  resilience::circuit_breaker b(
      f.config({.name = "orders_db", .window_size = 2, .minimum_calls = 2, .open_duration = 30s}),
      f.clock.source());
  fail(b, 2);
  ASSERT_EQ(b.state(), breaker_state::open);
  int called = 0;
  try {
    b.call([&] { return ++called; });
    FAIL() << "the call went through";
  } catch (const failure& e) {
    EXPECT_EQ(e.details().category(), error_category::unavailable);
    EXPECT_EQ(e.details().code(), "circuit_open");
    EXPECT_EQ(*e.details().context_value("breaker"), "orders_db");
  }
  EXPECT_EQ(called, 0);
  EXPECT_EQ(b.metrics().rejected, 1u);
}

TEST(circuit_breaker, after_the_open_duration_probes_that_succeed_close_it) {
  fixture f;
  resilience::circuit_breaker b(
      f.config({.window_size = 2, .minimum_calls = 2, .open_duration = 30s, .half_open_probes = 3}),
      f.clock.source());
  fail(b, 2);
  f.clock.advance(29s);
  EXPECT_FALSE(b.try_acquire());  // still open
  f.clock.advance(1s);
  succeed(b, 2);
  EXPECT_EQ(b.state(), breaker_state::half_open);  // 2 of 3 probes finished
  succeed(b, 1);
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_EQ(b.metrics().calls, 0u);  // a fresh window
  EXPECT_EQ(f.changes,
            (std::vector<std::string>{"closed->open", "open->half_open", "half_open->closed"}));
}

TEST(circuit_breaker, failing_probes_open_it_again) {
  fixture f;
  resilience::circuit_breaker b(f.config({.window_size = 2,
                                          .minimum_calls = 2,
                                          .failure_rate_threshold = 50,
                                          .open_duration = 10s,
                                          .half_open_probes = 2}),
                                f.clock.source());
  fail(b, 2);
  f.clock.advance(10s);
  succeed(b, 1);
  fail(b, 1);  // 1 of 2 probes failed: 50 %
  EXPECT_EQ(b.state(), breaker_state::open);
  EXPECT_FALSE(b.try_acquire());  // a new open period began
}

TEST(circuit_breaker, half_open_lets_only_the_configured_number_of_probes_through) {
  fixture f;
  resilience::circuit_breaker b(
      f.config({.window_size = 1, .minimum_calls = 1, .open_duration = 1s, .half_open_probes = 2}),
      f.clock.source());
  fail(b, 1);
  f.clock.advance(1s);
  auto p1 = b.try_acquire();
  auto p2 = b.try_acquire();
  ASSERT_TRUE(p1);
  ASSERT_TRUE(p2);
  EXPECT_FALSE(b.try_acquire());  // both probes are out
  b.on_ignored(*p2);              // an abandoned probe is handed back
  auto p3 = b.try_acquire();
  ASSERT_TRUE(p3);
  b.on_success(*p1);
  b.on_success(*p3);
  EXPECT_EQ(b.state(), breaker_state::closed);
}

TEST(circuit_breaker, slow_calls_count_when_configured) {
  fixture f;
  resilience::circuit_breaker b(f.config({.window_size = 4,
                                          .minimum_calls = 4,
                                          .slow_call_duration = 2s,
                                          .slow_call_rate_threshold = 50}),
                                f.clock.source());
  auto slow = [&] {
    b.call([&] {
      f.clock.advance(3s);
      return 0;
    });
  };
  succeed(b, 2);
  slow();
  EXPECT_EQ(b.state(), breaker_state::closed);
  slow();  // 2 of 4 slow (all succeeded)
  EXPECT_EQ(b.state(), breaker_state::open);
}

TEST(circuit_breaker, slow_calls_do_not_count_without_a_duration) {
  fixture f;
  resilience::circuit_breaker b(f.config({.window_size = 2, .minimum_calls = 2}), f.clock.source());
  for (int i = 0; i < 4; ++i) {
    b.call([&] {
      f.clock.advance(1h);
      return 0;
    });
  }
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_EQ(b.metrics().slow_calls, 0u);
}

TEST(circuit_breaker, the_time_window_counts_only_the_last_seconds) {
  fixture f;
  resilience::circuit_breaker b(f.config({.window = resilience::window_kind::time_based,
                                          .window_size = 10,
                                          .minimum_calls = 4,
                                          .failure_rate_threshold = 50}),
                                f.clock.source());
  fail(b, 3);
  f.clock.advance(11s);  // those three leave the window
  succeed(b, 1);
  EXPECT_EQ(b.metrics().calls, 1u);
  fail(b, 2);
  EXPECT_EQ(b.state(), breaker_state::closed);  // 3 calls: below the minimum
  fail(b, 1);                                   // 3 of 4 in the window
  EXPECT_EQ(b.state(), breaker_state::open);
}

TEST(circuit_breaker, business_errors_do_not_count_as_failures_by_default) {
  fixture f;
  resilience::circuit_breaker b(f.config({.window_size = 2, .minimum_calls = 2}), f.clock.source());
  for (int i = 0; i < 5; ++i) {
    EXPECT_THROW(b.call([]() -> int {
      throw failure(resilience::error(error_category::business, "insufficient_funds"));
    }),
                 failure);
  }
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_EQ(b.metrics().failures, 0u);
}

TEST(circuit_breaker, records_failure_decides_what_counts) {
  fixture f;
  resilience::circuit_breaker b(
      f.config(
          {.window_size = 2,
           .minimum_calls = 2,
           .failure_rate_threshold = 60,
           .records_failure = [](const resilience::error& e) { return e.code() == "db_down"; }}),
      f.clock.source());
  EXPECT_THROW(
      b.call([]() -> int { throw std::system_error(std::make_error_code(std::errc::io_error)); }),
      std::system_error);
  fail(b, 1);
  EXPECT_EQ(b.metrics().failures, 1u);
  EXPECT_EQ(b.state(), breaker_state::closed);
}

TEST(circuit_breaker, outcomes_of_calls_begun_before_a_state_change_are_dropped) {
  fixture f;
  resilience::circuit_breaker b(f.config({.window_size = 2, .minimum_calls = 2}), f.clock.source());
  auto early = b.try_acquire();
  ASSERT_TRUE(early);
  b.force_open();
  b.reset();  // closed again, a fresh window
  b.on_failure(*early, resilience::error(error_category::infrastructure, "late"));
  EXPECT_EQ(b.metrics().calls, 0u);
}

TEST(circuit_breaker, state_changes_are_emitted_as_events) {
  fixture f;
  resilience::circuit_breaker b(f.config({.name = "pricing", .window_size = 2, .minimum_calls = 2}),
                                f.clock.source());
  std::vector<resilience::event> seen;
  auto id = resilience::attach({"bitactor", "breaker", "state_change"},
                               [&](const resilience::event& e) { seen.push_back(e); });
  fail(b, 2);
  resilience::detach(id);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(*seen[0].meta("name"), "pricing");
  EXPECT_EQ(*seen[0].meta("from"), "closed");
  EXPECT_EQ(*seen[0].meta("to"), "open");
  EXPECT_EQ(*seen[0].measurement("failure_rate"), 100.0);
}

TEST(circuit_breaker, concurrent_callers_trip_it_once_and_all_see_it_open) {
  std::atomic<int> opened{0};
  resilience::circuit_breaker counted({.window_size = 100,
                                       .minimum_calls = 50,
                                       .failure_rate_threshold = 50,
                                       .open_duration = 1h,
                                       .on_state_change = [&](const resilience::state_change& s) {
                                         if (s.to == breaker_state::open) opened.fetch_add(1);
                                       }});
  std::vector<std::thread> threads;
  std::atomic<int> rejected{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        try {
          counted.call([&]() -> int {
            if ((i + t) % 2 == 0) throw outage();
            return i;
          });
        } catch (const failure& e) {
          if (e.details().code() == "circuit_open") rejected.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(counted.state(), breaker_state::open);
  EXPECT_EQ(opened.load(), 1);
  EXPECT_GT(rejected.load(), 0);
}

TEST(circuit_breaker, concurrent_successes_keep_the_window_totals_exact) {
  resilience::circuit_breaker b(
      {.window_size = 64, .minimum_calls = 64, .failure_rate_threshold = 100});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        if (i % 4 == 0) {
          try {
            b.call([]() -> int { throw outage(); });
          } catch (const failure&) {
          }
        } else {
          b.call([] { return 0; });
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  auto m = b.metrics();
  EXPECT_EQ(m.calls, 64u);
  EXPECT_LE(m.failures, 64u);
  EXPECT_GT(m.failures, 0u);  // about a quarter; the exact count depends on the interleaving
  EXPECT_EQ(b.state(), breaker_state::closed);
}

// Retry: attempts, backoff bounds, the deadline, non-retryable errors, events; the blocking
// form with injected time, and the coroutine form inside a gen_server on the deterministic
// scheduler's virtual time.
#include <gtest/gtest.h>

#include <bitactor/core/node.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/resilience/events.hpp>
#include <bitactor/resilience/retry.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace resilience = bitactor::resilience;
namespace otp = bitactor::otp;
using namespace std::chrono_literals;
using resilience::error_category;
using resilience::failure;

namespace {

failure transient() {
  return failure(resilience::error(error_category::infrastructure, "db_down"));
}
failure refusal() {
  return failure(resilience::error(error_category::business, "insufficient_funds"));
}

/// Time that passes only when the retry sleeps: no real waiting.
struct fake_time {
  resilience::manual_clock clock;
  std::vector<std::chrono::milliseconds> sleeps;
  resilience::retry_timing timing() {
    return {clock.source(), [this](std::chrono::milliseconds d) {
              sleeps.push_back(d);
              clock.advance(d);
            }};
  }
};

}  // namespace

TEST(retry, a_dependency_failing_twice_then_succeeding_is_called_three_times) {
  fake_time t;
  int calls = 0;
  int v = resilience::retry(
      {.max_attempts = 5, .seed = 1},
      [&] {
        if (++calls < 3) throw transient();
        return 42;
      },
      t.timing());
  EXPECT_EQ(v, 42);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(t.sleeps.size(), 2u);
}

TEST(retry, a_business_error_returns_at_once_after_one_call) {
  fake_time t;
  int calls = 0;
  EXPECT_THROW(resilience::retry(
                   {.max_attempts = 5, .seed = 1},
                   [&]() -> int {
                     ++calls;
                     throw refusal();
                   },
                   t.timing()),
               failure);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(t.sleeps.empty());
}

TEST(retry, an_unexpected_exception_is_a_bug_and_is_not_retried) {
  fake_time t;
  int calls = 0;
  EXPECT_THROW(resilience::retry(
                   {.max_attempts = 5, .seed = 1},
                   [&] {
                     ++calls;
                     throw std::logic_error("bug");
                   },
                   t.timing()),
               std::logic_error);
  EXPECT_EQ(calls, 1);
}

TEST(retry, stops_after_max_attempts_and_rethrows_the_last_failure) {
  fake_time t;
  int calls = 0;
  try {
    resilience::retry(
        {.max_attempts = 4, .seed = 1},
        [&] {
          ++calls;
          throw transient();
        },
        t.timing());
    FAIL() << "retry returned";
  } catch (const failure& f) {
    EXPECT_EQ(f.details().code(), "db_down");
  }
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(t.sleeps.size(), 3u);
}

TEST(retry, the_deadline_stops_retries_before_a_wait_would_pass_it) {
  fake_time t;
  int calls = 0;
  // Each call takes 400 ms of (fake) time; waits up to 100 ms: two calls fit in one second,
  // the third would start past it.
  EXPECT_THROW(resilience::retry(
                   {.max_attempts = 100,
                    .initial_backoff = 100ms,
                    .multiplier = 1.0,
                    .deadline = 1000ms,
                    .seed = 3},
                   [&] {
                     ++calls;
                     t.clock.advance(400ms);
                     throw transient();
                   },
                   t.timing()),
               failure);
  EXPECT_GE(calls, 2);
  EXPECT_LE(calls, 3);
  EXPECT_LE(t.clock.now().time_since_epoch(), 1400ms);
}

TEST(retry, backoff_ceilings_grow_exponentially_up_to_the_cap) {
  resilience::backoff b({.initial_backoff = 100ms, .multiplier = 2.0, .max_backoff = 1000ms});
  EXPECT_EQ(b.ceiling(1), 100ms);
  EXPECT_EQ(b.ceiling(2), 200ms);
  EXPECT_EQ(b.ceiling(3), 400ms);
  EXPECT_EQ(b.ceiling(4), 800ms);
  EXPECT_EQ(b.ceiling(5), 1000ms);
  EXPECT_EQ(b.ceiling(500), 1000ms);  // no overflow however many retries
}

TEST(retry, backoff_values_stay_within_the_full_jitter_bounds_and_spread_over_them) {
  resilience::backoff b(
      {.initial_backoff = 100ms, .multiplier = 2.0, .max_backoff = 1000ms, .seed = 99});
  for (std::size_t retry = 1; retry <= 6; ++retry) {
    std::chrono::milliseconds lowest = 1h, highest = 0ms;
    for (int i = 0; i < 500; ++i) {
      auto d = b.next(retry);
      ASSERT_GE(d, 0ms);
      ASSERT_LE(d, b.ceiling(retry));
      lowest = std::min(lowest, d);
      highest = std::max(highest, d);
    }
    // Full jitter: the draws cover the range, not a point near the ceiling.
    EXPECT_LT(lowest, b.ceiling(retry) / 4) << "retry " << retry;
    EXPECT_GT(highest, b.ceiling(retry) * 3 / 4) << "retry " << retry;
  }
}

TEST(retry, the_same_seed_gives_the_same_waits) {
  resilience::backoff a({.seed = 5}), b({.seed = 5});
  for (std::size_t r = 1; r < 20; ++r) EXPECT_EQ(a.next(r % 5 + 1), b.next(r % 5 + 1));
}

TEST(retry, failed_attempts_and_giving_up_are_emitted) {
  fake_time t;
  std::vector<std::string> seen;
  auto id = resilience::attach({"bitactor", "retry"}, [&](const resilience::event& e) {
    seen.push_back(e.name.back() + ":" + *e.meta("code"));
  });
  EXPECT_THROW(
      resilience::retry(
          {.name = "db", .max_attempts = 3, .seed = 1}, [&] { throw transient(); }, t.timing()),
      failure);
  resilience::detach(id);
  EXPECT_EQ(seen, (std::vector<std::string>{"attempt_failed:db_down", "attempt_failed:db_down",
                                            "exhausted:db_down"}));
}

// --- the coroutine form --------------------------------------------------------------------

namespace {

struct fetch {};  // cast: start fetching with retries

/// A server whose fetch goes through retry; the dependency fails `failures` times first.
class fetcher : public otp::gen_server {
 public:
  struct record {
    int calls = 0;
    std::vector<std::chrono::milliseconds> call_times;
    std::string outcome;
  };
  fetcher(record* out, int failures, resilience::retry_policy policy)
      : out_(out), failures_(failures), policy_(std::move(policy)) {}

 protected:
  void handle_cast(bitactor::message& m) override {
    if (m.is<fetch>()) run();
  }

 private:
  int dependency() {
    out_->calls++;
    out_->call_times.push_back(this_node().now());
    if (out_->calls <= failures_) throw transient();
    return 7;
  }
  otp::async run() {
    try {
      int v = co_await resilience::retry(*this, policy_, [this] { return dependency(); });
      out_->outcome = "ok " + std::to_string(v);
    } catch (const failure& f) {
      out_->outcome = "failed " + f.details().code();
    }
  }
  record* out_;
  int failures_;
  resilience::retry_policy policy_;
};

}  // namespace

TEST(retry_in_a_behaviour, waits_on_the_runtimes_timers_without_blocking_the_scheduler) {
  bitactor::node n{bitactor::node_config::deterministic(1)};
  fetcher::record rec;
  auto r = otp::start<fetcher>(
      n, {}, &rec, 2,
      resilience::retry_policy{
          .max_attempts = 5, .initial_backoff = 100ms, .multiplier = 2.0, .seed = 4});
  ASSERT_TRUE(r.ok());
  otp::cast(n, r.process, fetch{});
  n.run_until_idle();
  // The first call failed and the process now waits on a timer: nothing more runs until
  // virtual time moves (a blocked worker would have hung run_until_idle instead).
  EXPECT_EQ(rec.calls, 1);
  EXPECT_TRUE(rec.outcome.empty());
  n.advance_time(100ms);  // the first wait is at most initial_backoff
  EXPECT_EQ(rec.calls, 2);
  n.advance_time(200ms);
  EXPECT_EQ(rec.calls, 3);
  EXPECT_EQ(rec.outcome, "ok 7");
  EXPECT_LE(rec.call_times[1] - rec.call_times[0], 100ms);
  EXPECT_LE(rec.call_times[2] - rec.call_times[1], 200ms);
}

TEST(retry_in_a_behaviour, a_business_error_is_not_retried) {
  bitactor::node n{bitactor::node_config::deterministic(1)};
  fetcher::record rec;
  class refusing : public otp::gen_server {
   public:
    explicit refusing(fetcher::record* out) : out_(out) {}

   protected:
    void handle_cast(bitactor::message&) override { run(); }

   private:
    otp::async run() {
      // Named, not a temporary in the co_await operand (the GCC 12 note in behaviour.hpp).
      const resilience::retry_policy policy{.max_attempts = 5, .seed = 1};
      try {
        co_await resilience::retry(*this, policy, [out = out_] {
          out->calls++;
          throw refusal();
        });
        out_->outcome = "ok";
      } catch (const failure& f) {
        out_->outcome = "failed " + f.details().code();
      }
    }
    fetcher::record* out_;
  };
  auto r = otp::start<refusing>(n, {}, &rec);
  ASSERT_TRUE(r.ok());
  otp::cast(n, r.process, fetch{});
  n.run_until_idle();
  EXPECT_EQ(rec.calls, 1);
  EXPECT_EQ(rec.outcome, "failed insufficient_funds");
  EXPECT_TRUE(n.is_alive(r.process));  // the failure reached the coroutine, not the process
}

TEST(retry_in_a_behaviour, gives_up_at_the_deadline_in_virtual_time) {
  bitactor::node n{bitactor::node_config::deterministic(2)};
  fetcher::record rec;
  auto r = otp::start<fetcher>(n, {}, &rec, 1000,
                               resilience::retry_policy{.max_attempts = 1000,
                                                        .initial_backoff = 100ms,
                                                        .multiplier = 1.0,
                                                        .deadline = 1s,
                                                        .seed = 8});
  ASSERT_TRUE(r.ok());
  otp::cast(n, r.process, fetch{});
  n.run_until_idle();
  for (int i = 0; i < 30 && rec.outcome.empty(); ++i) n.advance_time(100ms);
  EXPECT_EQ(rec.outcome, "failed db_down");
  EXPECT_LT(rec.call_times.back(), 1s + rec.call_times.front());
  EXPECT_GE(rec.calls, 10);  // waits of at most 100 ms: at least ten calls fit in a second
}

// The code of docs/how-to/handle-a-flaky-dependency.md (kept in sync by scripts/sync-snippets):
// a quote server that reaches a flaky pricing server through a circuit breaker, retrying
// timeouts with backoff, on the deterministic scheduler's virtual time.
#include <gtest/gtest.h>

#include <bitactor/core/node.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/resilience/circuit_breaker.hpp>
#include <bitactor/resilience/retry.hpp>
#include <chrono>
#include <string>

namespace resilience = bitactor::resilience;
namespace otp = bitactor::otp;
using namespace std::chrono_literals;

namespace {

// [requests]
struct get_price {  // to the pricing server
  std::string symbol;
  using reply = double;
};
struct get_quote {  // to the quote server
  std::string symbol;
  using reply = double;
};
// [requests]

/// The flaky dependency: leaves its first `silent` calls unanswered (they time out).
class pricing : public otp::gen_server {
 public:
  explicit pricing(int silent) : silent_(silent) {}
  int calls = 0;

 protected:
  void handle_call(otp::call_context& c) override {
    ++calls;
    if (silent_-- > 0) {
      (void)c.defer();  // never answered
      return;
    }
    c.match([](get_price&) { return 101.5; });
  }

 private:
  int silent_;
};

// [quote-server]
class quotes : public otp::gen_server {
 public:
  explicit quotes(bitactor::pid pricing) : pricing_(pricing) {}

 protected:
  void handle_call(otp::call_context& c) override {
    c.match([&](get_quote& q) { return quote(q); });
  }

 private:
  // Retries what may pass (timeouts, an open breaker) with backoff; the process waits on
  // timers, no scheduler thread is held.
  otp::async_reply<double> quote(get_quote q) {
    auto attempt = [this, q] { return priced(q); };  // named: see behaviour.hpp on GCC 12
    double price = co_await resilience::retry(*this, retry_, attempt);
    co_return price;
  }

  // One attempt, through the breaker: refused at once while it is open.
  resilience::retried<double> priced(get_quote q) {
    auto permit = breaker_.try_acquire();
    if (!permit) throw resilience::failure(breaker_.open_error());
    try {
      get_price request{q.symbol};
      double price = co_await call(pricing_, std::move(request), 200ms);
      breaker_.on_success(*permit);
      co_return price;
    } catch (...) {
      breaker_.on_failure(*permit, resilience::error::from_exception(std::current_exception()));
      throw;
    }
  }

  bitactor::pid pricing_;
  resilience::retry_policy retry_{
      .name = "pricing", .max_attempts = 4, .initial_backoff = 50ms, .deadline = 2s, .seed = 42};
  resilience::circuit_breaker breaker_{{.name = "pricing",
                                        .window_size = 20,
                                        .minimum_calls = 5,
                                        .failure_rate_threshold = 50,
                                        .open_duration = 30s}};
};
// [quote-server]

}  // namespace

TEST(flaky_dependency, two_timeouts_are_retried_and_the_third_call_answers) {
  bitactor::node n{bitactor::node_config::deterministic(7)};
  auto p = otp::start<pricing>(n, {}, 2);
  ASSERT_TRUE(p.ok());
  auto q = otp::start<quotes>(n, {}, p.process);
  ASSERT_TRUE(q.ok());
  // [call]
  double price = otp::call(n, q.process, get_quote{"ACME"}, 5s);
  // [call]
  EXPECT_EQ(price, 101.5);
}

TEST(flaky_dependency, a_dependency_that_never_answers_fails_the_quote_after_four_attempts) {
  bitactor::node n{bitactor::node_config::deterministic(8)};
  auto p = otp::start<pricing>(n, {}, 1000);
  ASSERT_TRUE(p.ok());
  auto q = otp::start<quotes>(n, {}, p.process);
  ASSERT_TRUE(q.ok());
  // The quote server's coroutine rethrows the last timeout: the server crashes with it and
  // the caller sees the crash (a real server would catch it and answer an error).
  EXPECT_THROW(otp::call(n, q.process, get_quote{"ACME"}, 5s), otp::call_error);
}

TEST(flaky_dependency, the_blocking_forms_retry_from_a_plain_thread) {
  bitactor::node node{bitactor::node_config::deterministic(9)};
  auto p = otp::start<pricing>(node, {}, 2);
  ASSERT_TRUE(p.ok());
  const bitactor::pid pricing = p.process;
  // [plain-thread]
  resilience::circuit_breaker breaker({.name = "pricing"});
  const resilience::retry_policy policy{.max_attempts = 3, .initial_backoff = 10ms};
  double price = resilience::retry(policy, [&] {
    return breaker.call([&] { return otp::call(node, pricing, get_price{"ACME"}, 200ms); });
  });
  // [plain-thread]
  EXPECT_EQ(price, 101.5);
  EXPECT_EQ(breaker.metrics().failures, 2u);
}

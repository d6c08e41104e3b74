#pragma once
// Retry with exponential backoff and full jitter, for failures that may pass.
//
//   resilience::retry_policy policy{.max_attempts = 4, .initial_backoff = 50ms, .seed = 7};
//   int v = resilience::retry(policy, [&] { return fetch_price(); });       // a plain thread
//
//   otp::async_reply<int> price(quote q) {                                  // in a behaviour
//     int v = co_await resilience::retry(*this, policy, [this, q] { return call(db, q); });
//     co_return v;
//   }
//
// Each failure (an exception) is classified with error::from_exception. A failure that is not
// retryable (business, validation, internal, or one marked so) is rethrown at once. A
// retryable one is retried after a backoff drawn uniformly from [0, ceiling] ("full jitter":
// spreads the retries of many callers), where ceiling = min(max_backoff,
// initial_backoff * multiplier^(retry - 1)). Retrying stops, rethrowing the last failure,
// after max_attempts calls or when the next wait would end past the deadline (counted from
// the first call). Each failed attempt that will be retried is emitted as
// {bitactor, retry, attempt_failed}; giving up on a retryable failure as
// {bitactor, retry, exhausted} (events.hpp).
//
// The two forms wait differently:
//  - retry(policy, fn) blocks the calling thread between attempts (std::this_thread by
//    default; a test passes its own retry_timing). Never call it inside a process's handler:
//    it would hold a scheduler worker.
//  - retry(self, policy, fn) is a coroutine for behaviours: co_await it from an otp::async
//    (or async_reply) coroutine. It waits with the runtime's timers, as a call does, so no
//    worker is held; like gen:call's receive, the process handles no other message while it
//    waits (they are kept and handled after). fn may return a value or an awaitable (a call,
//    another coroutine), which is awaited on each attempt. Time is the node's (virtual under
//    the deterministic scheduler). As with every coroutine there (behaviour.hpp), capture
//    values, not references to the handler's locals, and pass the policy and a function
//    that captures strings (or other values with destructors) as named variables, not
//    temporaries built in the co_await expression (GCC 12 destroys those twice).
// The result of a void fn is otp::ok_t in the coroutine form.

#include <bitactor/otp/behaviour.hpp>
#include <bitactor/otp/call.hpp>
#include <chrono>
#include <concepts>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "bitactor/resilience/clock.hpp"
#include "bitactor/resilience/error.hpp"
#include "bitactor/resilience/events.hpp"

namespace bitactor::resilience {

struct retry_policy {
  std::string name{};            // the events' `name` metadata
  std::size_t max_attempts = 3;  // calls in all, the first included (>= 1)
  std::chrono::milliseconds initial_backoff{100};
  double multiplier = 2.0;  // >= 1
  std::chrono::milliseconds max_backoff{10000};
  std::chrono::milliseconds deadline = otp::infinity;  // for all attempts and waits together
  std::uint64_t seed = 0;  // of the jitter; 0: a different seed each run
};

/// The waits of one retry run: ceilings grow exponentially, each wait is drawn in [0, ceiling].
class backoff {
 public:
  explicit backoff(const retry_policy& policy);
  /// The largest wait before retry number `retry` (1 for the wait after the first failure).
  std::chrono::milliseconds ceiling(std::size_t retry) const noexcept;
  /// A wait drawn uniformly from [0, ceiling(retry)].
  std::chrono::milliseconds next(std::size_t retry);

 private:
  std::chrono::milliseconds initial_;
  double multiplier_;
  std::chrono::milliseconds max_;
  std::uint64_t seed_;
  // Seeded on the first draw: most calls succeed at once, and seeding costs more than them.
  std::optional<std::mt19937_64> random_;
};

/// How the blocking form reads the time and waits; tests replace both.
struct retry_timing {
  clock now = steady_clock();
  std::function<void(std::chrono::milliseconds)> sleep = [](std::chrono::milliseconds d) {
    std::this_thread::sleep_for(d);
  };
};

namespace detail {
/// After a failed attempt: the wait before the next one, or nullopt to give up (the
/// failure is then rethrown). Emits the retry events.
std::optional<std::chrono::milliseconds> plan_retry(const retry_policy& policy, backoff& waits,
                                                    std::size_t attempt,
                                                    std::chrono::milliseconds elapsed,
                                                    const error& failed);

template <class T>
concept awaiter = requires(T& a) {
  { a.await_ready() } -> std::convertible_to<bool>;
  a.await_resume();
};

/// What co_await on an attempt's result gives: the awaited value, or the result itself.
template <class R>
struct awaited_of {
  using type = R;
};
template <awaiter R>
struct awaited_of<R> {
  using type = decltype(std::declval<R&>().await_resume());
};

template <class F>
struct retried_value {
  using raw = std::invoke_result_t<F&>;
  using awaited = typename awaited_of<raw>::type;
  using type = std::conditional_t<std::is_void_v<awaited>, otp::ok_t, std::decay_t<awaited>>;
};
}  // namespace detail

namespace detail {
/// The real clock and sleep, made once (building the functions per call costs more than a
/// successful call).
const retry_timing& real_timing();
}  // namespace detail

/// Calls fn() until it succeeds or the policy gives up (see the top of this file).
template <class F>
std::invoke_result_t<F&> retry(const retry_policy& policy, F&& fn,
                               const retry_timing& timing = detail::real_timing()) {
  backoff waits(policy);
  // Without a deadline the clock is never needed (a successful call then costs no reading).
  const bool timed = policy.deadline < otp::infinity;
  const time_point started = timed ? timing.now() : time_point{};
  for (std::size_t attempt = 1;; ++attempt) {
    try {
      return fn();
    } catch (...) {
      const error failed = error::from_exception(std::current_exception());
      const auto elapsed =
          timed ? std::chrono::duration_cast<std::chrono::milliseconds>(timing.now() - started)
                : std::chrono::milliseconds(0);
      auto wait = detail::plan_retry(policy, waits, attempt, elapsed, failed);
      if (!wait) throw;
      timing.sleep(*wait);
    }
  }
}

/// The coroutine a behaviour co_awaits for retry(self, policy, fn): yields fn's value.
template <class T>
class retried {
 public:
  struct promise_type : otp::detail::promise_base {
    retried get_return_object() {
      auto h = std::coroutine_handle<promise_type>::from_promise(*this);
      attach(h);
      return retried(h);
    }
    template <class U>
    void return_value(U&& v) {
      value.emplace(std::forward<U>(v));
    }
    std::optional<T> value;
  };

  bool await_ready() const noexcept { return handle_.done(); }
  void await_suspend(std::coroutine_handle<> awaiting) noexcept {
    handle_.promise().continuation = awaiting;
  }
  T await_resume() {
    auto& p = handle_.promise();
    if (auto e = p.error) {
      p.error = nullptr;  // handed over: the process does not crash with it as well
      std::rethrow_exception(e);
    }
    return std::move(*p.value);
  }

 private:
  explicit retried(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
  std::coroutine_handle<promise_type> handle_;  // not owning: the process owns the frame
};

/// Calls fn() inside behaviour `self` until it succeeds or the policy gives up, waiting
/// between attempts on the runtime's timers. co_await the result.
template <class F>
retried<typename detail::retried_value<F>::type> retry(otp::behaviour& self, retry_policy policy,
                                                       F fn) {
  using raw = std::invoke_result_t<F&>;
  using result = typename detail::retried_value<F>::type;
  backoff waits(policy);
  const std::chrono::milliseconds started = self.this_node().now();
  for (std::size_t attempt = 1;; ++attempt) {
    std::optional<std::chrono::milliseconds> wait;
    std::exception_ptr failure_seen;
    try {
      if constexpr (detail::awaiter<raw>) {
        raw pending = fn();  // named: see the GCC 12 note in behaviour.hpp
        if constexpr (std::is_void_v<typename detail::retried_value<F>::awaited>) {
          co_await pending;
          co_return otp::ok;
        } else {
          result value = co_await pending;
          co_return value;
        }
      } else if constexpr (std::is_void_v<raw>) {
        fn();
        co_return otp::ok;
      } else {
        result value = fn();
        co_return value;
      }
    } catch (...) {
      failure_seen = std::current_exception();
    }
    // Out of the handler: co_await is not allowed inside one.
    const error failed = error::from_exception(failure_seen);
    wait = detail::plan_retry(policy, waits, attempt, self.this_node().now() - started, failed);
    if (!wait) std::rethrow_exception(failure_seen);
    // A wait for a reply no one sends: it ends with its timer (gen.erl's receive after T).
    co_await self.wait(otp::detail::wait_spec{self.make_ref(), ref{}, pid{}, *wait, false});
  }
}

}  // namespace bitactor::resilience

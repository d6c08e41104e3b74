#pragma once
// A circuit breaker per dependency: stops calling a dependency that keeps failing, so that
// callers fail fast instead of waiting on it, and lets a few probe calls through later to
// learn whether it has recovered.
//
//   closed     calls pass; their outcomes go into a sliding window. When the window holds at
//              least minimum_calls outcomes and the failure rate (or the slow-call rate)
//              reaches its threshold, the breaker opens.
//   open       calls fail at once with an `unavailable` error (code circuit_open) for
//              open_duration; then the next call moves it to half-open.
//   half_open  at most half_open_probes calls pass; once that many have finished, the breaker
//              closes (a fresh window) if their failure and slow rates are below the
//              thresholds, and opens again otherwise. Others are rejected meanwhile.
//
// The window is count-based (the last window_size calls) or time-based (the calls of the
// last window_size seconds, in one-second buckets). A failure is an exception for which
// records_failure is true (default: every error except business and validation ones: a
// dependency that answers "no" is working); other outcomes count as successes. With
// slow_call_duration set, a call that takes at least that long counts as slow, and slow
// calls trip the breaker by slow_call_rate_threshold (a slow failure counts in both rates).
//
//   resilience::circuit_breaker db({.name = "orders_db", .failure_rate_threshold = 50});
//   auto rows = db.call([&] { return query(); });          // throws failure when open
//
// Code that cannot pass a function (a coroutine that co_awaits the call) uses permits:
//   auto p = db.try_acquire();  if (!p) ...rejected...;  ...call...;  db.on_success(*p);
// Every permit must end in exactly one on_success, on_failure or on_ignored.
//
// Each state change is emitted as {bitactor, breaker, state_change} and given to the
// configured listener; each rejected call as {bitactor, breaker, rejected} (events.hpp).
//
// Thread-safe. In the closed state with a count-based window and no slow-call detection,
// a call costs an atomic load to acquire and, to record a success where the window held one,
// one atomic read-modify-write and a load (a changed outcome adds an exchange), with no
// lock, no clock read and no allocation; a time-based window takes a short lock per record.
// Outcomes of calls that started before a state change are discarded (they describe the
// dependency as it was); under races an outcome may still land in the fresh window.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "bitactor/resilience/clock.hpp"
#include "bitactor/resilience/error.hpp"

namespace bitactor::resilience {

enum class breaker_state : std::uint8_t { closed, open, half_open };
std::string_view to_string(breaker_state s) noexcept;

enum class window_kind : std::uint8_t { count_based, time_based };

/// A state change as the listener and the event see it.
struct state_change {
  breaker_state from = breaker_state::closed;
  breaker_state to = breaker_state::closed;
  double failure_rate = 0;    // percent, of the window that decided it
  double slow_call_rate = 0;  // percent
};

struct breaker_config {
  std::string name{};
  window_kind window = window_kind::count_based;
  std::size_t window_size = 100;       // calls (count_based) or seconds (time_based); >= 1
  std::size_t minimum_calls = 10;      // outcomes in the window before a rate counts
  double failure_rate_threshold = 50;  // percent; opens when reached
  std::chrono::milliseconds slow_call_duration{0};  // zero: no slow-call detection
  double slow_call_rate_threshold = 100;            // percent
  std::chrono::milliseconds open_duration{60000};
  std::size_t half_open_probes = 10;                    // >= 1
  std::function<bool(const error&)> records_failure{};  // empty: all but business, validation
  std::function<void(const state_change&)> on_state_change{};  // called outside the lock
};

/// What the breaker's window holds now.
struct breaker_metrics {
  breaker_state state = breaker_state::closed;
  std::size_t calls = 0;  // outcomes in the window (half-open: probes finished)
  std::size_t failures = 0;
  std::size_t slow_calls = 0;
  std::uint64_t rejected = 0;  // calls refused since the breaker was made
  double failure_rate = 0;     // percent of calls; 0 with no calls
  double slow_call_rate = 0;
};

class circuit_breaker {
 public:
  /// Leave to make one call; from try_acquire.
  class permit {
   public:
    permit() = default;

   private:
    friend class circuit_breaker;
    permit(std::uint64_t word, time_point started) : word_(word), started_(started) {}
    std::uint64_t word_ = 0;  // the state word when it was given: generation and state
    time_point started_{};
  };

  explicit circuit_breaker(breaker_config config, clock now = steady_clock());
  ~circuit_breaker();
  circuit_breaker(const circuit_breaker&) = delete;
  circuit_breaker& operator=(const circuit_breaker&) = delete;

  /// A permit, or nullopt if the breaker refuses the call (open, or half-open with every probe
  /// taken); a refusal is counted and emitted.
  std::optional<permit> try_acquire();
  void on_success(const permit& p);
  void on_failure(const permit& p, const error& e);
  /// The call was abandoned (cancelled, never made): no outcome; a half-open probe is returned.
  void on_ignored(const permit& p);

  /// Calls fn() through the breaker: throws failure(open_error()) when refused, else returns
  /// what fn returns or rethrows what it throws, recording the outcome either way.
  template <class F>
  std::invoke_result_t<F&> call(F&& fn) {
    std::optional<permit> p = try_acquire();
    if (!p) throw failure(open_error());
    try {
      if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
        fn();
        on_success(*p);
      } else {
        auto result = fn();
        on_success(*p);
        return result;
      }
    } catch (...) {
      on_failure(*p, error::from_exception(std::current_exception()));
      throw;
    }
  }

  breaker_state state() const noexcept;
  breaker_metrics metrics() const;
  const std::string& name() const noexcept { return config_.name; }
  /// The error a refused call gets: unavailable, code circuit_open, context breaker and state.
  error open_error() const;

  /// Closes the breaker with an empty window (an operator's override).
  void reset();
  /// Opens it now, as if the rate had been reached (for maintenance or tests).
  void force_open();

 private:
  struct time_bucket;
  void record(const permit& p, bool failed);
  void record_closed(std::uint64_t word, std::uint8_t outcome, time_point now);
  void record_half_open(std::uint64_t word, std::uint8_t outcome);
  /// Moves from the state of `word` to `to` if `word` is still current; true if it did.
  bool transition(std::uint64_t word, breaker_state to);
  void clear_window_locked();
  bool needs_clock() const noexcept;
  bool tripped(std::size_t calls, std::size_t failures, std::size_t slow) const noexcept;

  breaker_config config_;
  clock now_;
  // Low byte: the state; above it a generation that each transition increments.
  std::atomic<std::uint64_t> word_;
  std::atomic<std::int64_t> opened_at_{0};  // clock ticks; while open
  std::atomic<std::uint64_t> rejected_{0};

  // Count-based window: a ring of outcomes (0 empty, else 1 | failed << 1 | slow << 2) and
  // running totals kept in step with what the ring holds.
  std::unique_ptr<std::atomic<std::uint8_t>[]> ring_;
  std::atomic<std::uint64_t> next_slot_{0};
  std::atomic<std::int64_t> ring_calls_{0};
  std::atomic<std::int64_t> ring_failures_{0};
  std::atomic<std::int64_t> ring_slow_{0};

  // Time-based window: one bucket per second, under bucket_lock_.
  mutable std::mutex bucket_lock_;
  std::vector<time_bucket> buckets_;

  // Half-open: probes not yet handed out, and the outcomes of those that finished.
  std::atomic<std::int64_t> probes_left_{0};
  std::atomic<std::int64_t> probe_calls_{0};
  std::atomic<std::int64_t> probe_failures_{0};
  std::atomic<std::int64_t> probe_slow_{0};

  std::mutex transition_lock_;
};

}  // namespace bitactor::resilience

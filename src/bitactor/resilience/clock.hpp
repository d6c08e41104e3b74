#pragma once
// Where the resilience components read the time. Each takes a clock so that tests drive time
// by hand (manual_clock) instead of sleeping; production code uses the steady clock.

#include <atomic>
#include <chrono>
#include <functional>

namespace bitactor::resilience {

using time_point = std::chrono::steady_clock::time_point;
/// A source of the current time; must be monotonic and safe to call from any thread.
using clock = std::function<time_point()>;

/// The steady clock, the default of every component.
inline clock steady_clock() {
  return [] { return std::chrono::steady_clock::now(); };
}

/// A clock that moves only when told: for tests. Thread-safe; starts at an arbitrary epoch.
class manual_clock {
 public:
  time_point now() const noexcept {
    return time_point(std::chrono::steady_clock::duration(now_.load(std::memory_order_acquire)));
  }
  void advance(std::chrono::steady_clock::duration by) noexcept {
    now_.fetch_add(by.count(), std::memory_order_acq_rel);
  }
  /// A clock reading this one; the manual_clock must outlive every component using it.
  clock source() const {
    return [this] { return now(); };
  }

 private:
  // The ticks of a steady_clock duration: an integer, so fetch_add is lock-free.
  std::atomic<std::chrono::steady_clock::duration::rep> now_{0};
};

}  // namespace bitactor::resilience

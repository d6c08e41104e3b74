#pragma once
// Internal: the node's timers: a timer_wheel behind a mutex, driven either by a thread of its
// own (production; it sleeps until the next deadline, so an idle node with no timers never
// wakes) or by the deterministic policy's virtual clock (tests call advance_to()).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "bitactor/core/internal/clock.hpp"
#include "bitactor/core/internal/timer_wheel.hpp"

namespace bitactor::detail {

class timer_service {
 public:
  using deliver_fn = std::function<void(const pid&, message*)>;

  timer_service(clock_source& clock, deliver_fn deliver);
  ~timer_service();

  /// Starts the driving thread (production policy only).
  void start_thread();
  /// Stops the thread and deletes every pending timer's message.
  void stop();

  using stamp_fn = void (*)(message*, timer_ref);
  /// Delivers msg to target after delay ms; a deadline past the clock's range never fires.
  timer_ref start(std::uint64_t delay, pid target, message* msg, stamp_fn stamp = nullptr);
  /// Remaining milliseconds of a pending timer, or nullopt if it already fired or was
  /// cancelled (Erlang's erlang:cancel_timer/1 returning false).
  std::optional<std::uint64_t> cancel(timer_ref r);
  /// Deterministic policy: fires what is due at the clock's current time.
  void fire_due();
  /// The next deadline that may fire, if any timer is pending.
  std::optional<std::uint64_t> next_wakeup();
  std::size_t pending();
  /// Times the driving thread woke from waiting (a timer was due, one was added that is due
  /// sooner, a cascade, or a spurious wake-up): what an idle node's timers cost it.
  std::uint64_t wakeups() const noexcept { return wakeups_.load(std::memory_order_relaxed); }

 private:
  void thread_main();

  clock_source& clock_;
  deliver_fn deliver_;
  std::mutex lock_;
  std::condition_variable wake_;
  timer_wheel wheel_;
  std::uint64_t sleeping_until_ = UINT64_MAX;
  bool stopping_ = false;
  std::atomic<std::uint64_t> wakeups_{0};
  std::thread thread_;
};

}  // namespace bitactor::detail

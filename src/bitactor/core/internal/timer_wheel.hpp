#pragma once
// Internal: a hierarchical timing wheel (6 levels of 64 slots, 1 ms ticks, ~2 years of range),
// written by hand because a node may hold millions of pending timers: adding and cancelling are
// O(1) with no allocation beyond a pooled entry, and expiry work is proportional to the timers
// that fire. It is the classic cascading design of the Linux kernel's pre-4.8 timer wheel,
// with one change: advance() and next_wakeup() find the next non-empty slot of each level
// from the occupancy bitmaps (O(levels)), so time can jump over empty stretches instead of
// visiting every 64-tick boundary (advancing a virtual clock by 2^36 ms is a few steps, and
// an idle node sleeps until its next timer or cascade instead of waking every 64 ms).
// A timer whose deadline is never_ms (a delay past the clock's range) is kept aside: it can
// be cancelled but never fires and never wakes anything.
// Not thread-safe: timer_service serialises access.

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "bitactor/core/pid.hpp"
#include "bitactor/core/system_messages.hpp"

namespace bitactor {
class message;
}

namespace bitactor::detail {

class timer_wheel {
 public:
  struct expired {
    pid target;
    message* msg;
  };

  timer_wheel() = default;
  ~timer_wheel();
  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;

  /// Schedules msg for target at deadline (ms); the wheel owns msg until it fires or is
  /// cancelled. A deadline already passed fires at the next advance().
  timer_ref add(std::uint64_t deadline, pid target, message* msg);
  /// Removes a pending timer and returns its deadline; nullopt when it already fired, was
  /// cancelled, or never existed.
  std::optional<std::uint64_t> cancel(timer_ref r);
  /// Fires every timer with deadline <= now, appending them to out in deadline order.
  /// Costs O(levels) per tick that has work, however far `now` is.
  void advance(std::uint64_t now, std::vector<expired>& out);
  /// The earliest tick at which advance() has work (a timer to fire, or a coarser slot to
  /// move down: at most one such tick per level between a timer's start and its deadline),
  /// if any timer that can fire is pending. O(levels).
  std::optional<std::uint64_t> next_wakeup() const;
  std::size_t pending() const noexcept { return pending_; }
  /// Takes every pending message out (node shutdown).
  void drain(std::vector<message*>& out);

 private:
  static constexpr int level_bits = 6;
  static constexpr int levels = 6;
  static constexpr std::uint32_t slots = 1u << level_bits;
  static constexpr std::uint32_t none = 0;                       // entry links are index + 1
  static constexpr std::uint16_t never_bucket = levels * slots;  // deadlines that never come

  struct entry {
    std::uint64_t deadline = 0;
    std::uint32_t prev = none;
    std::uint32_t next = none;
    std::uint32_t generation = 0;  // odd while pending
    std::uint16_t bucket = 0;      // level * slots + slot
    pid target;
    message* msg = nullptr;
  };

  void place(std::uint32_t index);
  void unlink(std::uint32_t index);
  void cascade(int level, std::uint32_t slot);
  void run_tick(std::vector<expired>& out);

  std::vector<entry> entries_;
  std::vector<std::uint32_t> free_;
  std::array<std::uint32_t, levels * slots + 1> heads_{};  // + the never bucket
  std::array<std::uint64_t, levels> occupied_{};           // bit per non-empty slot
  std::uint64_t next_tick_ = 0;                            // first tick not yet processed
  std::size_t pending_ = 0;
};

}  // namespace bitactor::detail

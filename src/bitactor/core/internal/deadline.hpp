#pragma once
// Internal: turning a timeout into a deadline without overflow. Every place that adds a
// caller's timeout to a clock goes through here, so a timeout too long to represent (e.g.
// std::chrono::milliseconds::max()) means "never" (Erlang's `infinity`) instead of wrapping
// into the past and expiring at once. A negative timeout means 0, as Erlang's
// `receive ... after 0` (a negative `after` is a badarg there; here it is simply due now).

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>

namespace bitactor::detail {

/// The node clock's value meaning "never due".
inline constexpr std::uint64_t never_ms = std::numeric_limits<std::uint64_t>::max();

/// now_ms + delay on the node's millisecond clock, saturating at never_ms.
constexpr std::uint64_t deadline_after(std::uint64_t now_ms, std::uint64_t delay) noexcept {
  return delay >= never_ms - now_ms ? never_ms : now_ms + delay;
}

/// now_ms + timeout, saturating at never_ms; milliseconds::max() itself is never_ms.
constexpr std::uint64_t deadline_after(std::uint64_t now_ms,
                                       std::chrono::milliseconds timeout) noexcept {
  if (timeout.count() <= 0) return now_ms;
  if (timeout == std::chrono::milliseconds::max()) return never_ms;
  return deadline_after(now_ms, static_cast<std::uint64_t>(timeout.count()));
}

/// A delay in whole milliseconds (negative is 0), for APIs that take an unsigned delay;
/// milliseconds::max() is never_ms.
constexpr std::uint64_t delay_ms(std::chrono::milliseconds timeout) noexcept {
  if (timeout.count() <= 0) return 0;
  if (timeout == std::chrono::milliseconds::max()) return never_ms;
  return static_cast<std::uint64_t>(timeout.count());
}

/// A count of milliseconds as a duration, saturating at milliseconds::max().
constexpr std::chrono::milliseconds as_duration(std::uint64_t ms) noexcept {
  constexpr auto most = static_cast<std::uint64_t>(std::chrono::milliseconds::max().count());
  return ms >= most ? std::chrono::milliseconds::max()
                    : std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

/// The steady clock's time `timeout` from now, or nullopt when that is past the clock's range
/// (wait without a deadline). std::condition_variable::wait_for(ms::max()) would overflow
/// converting to nanoseconds and return at once, which is why callers wait until this instead.
inline std::optional<std::chrono::steady_clock::time_point> steady_deadline(
    std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  const clock::time_point now = clock::now();
  if (timeout.count() <= 0) return now;
  const auto room =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock::time_point::max() - now);
  if (timeout >= room) return std::nullopt;
  return now + std::chrono::duration_cast<clock::duration>(timeout);
}

}  // namespace bitactor::detail

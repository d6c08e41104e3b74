#pragma once
// The seam between the resilience components and whoever observes them (the telemetry layer,
// a test, a log). Like Erlang's `telemetry` library: an event has a name given as a list of
// words, numeric measurements and string metadata; handlers attach to a name prefix and are
// called synchronously, on the emitting thread, for every event under it.
//
//   auto id = resilience::attach({"bitactor", "breaker"}, [](const resilience::event& e) {...});
//   ...
//   resilience::detach(id);
//
// Events the layer emits (metadata `name` is the component's configured name):
//   {bitactor, breaker, state_change}   metadata from, to          measurements failure_rate,
//                                                                  slow_call_rate
//   {bitactor, breaker, rejected}       (a call refused while open or half-open)
//   {bitactor, retry, attempt_failed}   metadata code, category    measurements attempt,
//                                                                  backoff_ms
//   {bitactor, retry, exhausted}        metadata code              measurements attempts
//   {bitactor, bulkhead, rejected}      metadata reason            measurements active, waiting
//   {bitactor, error_tracker, threshold_crossed}  metadata code    measurements count,
//                                                                  threshold, window_ms
//   {bitactor, feature_flag, changed}   metadata flag, type        measurements percent
//   {bitactor, rollout, phase_changed}  metadata plan, from, to,   measurements phase
//                                       direction, reason          (-1: the baseline)
//   {bitactor, rollback_guard, rolled_back}  metadata plan, metric, measurements value, limit
//                                            from, to
//
// With no handler attached anywhere, emitting costs one relaxed atomic load (enabled());
// components check it before building an event. A handler must not attach or detach from
// inside its own call, and must not throw (an exception escaping it is dropped).

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bitactor::resilience {

struct event {
  std::vector<std::string> name{};
  std::vector<std::pair<std::string, double>> measurements{};
  std::vector<std::pair<std::string, std::string>> metadata{};

  /// A measurement or metadata value by key; nullptr when absent.
  const double* measurement(std::string_view key) const noexcept;
  const std::string* meta(std::string_view key) const noexcept;
};

using event_handler = std::function<void(const event&)>;
using handler_id = std::uint64_t;

/// Calls `handler` for every event whose name starts with `prefix` (an empty prefix: all
/// events). Returns the id to detach it with. Thread-safe.
handler_id attach(std::vector<std::string> prefix, event_handler handler);
/// Stops calling the handler; false if the id is unknown. Once it returns, the handler is
/// not called again except by emits already under way on other threads.
bool detach(handler_id id);

namespace detail {
extern std::atomic<std::size_t> attached_handlers;
void dispatch(const event& e);
}  // namespace detail

/// Whether any handler is attached: the one check made before building an event.
inline bool enabled() noexcept {
  return detail::attached_handlers.load(std::memory_order_relaxed) != 0;
}

/// Hands the event to every handler whose prefix matches its name.
inline void emit(const event& e) {
  if (enabled()) detail::dispatch(e);
}

/// Builds the event only when some handler is attached: emit_with([&] { return event{...}; }).
template <class Build>
void emit_with(Build&& build) {
  if (enabled()) detail::dispatch(std::forward<Build>(build)());
}

}  // namespace bitactor::resilience

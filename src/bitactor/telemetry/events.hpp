#pragma once
// Telemetry events, as Erlang's `telemetry` library has them: an event has a name given as a
// list of words ({bitactor, breaker, state_change}), numeric measurements and string
// metadata; handlers attach to a name prefix and are called synchronously, on the emitting
// thread, for every event under it.
//
//   auto id = telemetry::attach({"bitactor", "db"}, [](const telemetry::event& e) {...});
//   telemetry::execute({{"bitactor", "db", "query"}, {{"rows", 12.0}}, {{"table", "users"}}});
//   telemetry::execute_with([&] { return telemetry::event{...}; });  // built only if observed
//   int n = telemetry::span({"bitactor", "db", "query"}, {{"table", "users"}}, [&] {
//     return run_query();                                            // emits .../start, then
//   });                                                              // .../stop or .../exception
//   telemetry::detach(id);
//
// Cost. With no handler attached anywhere, execute_with and span cost one relaxed atomic load
// (enabled()); execute(const event&) the same once the caller has built the event. With
// handlers attached, an emit reads one atomic version number and walks this thread's copy of
// the handler table: no lock, no shared write. The table is copy-on-write; attach and detach
// (rare) take a lock, build a new table and bump the version; each thread picks the new
// table up, under that lock, on its next emit.
//
// Spans. span(name, metadata, fn) runs fn and emits, with the caller's metadata:
//   name + "start"      measurements monotonic_time, system_time
//   name + "stop"       measurements duration, monotonic_time
//   name + "exception"  measurements duration, monotonic_time; metadata also kind
//                       ("exception") and reason (what() of a std::exception, else "unknown")
// and rethrows the exception after the last one. All times are nanoseconds, as doubles
// (exact up to 2^53 ns, 104 days): monotonic_time from std::chrono::steady_clock,
// system_time since the Unix epoch, duration from start to stop. Whether a span emits is
// decided once, at its start: with nothing attached then, fn just runs; otherwise it emits
// both events, each to the handlers attached when it is emitted.
//
// Handlers. A handler must not throw (an exception escaping it is dropped, and the other
// handlers still run). It may emit events itself, and attach or detach handlers: the emit in
// progress keeps the table it started with. After detach(id) returns, the handler is called
// only by emits already under way on other threads; a thread that emitted before keeps the
// old table, and the handler object in it, until its next emit or its exit.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace bitactor::telemetry {

/// An event name or prefix: {"bitactor", "breaker", "state_change"}.
using event_name = std::vector<std::string>;
using measurement_list = std::vector<std::pair<std::string, double>>;
using metadata_list = std::vector<std::pair<std::string, std::string>>;

struct event {
  event_name name{};
  measurement_list measurements{};
  metadata_list metadata{};

  /// A measurement or metadata value by key; nullptr when absent.
  const double* measurement(std::string_view key) const noexcept;
  const std::string* meta(std::string_view key) const noexcept;
};

using event_handler = std::function<void(const event&)>;
using handler_id = std::uint64_t;

/// Calls `handler` for every event whose name starts with `prefix` (an empty prefix: all
/// events). Returns the id to detach it with. Throws std::invalid_argument for an empty
/// handler. Thread-safe.
handler_id attach(event_name prefix, event_handler handler);
/// Stops calling the handler; false if the id is unknown. Thread-safe.
bool detach(handler_id id);

namespace detail {
extern std::atomic<std::size_t> attached_handlers;
void dispatch(const event& e);
/// The span's halves, out of line: each returns or takes the start's steady_clock time.
std::chrono::steady_clock::time_point span_start(const event_name& name,
                                                 const metadata_list& metadata);
void span_stop(const event_name& name, const metadata_list& metadata,
               std::chrono::steady_clock::time_point start);
void span_exception(const event_name& name, const metadata_list& metadata,
                    std::chrono::steady_clock::time_point start, std::exception_ptr error);
}  // namespace detail

/// Whether any handler is attached: the one check made before building an event.
inline bool enabled() noexcept {
  return detail::attached_handlers.load(std::memory_order_relaxed) != 0;
}

/// Hands the event to every handler whose prefix matches its name.
inline void execute(const event& e) {
  if (enabled()) detail::dispatch(e);
}

/// Builds the event only when some handler is attached:
/// execute_with([&] { return event{...}; }).
template <class Build>
void execute_with(Build&& build) {
  if (enabled()) detail::dispatch(std::forward<Build>(build)());
}

/// Runs fn() between a start event and a stop (or exception) event; returns what fn returns
/// and rethrows what it throws. See the header comment for the events.
template <class F>
std::invoke_result_t<F&> span(const event_name& name, const metadata_list& metadata, F&& fn) {
  using result = std::invoke_result_t<F&>;
  if (!enabled()) return std::invoke(fn);
  const auto start = detail::span_start(name, metadata);
  auto guarded = [&]() -> result {
    try {
      return std::invoke(fn);
    } catch (...) {
      detail::span_exception(name, metadata, start, std::current_exception());
      throw;
    }
  };
  if constexpr (std::is_void_v<result>) {
    guarded();
    detail::span_stop(name, metadata, start);
  } else {
    result r = guarded();
    detail::span_stop(name, metadata, start);
    return r;
  }
}

}  // namespace bitactor::telemetry

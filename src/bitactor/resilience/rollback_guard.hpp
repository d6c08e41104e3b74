#pragma once
// The rollback guard: watches a rollout while it runs and moves it back one phase, by itself,
// when the new phase makes things worse.
//
// It watches three kinds of metric, each optional:
//   error rate           errors / (errors + successes) reported to it (record_error,
//                        record_success) over a sliding window; no verdict while the window
//                        holds fewer than min_outcomes outcomes
//   restarts per minute  supervisor restarts on the OS process's nodes within the last
//                        minute, counted from the supervisor reports (report.hpp, action
//                        restarting or child_terminated) through a report sink
//   gauges               functions polled each tick, each with its own limit
// A metric above its limit trips the guard: it calls plan.back(), logs a report and tells
// its subscribers. Then it holds: it does not roll back again, however bad the metrics stay,
// until the plan moves forward again (plan.advance(), by a person or a program), which also
// clears the windows so the new phase is judged on its own outcomes. A guard that never
// acts twice for one cause does not flap.
//
// It runs as a gen_server on the node that polls on a timer (poll_interval), so it needs no
// thread of its own and runs on virtual time under the deterministic policy: windows and
// restart times are read from node::now().
//
//   resilience::rollback_guard guard(node, plan, {.max_error_rate = 0.05,
//                                                 .max_restarts_per_minute = 10});
//   plan.advance();
//   ... guard.record_error() / guard.record_success() where requests finish ...
//
// Report: a report of kind application, level warning, with fields application (the plan's
// name), status rolled_back, from and to (phase names; "baseline" before the first), reason
// {Metric, Value, Limit} with Metric the atom error_rate, restarts_per_minute or
// gauge.<name>. (The otp layer has no report kind for this yet; see report.hpp.)
// Event (events.hpp): {bitactor, rollback_guard, rolled_back} with metadata plan, metric,
// from, to and measurements value, limit.
//
// record_*, holding, subscribe and the other members are thread-safe. The guard must not
// outlive the node or the plan; its destructor stops the process and the report sink.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bitactor/core/node.hpp"
#include "bitactor/core/pid.hpp"
#include "bitactor/resilience/rollout.hpp"

namespace bitactor::resilience {

/// A custom metric: `read` is polled on each tick, on the guard's process; above `limit`
/// trips the guard. It must be cheap, must not block and must not throw.
struct gauge_limit {
  std::string name{};
  std::function<double()> read{};
  double limit = 0;
};

struct rollback_guard_config {
  std::chrono::milliseconds poll_interval = std::chrono::seconds(1);
  /// Trips when the error rate over error_window exceeds this; 1 (the default): never.
  double max_error_rate = 1.0;
  std::chrono::milliseconds error_window = std::chrono::minutes(1);
  /// Fewer outcomes than this in the window give no verdict (one error in two calls is not a
  /// 50 % error rate worth a rollback).
  std::size_t min_outcomes = 20;
  /// Trips when more supervisor restarts than this happened within the last minute; nullopt:
  /// restarts are not watched.
  std::optional<std::size_t> max_restarts_per_minute{};
  std::vector<gauge_limit> gauges{};
};

/// Why the guard rolled back, as its subscribers are told.
struct rollback {
  std::string plan{};
  std::string metric{};  // "error_rate", "restarts_per_minute" or "gauge.<name>"
  double value = 0;
  double limit = 0;
  std::optional<std::size_t> from{};  // the phase left
  std::optional<std::size_t> to{};    // the phase now in force; nullopt: baseline
};

namespace detail {
struct guard_state;
}

class rollback_guard {
 public:
  using subscription_id = std::uint64_t;
  using callback = std::function<void(const rollback&)>;

  /// Starts the guard's process on `n` (from a plain thread). Throws std::invalid_argument
  /// for a poll_interval or error_window that is not positive, a max_error_rate outside
  /// 0..1, or a gauge without a read function.
  rollback_guard(node& n, rollout_plan& plan, rollback_guard_config config = {});
  ~rollback_guard();
  rollback_guard(const rollback_guard&) = delete;
  rollback_guard& operator=(const rollback_guard&) = delete;

  /// One outcome of the guarded code path. Any thread; a lock and a counter.
  void record_success();
  void record_error();

  /// After a rollback, until the plan moves forward again.
  bool holding() const;
  /// The last rollback the guard made, if any.
  std::optional<rollback> last_rollback() const;
  /// The error rate over the window now (0 with no outcomes) and the restarts within the
  /// last minute.
  double error_rate() const;
  std::size_t restarts_last_minute() const;

  /// Calls `cb` after each rollback, on the guard's process; it must not throw or block.
  subscription_id subscribe(callback cb);
  void unsubscribe(subscription_id id);

  /// The guard's process.
  pid process() const noexcept { return process_; }

 private:
  node& node_;
  std::shared_ptr<detail::guard_state> state_;
  pid process_;
};

}  // namespace bitactor::resilience

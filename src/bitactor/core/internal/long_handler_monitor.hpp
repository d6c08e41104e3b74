#pragma once
// Internal: the long-run monitor behind node::monitor_long_handlers (erlang:system_monitor
// with long_schedule, for handlers that cannot be preempted). When on, each handler call is
// timed; one that ran past the threshold is reported to the receiver as a long_handler
// message when it returns. On the threaded policy a watchdog thread also reports a handler
// still running past the threshold (once per call), so one that never returns is named too.
// Off (the default), a turn pays one relaxed load per handler call.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "bitactor/core/pid.hpp"
#include "bitactor/core/type_id.hpp"

namespace bitactor::detail {

class process;
class runtime;

class long_handler_monitor {
 public:
  long_handler_monitor(runtime& rt, bool with_watchdog);
  ~long_handler_monitor();
  long_handler_monitor(const long_handler_monitor&) = delete;
  long_handler_monitor& operator=(const long_handler_monitor&) = delete;

  /// Reports handlers running longer than `threshold` to `receiver`; a zero threshold or no
  /// receiver turns the monitor off.
  void set(const pid& receiver, std::chrono::milliseconds threshold);
  bool on() const noexcept { return threshold_ns_.load(std::memory_order_relaxed) != 0; }

  /// Brackets one handler call on this thread (only while on()). `what` is the type of the
  /// message handled (nullptr for on_start).
  std::uint64_t begin(const process& p, type_id what) noexcept;
  void end(const process& p, std::uint64_t started_ns, type_id what);

 private:
  void watch();
  void report(const process& p, type_id what, std::uint64_t ran_ns, bool finished);

  runtime& rt_;
  std::atomic<std::uint64_t> threshold_ns_{0};
  std::mutex lock_;  // receiver_, stopping_, the watchdog's wait
  pid receiver_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool with_watchdog_;
  std::thread watchdog_;
};

}  // namespace bitactor::detail

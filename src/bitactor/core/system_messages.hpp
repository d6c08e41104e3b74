#pragma once
// Messages the runtime itself delivers to processes, mirroring Erlang's tuples:
//   exit_msg      {'EXIT', From, Reason}          to a process that traps exits
//   down_msg      {'DOWN', Ref, process, Pid, Reason}  to a monitoring process
//   timeout_msg   {timeout, TimerRef, Msg}         from start_timer
//   long_handler  {monitor, Pid, long_schedule, Info}  to node::monitor_long_handlers' receiver

#include <chrono>
#include <cstdint>
#include <string>

#include "bitactor/core/exit_reason.hpp"
#include "bitactor/core/pid.hpp"

namespace bitactor {

struct exit_msg {
  pid from;
  exit_reason reason;
};

struct down_msg {
  ref monitor;
  pid process;
  exit_reason reason;
};

/// Identifies a pending timer (send_after / start_timer); used to cancel it.
struct timer_ref {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;  // 0 is never a valid timer
  explicit operator bool() const noexcept { return generation != 0; }
  friend bool operator==(const timer_ref&, const timer_ref&) = default;
};

template <class T>
struct timeout_msg {
  timer_ref timer;
  T message;
};

/// A handler that ran longer than the long-run monitor's threshold (node::monitor_long_handlers;
/// erlang:system_monitor's long_schedule). Sent when the handler returns (finished), and on
/// the threaded policy also once while it still runs past the threshold (not finished), so a
/// handler that never returns is named too.
struct long_handler {
  pid process;
  std::string registered_name;  // empty if it has none
  std::string handling;         // the type of the message it was handling, or "(on_start)"
  std::chrono::microseconds running_for{0};
  bool finished = true;
};

}  // namespace bitactor

#pragma once
// Internal: Erlang's rules for the signals processes exchange besides messages (erts User's
// Guide, "Processes", Signals; erlang:link/1, unlink/1, exit/2, monitor/2, demonitor/1): what a
// link, unlink, exit, monitor, demonitor or down signal does to the process that receives it,
// and what answers a signal whose target does not exist.
//
// The rules deliver and schedule nothing themselves: they say what must be sent, and the
// caller sends it (the runtime through its mailboxes). That keeps them apart from the turn
// machinery, so the distribution layer can answer signals that cross nodes by the same rules.

#include <optional>

#include "bitactor/core/exit_reason.hpp"
#include "bitactor/core/internal/process.hpp"
#include "bitactor/core/internal/signal.hpp"
#include "bitactor/core/message.hpp"
#include "bitactor/core/pid.hpp"

namespace bitactor::detail {

/// What a signal does to its receiver, for the caller to carry out in this order: put
/// for_receiver in line for the receiver's actor, send reply to the signal's sender, then end
/// the receiver if exit is set. The pointers are owned by the caller once returned.
struct signal_outcome {
  message* for_receiver = nullptr;  // exit_msg (trapped exit) or down_msg
  signal* reply = nullptr;          // unlink_ack
  std::optional<exit_reason> exit;  // the receiver must end with this reason
};

/// Applies s to p (pid `self`) during p's turn: updates p's links and monitors under its
/// relations lock. May take s's reason (s is consumed).
signal_outcome apply_signal(process& p, const pid& self, signal& s);

/// The answer to s when its target `to` does not exist (why = noproc) or cannot be reached
/// (noconnection), to be sent to s.from: a link is answered by an exit signal through the link,
/// a monitor by its down signal, an unlink by its ack (so no half-link remains). Every other
/// signal, and one that has no sender or came from `to` itself, gets none (nullptr).
signal* answer_undeliverable(const signal& s, const pid& to, const exit_reason& why);

}  // namespace bitactor::detail

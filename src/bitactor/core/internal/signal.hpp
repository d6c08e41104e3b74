#pragma once
// Internal: the signals processes exchange besides messages (Erlang's link, unlink, exit,
// monitor, demonitor and down signals). They travel through the same mailbox as messages, so
// the order of everything one process sends to another is kept, as Erlang guarantees.

#include <cstdint>

#include "bitactor/core/exit_reason.hpp"
#include "bitactor/core/message.hpp"
#include "bitactor/core/pid.hpp"

namespace bitactor::detail {

enum class signal_kind : std::uint8_t {
  link,        // from wants a link with the receiver
  unlink,      // from removes its link; receiver answers unlink_ack (OTP 23+ unlink protocol)
  unlink_ack,  // the peer has removed its half of the link identified by unlink_id
  exit,        // an exit signal: from a dying linked process (via_link) or exit/2
  monitor,     // from monitors the receiver under monitor_ref
  demonitor,   // from drops the monitor monitor_ref
  down,        // the process from, monitored under monitor_ref, has exited with reason
};

class signal final : public message {
 public:
  signal(signal_kind k, pid f) noexcept : message(type_id_of<signal>(), true), kind(k), from(f) {}

  signal_kind kind;
  bool via_link = false;  // exit: propagated through a link (so `kill` is trappable)
  bool forced = false;    // exit: the node is stopping; the receiver ends even if trapping
  pid from;
  ref monitor_ref{};
  std::uint64_t unlink_id = 0;
  exit_reason reason{};
};

}  // namespace bitactor::detail

#pragma once
// Control messages after the handshake (erl_dist_protocol.html, "Protocol between connected
// nodes") and their frames. This node speaks the pass-through format: each frame is
// `Len:32 | 112 | 131 Control | [131 Message]`, Len 0 being a tick. It does not advertise the
// atom cache or fragments, so a peer never sends the 131 68 header.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bitactor/term/decode.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::dist {

/// Operation codes (erts dist.h, enum dop).
enum class op : std::uint8_t {
  link = 1,
  send = 2,
  exit = 3,
  unlink = 4,
  reg_send = 6,
  group_leader = 7,
  exit2 = 8,
  send_tt = 12,
  exit_tt = 13,
  reg_send_tt = 16,
  exit2_tt = 18,
  monitor_p = 19,
  demonitor_p = 20,
  monitor_p_exit = 21,
  send_sender = 22,
  send_sender_tt = 23,
  payload_exit = 24,
  payload_exit_tt = 25,
  payload_exit2 = 26,
  payload_exit2_tt = 27,
  payload_monitor_p_exit = 28,
  spawn_request = 29,
  spawn_request_tt = 30,
  spawn_reply = 31,
  spawn_reply_tt = 32,
  alias_send = 33,
  alias_send_tt = 34,
  unlink_id = 35,
  unlink_id_ack = 36,
};

/// A decoded frame: the control tuple and, for ops that carry one, the message.
struct control_frame {
  term::term control;
  std::optional<term::term> message;
  [[nodiscard]] op code() const { return static_cast<op>(control[0].as_int()); }
};

/// The whole frame, length prefix included.
std::vector<std::uint8_t> encode_frame(const term::term& control,
                                       const term::term* message = nullptr);

/// Decodes a frame's payload (after the length). Returns nullopt with `why` set when the
/// payload is not a pass-through frame, the control is not a tuple starting with a small
/// integer, a term is truncated or malformed, or bytes are left over. Knowing the op is the
/// caller's business.
std::optional<control_frame> decode_frame(std::span<const std::uint8_t> payload, std::string& why,
                                          const term::decode_options& options = {});

}  // namespace bitactor::dist

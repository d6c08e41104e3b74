#pragma once
// Control messages after the handshake (erl_dist_protocol.html, "Protocol between connected
// nodes") and the pass-through frame: `Len:32 | 112 | 131 Control | [131 Message]`, Len 0
// being a tick. Frames are built in this form; once a peer has negotiated the distribution
// header (DIST_HDR_ATOM_CACHE or FRAGMENTS) the connection rewrites them (frame_writer.hpp),
// and frames with the header are read by frame_reader.hpp.

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

/// A frame on its way out: the pass-through bytes encode_frame() writes and where the control
/// term ends in them, so that the connection can rewrite the frame with a distribution header
/// or as fragments once it knows the peer's flags (frame_writer.hpp).
struct outgoing_frame {
  std::vector<std::uint8_t> bytes;  // Len:32 | 112 | 131 Control | [131 Message]
  std::size_t control_end = 0;      // offset one past the control term
};
outgoing_frame encode_outgoing(const term::term& control, const term::term* message = nullptr);

/// The control message at the start of `bytes` (`131 Control ...`) and, in `consumed`, the
/// bytes it took; nullopt with `why` set when it does not decode or is not a tuple starting
/// with an operation code (0..255). Every frame form reads its control with it.
std::optional<term::term> decode_control(std::span<const std::uint8_t> bytes,
                                         term::decode_options options, std::size_t& consumed,
                                         std::string& why);
/// Decodes the message that fills `bytes` (`131 Message`) into `f.message`; false with `why`
/// set when it does not, or leaves bytes over.
bool decode_message(std::span<const std::uint8_t> bytes, term::decode_options options,
                    control_frame& f, std::string& why);

/// Decodes a frame's payload (after the length). Returns nullopt with `why` set when the
/// payload is not a pass-through frame, the control is not a tuple starting with a small
/// integer, a term is truncated or malformed, or bytes are left over. Knowing the op is the
/// caller's business.
std::optional<control_frame> decode_frame(std::span<const std::uint8_t> payload, std::string& why,
                                          const term::decode_options& options = {});

}  // namespace bitactor::dist

#pragma once
// Distribution capability flags (kernel-8.5.3/include/dist.hrl, erts dist.h) and the set this
// node advertises. Advertise only what the node implements: BEAM holds a peer to every flag it
// sends (erl_dist_protocol.html, "Distribution Flags").

#include <cstdint>

namespace bitactor::dist::flags {

inline constexpr std::uint64_t published = 0x1;
inline constexpr std::uint64_t extended_references = 0x4;
inline constexpr std::uint64_t dist_monitor = 0x8;
inline constexpr std::uint64_t fun_tags = 0x10;
inline constexpr std::uint64_t dist_monitor_name = 0x20;
inline constexpr std::uint64_t new_fun_tags = 0x80;
inline constexpr std::uint64_t extended_pids_ports = 0x100;
inline constexpr std::uint64_t export_ptr_tag = 0x200;
inline constexpr std::uint64_t bit_binaries = 0x400;
inline constexpr std::uint64_t new_floats = 0x800;
inline constexpr std::uint64_t unicode_io = 0x1000;
inline constexpr std::uint64_t dist_hdr_atom_cache = 0x2000;
inline constexpr std::uint64_t small_atom_tags = 0x4000;
inline constexpr std::uint64_t utf8_atoms = 0x10000;
inline constexpr std::uint64_t map_tag = 0x20000;
inline constexpr std::uint64_t big_creation = 0x40000;
inline constexpr std::uint64_t send_sender = 0x80000;
inline constexpr std::uint64_t big_seqtrace_labels = 0x100000;
inline constexpr std::uint64_t exit_payload = 0x400000;
inline constexpr std::uint64_t fragments = 0x800000;
inline constexpr std::uint64_t handshake_23 = 0x1000000;
inline constexpr std::uint64_t unlink_id = 0x2000000;
// The doc says bit 36; dist.hrl, dist.h and BEAM on the wire use bit 26.
inline constexpr std::uint64_t mandatory_25_digest = 0x4000000;
inline constexpr std::uint64_t spawn = std::uint64_t{1} << 32;
inline constexpr std::uint64_t name_me = std::uint64_t{1} << 33;
inline constexpr std::uint64_t v4_nc = std::uint64_t{1} << 34;
inline constexpr std::uint64_t alias = std::uint64_t{1} << 35;

/// What OTP 25 refuses a peer without (erts_internal:get_dflags() on 25.2 is 0x1070F94).
inline constexpr std::uint64_t mandatory_25 =
    extended_references | fun_tags | new_fun_tags | extended_pids_ports | export_ptr_tag |
    bit_binaries | new_floats | utf8_atoms | map_tag | big_creation | handshake_23;
/// OTP 26 also requires these (erlang/otp PR #6072).
inline constexpr std::uint64_t mandatory_26 = mandatory_25 | v4_nc | unlink_id;

/// This node's flags: the mandatory sets, and the optional ones it implements: SEND_SENDER
/// (op 22 is read like SEND), SMALL_ATOM_TAGS (the term layer reads tag 119), DIST_MONITOR
/// and DIST_MONITOR_NAME (MONITOR_P, DEMONITOR_P, MONITOR_P_EXIT, by pid and by name),
/// DIST_HDR_ATOM_CACHE (frame_reader decodes the atom cache header; this node sends `131 68 0`,
/// storing nothing in the peer's cache) and FRAGMENTS (frame_reader reassembles, frame_writer
/// splits messages over 64 KiB), SPAWN (every SPAWN_REQUEST is answered with SPAWN_REPLY,
/// and rpc:call is served: spawned_apply.hpp) and EXIT_PAYLOAD (PAYLOAD_EXIT, PAYLOAD_EXIT2 and
/// PAYLOAD_MONITOR_P_EXIT read, and sent on a connection up with a peer that set it).
inline constexpr std::uint64_t advertised = mandatory_26 | mandatory_25_digest | send_sender |
                                            small_atom_tags | dist_monitor | dist_monitor_name |
                                            dist_hdr_atom_cache | fragments | spawn | exit_payload;

/// Flags a peer must send for this node to accept it: what the term layer and the link
/// protocol rely on (OTP 25's mandatory set; UNLINK_ID for the OTP 23+ unlink protocol; V4_NC,
/// since pids and ports always go out with 32-bit id, serial and creation, which a peer
/// without it would misread). OTP 24 and later send all three; OTP 26 requires them.
inline constexpr std::uint64_t required_of_peer = mandatory_25 | unlink_id | v4_nc;

}  // namespace bitactor::dist::flags

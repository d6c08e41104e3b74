#pragma once
// Internal: turns the payloads a peer sends (after Len:32; ticks are the connection's) into
// control frames (erl_ext_dist.html, "Distribution Header" and "Distribution Header for
// Fragmented Messages"). Three forms arrive:
//  - pass-through `112 131 Control [131 Message]` (control.hpp);
//  - `131 68 AtomCacheHeader Control [Message]`: the header names the atoms that
//    ATOM_CACHE_REF (82) in the terms stand for, and may store new ones in this connection's
//    cache of 8 segments x 256 entries (what the peer has stored stays for the connection's
//    life, and later headers refer to it by segment and index);
//  - fragments: `131 69 Seq:8 Frag:8 AtomCacheHeader …` starts a message of Frag fragments,
//    `131 70 Seq:8 Frag:8 …` continues it, Frag counting down to 1. Fragments of different
//    sequences interleave; each is reassembled on its own.
//
// Sequence and fragment ids are 8 bytes each (erl_ext_dist.html gives field sizes in bytes).
//
// Bounds: a reassembled message, and all partial ones together (each charged a little extra
// for its table entry, so many tiny sequences cannot grow memory either), stay within
// max_message_bytes (dist_config::max_frame_bytes). New atoms, from atom cache entries as from
// atoms in terms, count against the term layer's program-wide budget for atoms created by
// decoding (decode_options::max_decoded_atoms). Anything malformed, unknown or over a bound is
// an error with a reason; the connection then closes, as BEAM does. What a peer stored in the
// atom cache belongs to this reader, so to its connection only.

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "bitactor/dist/internal/control.hpp"
#include "bitactor/term/atom.hpp"

namespace bitactor::dist::detail {

class frame_reader {
 public:
  static constexpr std::size_t atom_cache_size = 8 * 256;

  explicit frame_reader(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  /// Reads one payload (it may be modified). Returns the frame when a message is complete;
  /// nullopt with `why` empty for a fragment that does not finish one; nullopt with `why` set
  /// when the payload is malformed or over a bound.
  std::optional<control_frame> read(std::vector<std::uint8_t>& payload, std::string& why);

  /// Bytes held by partial sequences.
  std::size_t buffered_bytes() const noexcept { return buffered_; }
  std::size_t partial_sequences() const noexcept { return partial_.size(); }

 private:
  struct partial {
    std::vector<term::atom> refs;
    std::vector<std::uint8_t> bytes;  // one spare byte, then Control and the message so far
    std::uint64_t next_fragment = 0;
  };
  // Parses an atom cache header starting at `at` (NumberOfAtomCacheRefs); returns the offset
  // after it, nullopt with `why` on error.
  std::optional<std::size_t> read_header(std::span<const std::uint8_t> p, std::size_t at,
                                         std::vector<term::atom>& refs, std::string& why);
  // Decodes Control [Message] from buf[start..]; buf[start - 1] is overwritten.
  std::optional<control_frame> decode_body(std::vector<std::uint8_t>& buf, std::size_t start,
                                           const std::vector<term::atom>& refs, std::string& why);
  std::size_t max_message_bytes_;
  std::array<term::atom, atom_cache_size> cache_{};
  std::bitset<atom_cache_size> stored_;
  std::unordered_map<std::uint64_t, partial> partial_;
  std::size_t buffered_ = 0;
};

}  // namespace bitactor::dist::detail

#pragma once
// Internal: what a connection writes, in which order (erl_ext_dist.html, "Distribution Header"
// and "Distribution Header for Fragmented Messages").
//
// Frames arrive in pass-through form (control.hpp) with the sender they belong to. Until the
// handshake has given the peer's flags they are only held, in order. Then each is written
//  - as is, when the peer negotiated neither DIST_HDR_ATOM_CACHE nor FRAGMENTS;
//  - else with the header `131 68 0` (no atom cache refs: this node does not send through
//    the atom cache, which BEAM accepts);
//  - and, with FRAGMENTS, a frame whose control and message exceed fragment_bytes (64 KiB, as
//    BEAM's ERTS_DIST_FRAGMENT_SIZE) as fragments `131 69 Seq Frag 0 …`, `131 70 Seq Frag …`,
//    Frag counting down to 1.
// Fragments of a large message interleave with the whole frames of other senders and with the
// fragments of other large messages (one fragment each in turn), so a large message does not
// hold up small ones. A sender whose large message is still going out has its later frames
// held back until the last fragment is taken, and a large message's first fragment waits
// until the whole frames queued before it are taken: the sender's order (Erlang's per-pair
// order, and the rule that a fragmented send is finished before the sender's next one) is
// kept.
//
// Not thread-safe: the connection uses it on the io thread only.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <unordered_map>
#include <vector>

#include "bitactor/dist/internal/control.hpp"

namespace bitactor::dist::detail {

class frame_writer {
 public:
  static constexpr std::size_t default_fragment_bytes = std::size_t{64} << 10;
  /// Whole frames taken in one go, up to about this many bytes, before the next fragment.
  static constexpr std::size_t batch_bytes = std::size_t{64} << 10;

  /// The peer's flags are known: `header` when it negotiated DIST_HDR_ATOM_CACHE or
  /// FRAGMENTS, `fragments` when FRAGMENTS. Frames held so far are queued in their order.
  void configure(bool header, bool fragments, std::size_t fragment_bytes = default_fragment_bytes);
  bool configured() const noexcept { return configured_; }

  /// Queues a frame of `sender` (any key; 0 for frames of no process).
  void push(std::uint64_t sender, outgoing_frame f);
  /// Queues bytes to go out as they are, after what is queued as whole frames (a tick).
  void push_raw(std::vector<std::uint8_t> bytes);
  /// Appends to `out` the next buffers to write: the whole frames queued, up to batch_bytes,
  /// then one fragment of the large message whose turn it is. False when nothing is queued.
  bool take(std::vector<std::vector<std::uint8_t>>& out);
  bool empty() const noexcept { return held_.empty() && ready_.empty() && streams_.empty(); }
  void clear();
  /// Takes over what `other` holds unconfigured (an attempt that lost a simultaneous connect).
  void adopt(frame_writer& other);

  /// Sequences being sent as fragments now.
  std::size_t fragmenting() const noexcept { return streams_.size(); }

 private:
  struct stream {
    std::uint64_t sender = 0;
    std::uint64_t sequence = 0;
    std::vector<std::uint8_t> frame;   // header form: Len:32 131 68 0 | data
    std::size_t at = 0;                // next data byte to send
    std::uint64_t fragment_id = 0;     // of the next fragment; the last is 1
    std::deque<outgoing_frame> later;  // the sender's frames held until this one is out
    std::uint64_t after_ready = 0;     // starts once this many whole frames have been taken
  };
  void queue(std::uint64_t sender, outgoing_frame f);
  std::vector<std::uint8_t> next_fragment(stream& s);

  bool configured_ = false;
  bool header_ = false;
  bool fragments_ = false;
  std::size_t fragment_bytes_ = default_fragment_bytes;
  std::deque<std::pair<std::uint64_t, outgoing_frame>> held_;  // before configure()
  std::deque<std::vector<std::uint8_t>> ready_;
  std::list<stream> streams_;  // round robin: the front sends next
  std::unordered_map<std::uint64_t, std::list<stream>::iterator> by_sender_;
  std::uint64_t next_sequence_ = 1;
  std::uint64_t ready_queued_ = 0;  // whole frames ever queued to ready_
  std::uint64_t ready_taken_ = 0;   // and taken from it
};

/// Rewrites a pass-through frame in place as `Len:32 | 131 68 0 | Control | [Message]`.
void to_header_form(outgoing_frame& f);

}  // namespace bitactor::dist::detail

// term -> external term format (erlang:term_to_binary/2).
//
// The bytes are those erl 25 emits for the same term and options: integers as
// SMALL_INTEGER_EXT / INTEGER_EXT / SMALL_BIG_EXT / LARGE_BIG_EXT by magnitude, floats as
// NEW_FLOAT_EXT, proper lists of 0..255 shorter than 65536 as STRING_EXT, pids as
// NEW_PID_EXT, ports as NEW_PORT_EXT (V4_PORT_EXT above 28 bits), references as
// NEWER_REFERENCE_EXT, and zlib compression only when it makes the result smaller.
//
// Maps are written in map-key order: the bytes of erl's term_to_binary(T, [deterministic]),
// which for maps of up to 32 keys is also erl's default. By default erl writes larger maps in
// the order of its hash trie, which hashes atoms by their index in that VM's atom table and
// remote pids by a node's address (erts utils.c, make_internal_hash), so two BEAM instances
// can write one such map differently; no outside encoder can match that order, and none needs
// to: every order decodes to the same map. The encoding therefore depends on the term as it
// is held and on the options only, never on process or VM state. As in erl, terms that compare
// equal can still encode differently (0.0 and -0.0; funs differing only in fields that
// comparison skips).
#pragma once

#include <bitactor/term/term.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace bitactor::term {

struct encode_options {
  /// zlib-compress the payload (tag 80), like term_to_binary(T, [compressed]).
  bool compressed = false;
  /// zlib level 0..9 used when compressed ({compressed, Level}); erl's default is 6.
  int level = 6;
  /// 2: atoms as SMALL_ATOM_UTF8_EXT / ATOM_UTF8_EXT, as {minor_version, 2} (the default of
  /// OTP 26 and what distribution uses). 1: Latin-1 atoms as ATOM_EXT, as erl 25's plain
  /// term_to_binary/1.
  int minor_version = 2;
  /// encode_iovec() copies binaries of up to this many bytes into its buffer and references
  /// larger ones in place (erl's term_to_iovec/2 references binaries above 64 bytes).
  std::size_t iovec_copy_max = 64;
};

/// The external format of `t`, starting with the version byte 131.
std::vector<std::uint8_t> encode(const term& t, const encode_options& options = {});

/// Appends the external format of `t` (with version byte) to `out`.
void encode_append(std::vector<std::uint8_t>& out, const term& t,
                   const encode_options& options = {});

/// An encoding as a sequence of byte ranges, like erlang:term_to_iovec/2: binaries above
/// encode_options::iovec_copy_max bytes are not copied but referenced where they are, and
/// everything else is in one buffer the object owns. It holds a reference to the term, so
/// the ranges stay valid for as long as it lives (moving it keeps them valid). The ranges
/// concatenated are exactly encode(t, options); with `compressed` there is one range.
/// Meant for scatter/gather writes (writev, sendmsg) of messages carrying large binaries.
class encoded_iovec {
 public:
  encoded_iovec() = default;
  encoded_iovec(encoded_iovec&&) noexcept = default;
  encoded_iovec& operator=(encoded_iovec&&) noexcept = default;
  encoded_iovec(const encoded_iovec&) = delete;
  encoded_iovec& operator=(const encoded_iovec&) = delete;

  [[nodiscard]] std::span<const std::span<const std::uint8_t>> segments() const noexcept {
    return segments_;
  }
  /// Total bytes over all segments.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// The segments joined into one buffer (a copy).
  [[nodiscard]] std::vector<std::uint8_t> flatten() const;

 private:
  friend encoded_iovec encode_iovec(const term& t, const encode_options& options);
  term root_;
  std::unique_ptr<std::uint8_t[]> buf_;
  std::vector<std::vector<std::uint8_t>> own_;
  std::vector<std::span<const std::uint8_t>> segments_;
  std::size_t size_ = 0;
};

/// The external format of `t` as byte ranges that reference its large binaries.
encoded_iovec encode_iovec(const term& t, const encode_options& options = {});

/// Size of the uncompressed encoding of `t`, version byte included.
std::size_t encoded_size(const term& t, const encode_options& options = {});

}  // namespace bitactor::term

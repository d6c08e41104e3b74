#pragma once
// Process and reference identities. Their fields follow Erlang's external term format
// (NEW_PID_EXT: node, id, serial, creation; NEWER_REFERENCE_EXT: node, creation, 1 to 5 id
// words) so the distribution layer maps them 1:1 to terms of a BEAM node, and convert
// losslessly to and from the term layer's `term::pid` and `term::reference`.

#include <array>
#include <bitactor/term/atom.hpp>
#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace bitactor {

namespace term {
struct pid;
struct reference;
}  // namespace term

/// The node names of pids and refs. A name is an atom (the one atom table of the term layer);
/// a pid or ref stores a small index into this table so it stays four words. Index 0 is always
/// `nonode@nohost`, Erlang's name for a node that is not distributed.
class node_names {
 public:
  /// The index of `name`, adding it on first use. Throws term_error if `name` is not a valid
  /// atom name.
  static std::uint32_t intern(std::string_view name);
  static std::uint32_t intern(term::atom name);
  /// The name of an index returned by intern(); "?" for any other value.
  static std::string_view name(std::uint32_t index);
  /// The atom of an index returned by intern(); the empty atom for any other value.
  static term::atom atom(std::uint32_t index) noexcept;
};

/// A process identifier. Value type: comparable, hashable, printable as `<N.id.serial>` where
/// N is the interned node index (0 for a non-distributed node, as Erlang prints local pids).
/// A default-constructed pid is "no process": `bool(pid{})` is false.
struct pid {
  std::uint32_t node = 0;
  std::uint32_t id = 0;  // 0 is never a live process; ids start at 1
  std::uint32_t serial = 0;
  std::uint32_t creation = 0;

  constexpr explicit operator bool() const noexcept { return id != 0; }
  friend constexpr bool operator==(const pid&, const pid&) = default;
  friend constexpr auto operator<=>(const pid&, const pid&) = default;

  std::string_view node_name() const { return node_names::name(node); }
  std::string to_string() const;
};

/// A reference: unique within a node incarnation (Erlang: make_ref()). Used for monitors,
/// timers, call tags and aliases. Erlang's layout: `size` id words (3 for the refs a node
/// makes, up to 5 for a BEAM process reference such as an alias), words[0] first on the wire.
/// Printable as `#Ref<N.w2.w1.w0>` like erl.
struct ref {
  std::uint32_t node = 0;
  std::uint32_t creation = 0;
  std::array<std::uint32_t, 5> words{};
  std::uint8_t size = 3;

  constexpr explicit operator bool() const noexcept {
    return (words[0] | words[1] | words[2] | words[3] | words[4]) != 0;
  }
  // Word by word, the counter word first: refs of one node differ there, so a look-up in a
  // monitor table or a call tag match usually decides on the first compare (the defaulted
  // form compared the words with memcmp).
  friend constexpr bool operator==(const ref& a, const ref& b) noexcept {
    return a.words[0] == b.words[0] && a.words[1] == b.words[1] && a.words[2] == b.words[2] &&
           a.words[3] == b.words[3] && a.words[4] == b.words[4] && a.node == b.node &&
           a.creation == b.creation && a.size == b.size;
  }
  friend constexpr auto operator<=>(const ref&, const ref&) = default;

  std::string to_string() const;
};

std::ostream& operator<<(std::ostream& os, const pid& p);
std::ostream& operator<<(std::ostream& os, const ref& r);

/// Lossless conversions between the runtime's identities and the term layer's: the node index
/// becomes the node's atom and back (a table look-up; no allocation after a node's first use).
term::pid to_term_pid(const pid& p);
pid from_term_pid(const term::pid& p);
term::reference to_term_ref(const ref& r);
/// Throws term_error for a reference of more than 5 words (none exists in Erlang).
ref from_term_ref(const term::reference& r);

}  // namespace bitactor

template <>
struct std::hash<bitactor::pid> {
  std::size_t operator()(const bitactor::pid& p) const noexcept {
    std::uint64_t h = (std::uint64_t{p.id} << 32) ^ p.serial;
    h ^= (std::uint64_t{p.node} << 16) ^ (std::uint64_t{p.creation} << 48);
    return static_cast<std::size_t>(h * 0x9E3779B97F4A7C15ull);
  }
};

template <>
struct std::hash<bitactor::ref> {
  std::size_t operator()(const bitactor::ref& r) const noexcept {
    std::uint64_t h = (std::uint64_t{r.words[1]} << 32) ^ r.words[0];
    h ^= (std::uint64_t{r.words[2]} << 17) ^ (std::uint64_t{r.node} << 40) ^ r.creation;
    h ^= (std::uint64_t{r.words[3]} << 7) ^ (std::uint64_t{r.words[4]} << 29);
    return static_cast<std::size_t>(h * 0x9E3779B97F4A7C15ull);
  }
};

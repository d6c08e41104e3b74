#pragma once
// Process and reference identities. Their fields follow Erlang's external term format
// (NEW_PID_EXT: node, id, serial, creation; NEWER_REFERENCE_EXT: node, creation, id words) so
// the distribution layer maps them 1:1 to terms of a BEAM node.

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace bitactor {

/// Node names are interned process-wide; a pid or ref stores the small index.
/// Index 0 is always "nonode@nohost", Erlang's name for a node that is not distributed.
class node_names {
 public:
  static std::uint32_t intern(std::string_view name);
  static std::string_view name(std::uint32_t index);
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
/// timers and call tags. Printable as `#Ref<N.w2.w1.w0>` like erl.
struct ref {
  std::uint32_t node = 0;
  std::uint32_t creation = 0;
  std::array<std::uint32_t, 3> words{};

  constexpr explicit operator bool() const noexcept {
    return (words[0] | words[1] | words[2]) != 0;
  }
  friend constexpr bool operator==(const ref&, const ref&) = default;
  friend constexpr auto operator<=>(const ref&, const ref&) = default;

  std::string to_string() const;
};

std::ostream& operator<<(std::ostream& os, const pid& p);
std::ostream& operator<<(std::ostream& os, const ref& r);

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
    return static_cast<std::size_t>(h * 0x9E3779B97F4A7C15ull);
  }
};

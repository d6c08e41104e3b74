// Erlang's term order and its two equalities.
//
// Types order as number < atom < reference < fun < port < pid < tuple < map < [] < list <
// bitstring (Erlang Reference Manual, "Term Comparisons"). Within a type the rules are those
// of erts (utils.c, erts_cmp): tuples by size then elements, maps by size then keys then
// values, lists element-wise, bitstrings bit-wise, pids by serial and number then node, ports
// and references by node then number.
#pragma once

#include <bitactor/term/term.hpp>
#include <compare>

namespace bitactor::term {

/// Erlang's term order, where 1 and 1.0 are equivalent (the order of < and == in Erlang).
std::weak_ordering compare(const term& a, const term& b) noexcept;

/// Exact term order: as compare(), but every integer sorts before every float, so only
/// identical terms are equivalent. This is the map-key order and the order of operator<=>.
std::strong_ordering exact_compare(const term& a, const term& b) noexcept;

/// Erlang's == (1 == 1.0 is true).
inline bool equal(const term& a, const term& b) noexcept { return compare(a, b) == 0; }

/// Erlang's =:= (1 =:= 1.0 is false); the same as operator==. Note OTP 25's rule that
/// 0.0 =:= -0.0.
bool exact_equal(const term& a, const term& b) noexcept;

/// For std::sort and friends: Erlang's order (stable sorts keep 1 and 1.0 in input order).
struct erlang_less {
  bool operator()(const term& a, const term& b) const noexcept { return compare(a, b) < 0; }
};

}  // namespace bitactor::term

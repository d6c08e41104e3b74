#pragma once
// How a C++ type becomes a term and back, declared once per type, so that the type can cross
// nodes and answer Erlang while handlers keep dispatching on C++ types.
//
//   struct order { std::string symbol; std::int64_t quantity; };
//
//   template <>
//   struct bitactor::term::codec<order> {
//     static constexpr std::string_view tag = "order";           // its term: {order, ...}
//     static term encode(const order& o) {
//       return tuple(atom("order"), binary(o.symbol), term(o.quantity));
//     }
//     static std::optional<order> decode(const term& t) {        // nullopt: not an order
//       std::string symbol;
//       std::int64_t quantity = 0;
//       if (!match(t, tuple(atom("order"), bind(symbol), bind(quantity)))) return std::nullopt;
//       return order{symbol, quantity};
//     }
//   };
//
// The term's tag is the atom it is or begins with (a tuple's first element): `{order, ...}`
// or `order`. It is how a term arriving from another node finds its type at once
// (distributed_node::register_codec), so two types of one node cannot share a tag. decode
// gets only terms with that tag and returns nullopt for one that is not a T after all; the
// term then arrives as it came. encode's result should begin with the tag, or it will not
// decode back.
//
// What uses it: a gen_server replying with a T to a call from Erlang (the reply goes as
// encode(T)); a distributed_node with register_codec<T>() sends a T to remote pids as its
// term and delivers a term with T's tag from other nodes as a T.

#include <concepts>
#include <optional>
#include <string_view>

#include "bitactor/term/term.hpp"

namespace bitactor::term {

/// Specialize for each type that has a term form; see the header comment.
template <class T>
struct codec;

/// T has a codec: codec<T>::tag, encode and decode as the header comment shows.
template <class T>
concept has_codec = requires(const T& value, const term& t) {
  { codec<T>::tag } -> std::convertible_to<std::string_view>;
  { codec<T>::encode(value) } -> std::convertible_to<term>;
  { codec<T>::decode(t) } -> std::same_as<std::optional<T>>;
};

/// The tag of a term: the atom it is, or its first element when that is an atom; empty
/// otherwise.
inline std::string_view tag_of(const term& t) {
  if (t.is_atom()) return t.as_atom().name();
  if (t.is_tuple() && t.size() > 0 && t[0].is_atom()) return t[0].as_atom().name();
  return {};
}

}  // namespace bitactor::term

#pragma once
// A C++ type with a term form (term::codec), for the codec tests: {order, <<Symbol>>, Qty}.

#include <bitactor/term/codec.hpp>
#include <bitactor/term/match.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace bitactor::dist::testing {

struct order {
  std::string symbol;
  std::int64_t quantity = 0;
  friend bool operator==(const order&, const order&) = default;
};

}  // namespace bitactor::dist::testing

template <>
struct bitactor::term::codec<bitactor::dist::testing::order> {
  static constexpr std::string_view tag = "order";
  static term encode(const bitactor::dist::testing::order& o) {
    return tuple(atom("order"), binary(o.symbol), term(o.quantity));
  }
  static std::optional<bitactor::dist::testing::order> decode(const term& t) {
    std::string symbol;
    std::int64_t quantity = 0;
    if (!match(t, tuple(atom("order"), bind(symbol), bind(quantity)))) return std::nullopt;
    return bitactor::dist::testing::order{symbol, quantity};
  }
};

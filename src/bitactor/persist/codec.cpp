#include "bitactor/persist/codec.hpp"

namespace bitactor::persist::detail {

std::string encode_term(const term::term& t) {
  std::vector<std::uint8_t> bytes = term::encode(t);
  return std::string(bytes.begin(), bytes.end());
}

term::term decode_term(std::string_view bytes, std::string_view what) {
  // Stored terms are input like any other: the default bounds (atoms, bytes) apply.
  term::decode_result r =
      term::decode(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  if (!r) throw decode_error(std::string(what) + " does not decode: " + r.error().to_string());
  return std::move(r).value();
}

}  // namespace bitactor::persist::detail

#pragma once
// codec<T>: how a persistent process's events, states and idempotent replies become the bytes
// a storage holds, and back. A type gets a codec by specialising persist::codec in one of two
// ways:
//
//   // through an Erlang term (stored in the external term format, readable by erl):
//   template <> struct persist::codec<deposited> {
//     static constexpr std::string_view name = "deposited";   // stable: it is stored
//     static term::term to_term(const deposited& e) { return term::term(e.amount); }
//     static deposited from_term(const term::term& t) { return {t.as_int()}; }
//   };
//   // or straight to bytes:
//   template <> struct persist::codec<my_state> {
//     static std::string encode(const my_state& s);
//     static my_state decode(std::string_view bytes);
//   };
//
// Built in: term::term, std::string, integers, bool, otp::ok_t, std::optional<T>, and
// std::variant<Ts...> of types whose codec has a `name`: a variant is stored as the name of
// its alternative and that alternative's bytes, so an event type can be added to the variant
// (or reordered in it) without rewriting the journal. A name that no alternative carries any
// more, or bytes that no longer decode, throw decode_error naming the type.
//
// Decoding stored bytes must never trust them: a from_term or decode that meets a term of the
// wrong shape throws (term::term's accessors throw bad_term_access, which the layer turns
// into decode_error).

#include <concepts>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "bitactor/core/error.hpp"
#include "bitactor/otp/call.hpp"
#include "bitactor/term/decode.hpp"
#include "bitactor/term/encode.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::persist {

/// Stored bytes did not decode as the type they were read as.
class decode_error : public bitactor::error {
 public:
  using error::error;
};

template <class T>
struct codec;

template <class T>
concept byte_codec = requires(const T& value, std::string_view bytes) {
  { codec<T>::encode(value) } -> std::same_as<std::string>;
  { codec<T>::decode(bytes) } -> std::same_as<T>;
};

template <class T>
concept term_codec = requires(const T& value, const term::term& t) {
  { codec<T>::to_term(value) } -> std::convertible_to<term::term>;
  { codec<T>::from_term(t) } -> std::same_as<T>;
};

/// T can be stored.
template <class T>
concept encodable = byte_codec<T> || term_codec<T>;

/// T can be stored and its codec names it (what a variant alternative needs).
template <class T>
concept named_encodable = encodable<T> && requires {
  { codec<T>::name } -> std::convertible_to<std::string_view>;
};

namespace detail {
std::string encode_term(const term::term& t);
/// Throws decode_error (naming `what`) for bytes that are not one term.
term::term decode_term(std::string_view bytes, std::string_view what);
/// Runs `decode`, turning any exception but decode_error into decode_error naming `what`.
template <class F>
auto decoding(std::string_view what, F&& decode) {
  try {
    return decode();
  } catch (const decode_error&) {
    throw;
  } catch (const std::exception& e) {
    throw decode_error(std::string(what) + " does not decode: " + e.what());
  }
}
template <class T>
std::string_view name_of() {
  if constexpr (named_encodable<T>) {
    return codec<T>::name;
  } else {
    return "value";
  }
}
}  // namespace detail

/// The bytes `value` is stored as.
template <encodable T>
std::string encode(const T& value) {
  if constexpr (byte_codec<T>) {
    return codec<T>::encode(value);
  } else {
    return detail::encode_term(term::term(codec<T>::to_term(value)));
  }
}

/// The value stored as `bytes`; throws decode_error naming the type.
template <encodable T>
T decode(std::string_view bytes) {
  std::string what = "'" + std::string(detail::name_of<T>()) + "'";
  return detail::decoding(what, [&] {
    if constexpr (byte_codec<T>) {
      return codec<T>::decode(bytes);
    } else {
      return codec<T>::from_term(detail::decode_term(bytes, what));
    }
  });
}

template <>
struct codec<term::term> {
  static std::string encode(const term::term& t) { return detail::encode_term(t); }
  static term::term decode(std::string_view bytes) { return detail::decode_term(bytes, "term"); }
};

template <>
struct codec<std::string> {
  static std::string encode(const std::string& s) { return s; }
  static std::string decode(std::string_view bytes) { return std::string(bytes); }
};

template <>
struct codec<otp::ok_t> {
  static std::string encode(const otp::ok_t&) { return {}; }
  static otp::ok_t decode(std::string_view) { return otp::ok; }
};

template <std::integral I>
struct codec<I> {
  static std::string encode(const I& v) {
    std::string out(sizeof(I), '\0');
    std::memcpy(out.data(), &v, sizeof(I));  // the machine's byte order: a journal stays put
    return out;
  }
  static I decode(std::string_view bytes) {
    if (bytes.size() != sizeof(I)) {
      throw decode_error("an integer of " + std::to_string(sizeof(I)) + " bytes is stored as " +
                         std::to_string(bytes.size()) + " bytes");
    }
    I v;
    std::memcpy(&v, bytes.data(), sizeof(I));
    return v;
  }
};

template <encodable T>
struct codec<std::optional<T>> {
  static std::string encode(const std::optional<T>& v) {
    return v ? "1" + persist::encode(*v) : std::string("0");
  }
  static std::optional<T> decode(std::string_view bytes) {
    if (bytes.empty() || (bytes[0] != '0' && bytes[0] != '1')) {
      throw decode_error("an optional value has no presence mark");
    }
    if (bytes[0] == '0') return std::nullopt;
    return persist::decode<T>(bytes.substr(1));
  }
};

template <named_encodable... Ts>
struct codec<std::variant<Ts...>> {
  using variant = std::variant<Ts...>;
  // Stored as: one byte holding the name's length, the name, the alternative's bytes.
  static std::string encode(const variant& v) {
    return std::visit(
        [](const auto& alternative) {
          using A = std::decay_t<decltype(alternative)>;
          std::string_view name = codec<A>::name;
          std::string out;
          out.push_back(static_cast<char>(name.size()));
          out.append(name);
          out.append(persist::encode(alternative));
          return out;
        },
        v);
  }
  static variant decode(std::string_view bytes) {
    if (bytes.empty() || bytes.size() < 1u + static_cast<unsigned char>(bytes[0])) {
      throw decode_error("a stored variant has no type name");
    }
    std::string_view name = bytes.substr(1, static_cast<unsigned char>(bytes[0]));
    std::string_view payload = bytes.substr(1 + name.size());
    std::optional<variant> out;
    ((codec<Ts>::name == name ? (void)out.emplace(persist::decode<Ts>(payload)) : void()), ...);
    if (!out) throw decode_error("unknown type '" + std::string(name) + "'");
    return std::move(*out);
  }
  static_assert(((std::string_view(codec<Ts>::name).size() < 256) && ...),
                "a variant alternative's codec name must be shorter than 256 bytes");
};

}  // namespace bitactor::persist

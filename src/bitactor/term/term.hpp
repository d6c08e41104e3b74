// The Erlang term value type.
//
// A term is 16 bytes: a tag and either an immediate (small integer, float, atom, []) or a
// pointer to an immutable, reference-counted heap node (big integer, tuple, list, map,
// bitstring, pid, port, reference, fun). Terms are immutable values: copying one shares the
// node and is thread-safe, so a decoded message can be handed to another thread freely.
//
// Lists are stored as an array of elements plus a tail rather than as cons cells, so a
// 100,000-element list is one allocation. `[1|[2|[3]]]` and `[1,2,3]` are the same value
// and have the same representation: constructors flatten a tail that is itself a list.
// Erlang strings are lists of code points; string() builds one, string_value() reads one.
//
// Equality: operator== is exact equality (=:=): 1 == 1.0 is false, as for map keys. Use
// equal() for Erlang's arithmetic equality (==). operator<=> is the matching total order
// (map-key order, where every integer sorts before every float); compare() in order.hpp is
// Erlang's term order in which 1 and 1.0 are equivalent.
#pragma once

#include <array>
#include <bitactor/term/atom.hpp>
#include <bitactor/term/big_integer.hpp>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bitactor::term {

namespace detail {
struct node;
struct builder;
}  // namespace detail

/// The Erlang types, in Erlang's term order (number < atom < reference < fun < port < pid <
/// tuple < map < nil < list < bitstring). `local` is an opaque LOCAL_EXT payload kept only so
/// it can be re-encoded; it sorts last.
enum class type : std::uint8_t {
  integer,
  floating,
  atom,
  reference,
  fun,
  port,
  pid,
  tuple,
  map,
  nil,
  list,
  bitstring,
  local,
};

/// Process identifier in NEW_PID_EXT layout.
struct pid {
  atom node;
  std::uint32_t id = 0;
  std::uint32_t serial = 0;
  std::uint32_t creation = 0;
  friend bool operator==(const pid&, const pid&) = default;
};

/// Port identifier in V4_PORT_EXT layout (encoded as NEW_PORT_EXT when id fits in 28 bits,
/// as erts does).
struct port {
  atom node;
  std::uint64_t id = 0;
  std::uint32_t creation = 0;
  friend bool operator==(const port&, const port&) = default;
};

/// Reference in NEWER_REFERENCE_EXT layout: 1 to 5 32-bit words, words[0] first on the wire.
struct reference {
  atom node;
  std::uint32_t creation = 0;
  std::uint8_t size = 0;
  std::array<std::uint32_t, 5> words{};
  [[nodiscard]] std::span<const std::uint32_t> ids() const noexcept { return {words.data(), size}; }
  friend bool operator==(const reference&, const reference&) = default;
};

/// `fun Module:Function/Arity` (EXPORT_EXT).
struct export_fun {
  atom module;
  atom function;
  std::uint8_t arity = 0;
  friend bool operator==(const export_fun&, const export_fun&) = default;
};

class term;
struct local_fun;

/// A list's elements and its tail ([] for a proper list).
struct list_view {
  std::span<const term> elements;
  const term* tail;
  [[nodiscard]] bool proper() const noexcept;
};

class term {
 public:
  /// [] (nil).
  term() noexcept : tag_(tag::nil), small_(0) {}
  template <std::integral I>
  requires(!std::same_as<I, bool>) term(I v) {  // NOLINT(google-explicit-constructor)
    if constexpr (std::is_signed_v<I> || sizeof(I) < sizeof(std::int64_t)) {
      tag_ = tag::small;
      small_ = static_cast<std::int64_t>(v);
    } else if (v <= static_cast<std::uint64_t>(INT64_MAX)) {
      tag_ = tag::small;
      small_ = static_cast<std::int64_t>(v);
    } else {
      init_big(big_integer::from_uint64(v));
    }
  }
  /// Erlang booleans are the atoms 'true' and 'false'.
  term(bool b);  // NOLINT(google-explicit-constructor)
  /// Throws term_error for NaN and infinities, which Erlang floats cannot hold.
  term(double d);  // NOLINT(google-explicit-constructor)
  term(atom a) noexcept : tag_(tag::atom), atom_(a.index()) {}  // NOLINT
  /// Stored as a small integer when it fits in int64_t.
  term(const big_integer& v);  // NOLINT(google-explicit-constructor)
  term(const pid& p);          // NOLINT(google-explicit-constructor)
  term(const port& p);         // NOLINT(google-explicit-constructor)
  term(const reference& r);    // NOLINT(google-explicit-constructor)
  term(const export_fun& f);   // NOLINT(google-explicit-constructor)
  term(const local_fun& f);    // NOLINT(google-explicit-constructor)
  // A C string would silently become the atom 'true' through the bool constructor; say which
  // of string(), binary() or atom() is meant instead.
  term(const char*) = delete;
  term(std::nullptr_t) = delete;

  term(const term& other) noexcept : tag_(other.tag_), small_(other.small_) { retain(); }
  term(term&& other) noexcept : tag_(other.tag_), small_(other.small_) { other.tag_ = tag::nil; }
  term& operator=(const term& other) noexcept {
    term copy(other);
    swap(copy);
    return *this;
  }
  term& operator=(term&& other) noexcept {
    term moved(std::move(other));
    swap(moved);
    return *this;
  }
  ~term() { release(); }
  void swap(term& other) noexcept {
    std::swap(tag_, other.tag_);
    std::swap(small_, other.small_);
  }

  [[nodiscard]] type kind() const noexcept;

  [[nodiscard]] bool is_integer() const noexcept { return tag_ == tag::small || tag_ == tag::big; }
  /// An integer that fits in int64_t.
  [[nodiscard]] bool is_small() const noexcept { return tag_ == tag::small; }
  [[nodiscard]] bool is_float() const noexcept { return tag_ == tag::flt; }
  [[nodiscard]] bool is_number() const noexcept { return is_integer() || is_float(); }
  [[nodiscard]] bool is_atom() const noexcept { return tag_ == tag::atom; }
  [[nodiscard]] bool is_atom(std::string_view name) const noexcept;
  [[nodiscard]] bool is_nil() const noexcept { return tag_ == tag::nil; }
  /// [] or a non-empty list (proper or not).
  [[nodiscard]] bool is_list() const noexcept { return tag_ == tag::nil || tag_ == tag::list; }
  [[nodiscard]] bool is_tuple() const noexcept { return tag_ == tag::tuple; }
  [[nodiscard]] bool is_map() const noexcept { return tag_ == tag::map; }
  [[nodiscard]] bool is_bitstring() const noexcept { return tag_ == tag::bits; }
  /// A bitstring whose size is a whole number of bytes.
  [[nodiscard]] bool is_binary() const noexcept;
  [[nodiscard]] bool is_pid() const noexcept { return tag_ == tag::pid; }
  [[nodiscard]] bool is_port() const noexcept { return tag_ == tag::port; }
  [[nodiscard]] bool is_reference() const noexcept { return tag_ == tag::ref; }
  [[nodiscard]] bool is_fun() const noexcept { return tag_ == tag::fun || tag_ == tag::exp; }
  /// `fun M:F/A` (EXPORT_EXT); other funs are local_fun (NEW_FUN_EXT).
  [[nodiscard]] bool is_export() const noexcept { return tag_ == tag::exp; }

  // Accessors throw bad_term_access when the term has another type.
  [[nodiscard]] std::int64_t as_int() const;
  /// Any integer, small or big.
  [[nodiscard]] big_integer as_big_integer() const;
  [[nodiscard]] double as_float() const;
  /// Integer or float as a double (big integers round).
  [[nodiscard]] double as_number() const;
  [[nodiscard]] atom as_atom() const;
  [[nodiscard]] std::span<const term> as_tuple() const;
  /// [] gives no elements and a [] tail.
  [[nodiscard]] list_view as_list() const;
  /// Entries in map-key order (see operator<=>).
  [[nodiscard]] std::span<const std::pair<term, term>> as_map() const;
  /// The bytes of a bitstring; the last byte holds bit_size() % 8 bits in its high bits.
  [[nodiscard]] std::span<const std::uint8_t> as_bytes() const;
  /// A binary's bytes as characters (no encoding is implied).
  [[nodiscard]] std::string_view as_binary_view() const;
  [[nodiscard]] std::size_t bit_size() const;
  [[nodiscard]] const pid& as_pid() const;
  [[nodiscard]] const port& as_port() const;
  [[nodiscard]] const reference& as_reference() const;
  [[nodiscard]] const export_fun& as_export() const;
  [[nodiscard]] const local_fun& as_local_fun() const;
  /// The raw LOCAL_EXT bytes (tag included) of an opaque local term.
  [[nodiscard]] std::span<const std::uint8_t> as_local() const;

  /// Tuple arity, list length (elements before the tail), map size or binary byte size.
  [[nodiscard]] std::size_t size() const;
  /// Element `i` of a tuple or list; throws bad_term_access when out of range.
  [[nodiscard]] const term& operator[](std::size_t i) const;
  /// The value for `key` (exact match) in a map, or nullptr. Throws if not a map.
  [[nodiscard]] const term* find(const term& key) const;

  /// Exact equality (=:=).
  friend bool operator==(const term& a, const term& b) noexcept;
  /// Total order consistent with ==: Erlang's term order with integers before floats.
  friend std::strong_ordering operator<=>(const term& a, const term& b) noexcept;

 private:
  friend struct detail::builder;
  enum class tag : std::uint8_t {
    small,
    flt,
    atom,
    nil,  // immediates
    big,
    tuple,
    list,
    map,
    bits,
    pid,
    port,
    ref,
    fun,
    exp,
    local,
  };
  [[nodiscard]] bool boxed() const noexcept { return tag_ >= tag::big; }
  // Immediates (integers, floats, atoms, []) never touch a reference count; keep that test
  // inline so copying and destroying them costs nothing more.
  void retain() const noexcept {
    if (boxed()) retain_node();
  }
  void release() noexcept {
    if (boxed()) release_node();
  }
  void retain_node() const noexcept;
  void release_node() noexcept;
  void init_big(big_integer v);
  void expect(tag t, const char* what) const;

  tag tag_;
  union {
    std::int64_t small_;
    double float_;
    std::uint32_t atom_;
    detail::node* node_;
  };
};

/// A fun (NEW_FUN_EXT) as sent by a BEAM node. Not callable here; kept so it re-encodes to the
/// same bytes.
struct local_fun {
  std::uint8_t arity = 0;
  std::array<std::uint8_t, 16> uniq{};
  std::uint32_t index = 0;
  atom module;
  term old_index;
  term old_uniq;
  term creator;  ///< pid of the process that created the fun
  std::vector<term> free_vars;
  friend bool operator==(const local_fun&, const local_fun&) = default;
};

// ---- Construction --------------------------------------------------------------------------

/// `{}` with the given elements.
term tuple_from(std::vector<term> elements);
/// `[e1, ..., en | tail]`; [] when `elements` is empty (then the result is `tail`).
term list_from(std::vector<term> elements, term tail = term());
/// A map; when a key appears twice the last value wins (as maps:from_list/1).
term map_from(std::vector<std::pair<term, term>> entries);
term map(std::initializer_list<std::pair<term, term>> entries);
/// A binary holding a copy of `bytes`.
term binary(std::span<const std::uint8_t> bytes);
term binary(std::string_view bytes);
/// A bitstring of `bit_size` bits taken from the high bits of `bytes` onward.
term bitstring(std::span<const std::uint8_t> bytes, std::size_t bit_size);
/// An Erlang string: the list of the code points of `utf8` ([] when empty). Throws term_error
/// on invalid UTF-8.
term string(std::string_view utf8);
/// [].
inline term nil() noexcept { return term(); }
/// An opaque LOCAL_EXT term (the bytes start with tag 121).
term local_term(std::vector<std::uint8_t> bytes);

/// `{a, b, ...}` from anything convertible to term: tuple(atom("ok"), 42).
template <class... Args>
requires(std::convertible_to<Args, term>&&...) term tuple(Args&&... args) {
  std::vector<term> v;
  v.reserve(sizeof...(Args));
  (v.emplace_back(std::forward<Args>(args)), ...);
  return tuple_from(std::move(v));
}

/// `[a, b, ...]` (proper list) from anything convertible to term: list(1, 2, 3).
template <class... Args>
requires(std::convertible_to<Args, term>&&...) term list(Args&&... args) {
  std::vector<term> v;
  v.reserve(sizeof...(Args));
  (v.emplace_back(std::forward<Args>(args)), ...);
  return list_from(std::move(v));
}

/// The text of an Erlang string ([] or a proper list of Unicode code points) as UTF-8, or
/// nullopt when `t` is not one.
std::optional<std::string> string_value(const term& t);

inline bool list_view::proper() const noexcept { return tail->is_nil(); }

}  // namespace bitactor::term

template <>
struct std::hash<bitactor::term::term> {
  /// Consistent with operator== (exact equality).
  std::size_t operator()(const bitactor::term::term& t) const noexcept;
};

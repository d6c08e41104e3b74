// Pattern matching for message handlers.
//
//   std::int64_t n;
//   if (match(msg, tuple(atom("incr"), bind(n)))) counter += n;
//   if (match(msg, tuple(atom("get"), any<pid>()))) ...
//
// A pattern is a literal term (matched with =:=, as Erlang patterns are), any<T>() (a
// wildcard that only accepts terms convertible to T; any() accepts everything), bind(x) (like
// any<T>() and also stores the value in x), or tuple(...) / list(...) of patterns. tuple()
// and list() build a term when every argument is a term and a pattern as soon as one is not.
// Captures are written only when the whole pattern matches.
#pragma once

#include <bitactor/term/term.hpp>
#include <concepts>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace bitactor::term {

/// Converts a term to T when it holds a T: term (always), atom, bool (the atoms true/false),
/// integral types (range-checked), double (floats only, as in Erlang patterns), big_integer,
/// std::string (a binary's bytes, or the UTF-8 of a string), pid, port, reference,
/// std::vector<term> (a proper list's elements).
template <class T>
std::optional<T> try_as(const term& t) {
  if constexpr (std::same_as<T, term>) {
    return t;
  } else if constexpr (std::same_as<T, atom>) {
    if (t.is_atom()) return t.as_atom();
    return std::nullopt;
  } else if constexpr (std::same_as<T, bool>) {
    if (t.is_atom("true")) return true;
    if (t.is_atom("false")) return false;
    return std::nullopt;
  } else if constexpr (std::integral<T>) {
    if (!t.is_small()) return std::nullopt;
    std::int64_t v = t.as_int();
    if constexpr (std::is_unsigned_v<T>) {
      if (v < 0 || static_cast<std::uint64_t>(v) > std::numeric_limits<T>::max()) {
        return std::nullopt;
      }
    } else {
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
        return std::nullopt;
      }
    }
    return static_cast<T>(v);
  } else if constexpr (std::same_as<T, double>) {
    if (t.is_float()) return t.as_float();
    return std::nullopt;
  } else if constexpr (std::same_as<T, big_integer>) {
    if (t.is_integer()) return t.as_big_integer();
    return std::nullopt;
  } else if constexpr (std::same_as<T, std::string>) {
    if (t.is_binary()) return std::string(t.as_binary_view());
    return string_value(t);
  } else if constexpr (std::same_as<T, pid>) {
    if (t.is_pid()) return t.as_pid();
    return std::nullopt;
  } else if constexpr (std::same_as<T, port>) {
    if (t.is_port()) return t.as_port();
    return std::nullopt;
  } else if constexpr (std::same_as<T, reference>) {
    if (t.is_reference()) return t.as_reference();
    return std::nullopt;
  } else if constexpr (std::same_as<T, std::vector<term>>) {
    if (!t.is_list() || !t.as_list().proper()) return std::nullopt;
    auto elems = t.as_list().elements;
    return std::vector<term>(elems.begin(), elems.end());
  } else {
    static_assert(sizeof(T) == 0, "try_as<T>: unsupported type");
  }
}

class pattern {
 public:
  using commits = std::vector<std::function<void()>>;
  /// Checks `t`; on success may append the capture writes to `out`.
  using test_fn = std::function<bool(const term& t, commits& out)>;

  /// A literal: matches terms exactly equal (=:=) to it.
  template <class T>
  requires std::convertible_to<T, term> pattern(T&& literal)  // NOLINT(google-explicit-constructor)
      : kind_(kind::literal), literal_(std::forward<T>(literal)) {}

  static pattern from_test(test_fn fn) {
    pattern p;
    p.kind_ = kind::test;
    p.test_ = std::move(fn);
    return p;
  }
  static pattern tuple_of(std::vector<pattern> elements) {
    pattern p;
    p.kind_ = kind::tuple;
    p.children_ = std::move(elements);
    return p;
  }
  static pattern list_of(std::vector<pattern> elements) {
    pattern p;
    p.kind_ = kind::list;
    p.children_ = std::move(elements);
    return p;
  }

  bool match(const term& t, commits& out) const {
    switch (kind_) {
      case kind::literal:
        return t == literal_;
      case kind::test:
        return test_(t, out);
      case kind::tuple: {
        if (!t.is_tuple()) return false;
        auto elems = t.as_tuple();
        if (elems.size() != children_.size()) return false;
        for (std::size_t i = 0; i < elems.size(); ++i) {
          if (!children_[i].match(elems[i], out)) return false;
        }
        return true;
      }
      case kind::list: {
        if (!t.is_list()) return false;
        list_view v = t.as_list();
        if (!v.proper() || v.elements.size() != children_.size()) return false;
        for (std::size_t i = 0; i < v.elements.size(); ++i) {
          if (!children_[i].match(v.elements[i], out)) return false;
        }
        return true;
      }
    }
    return false;
  }

 private:
  pattern() = default;
  enum class kind : std::uint8_t { literal, test, tuple, list };
  kind kind_ = kind::literal;
  term literal_;
  test_fn test_;
  std::vector<pattern> children_;
};

/// Matches any term convertible to T (any() matches everything).
template <class T = term>
pattern any() {
  return pattern::from_test([](const term& t, pattern::commits&) {
    if constexpr (std::same_as<T, term>) {
      (void)t;
      return true;
    } else {
      return try_as<T>(t).has_value();
    }
  });
}

/// Matches any term convertible to T and stores it in `out` when the whole pattern matches.
template <class T>
pattern bind(T& out) {
  return pattern::from_test([&out](const term& t, pattern::commits& c) {
    std::optional<T> v = try_as<T>(t);
    if (!v) return false;
    c.emplace_back([&out, val = std::move(*v)]() mutable { out = std::move(val); });
    return true;
  });
}

template <class T>
concept pattern_arg = std::convertible_to<T, term> || std::same_as<std::remove_cvref_t<T>, pattern>;

/// Tuple pattern; chosen over the term-building tuple() when an argument is a pattern.
template <class... Args>
requires((pattern_arg<Args> && ...) && !(std::convertible_to<Args, term> && ...)) pattern
    tuple(Args&&... args) {
  return pattern::tuple_of({pattern(std::forward<Args>(args))...});
}

/// Proper-list pattern of exactly these elements.
template <class... Args>
requires((pattern_arg<Args> && ...) && !(std::convertible_to<Args, term> && ...)) pattern
    list(Args&&... args) {
  return pattern::list_of({pattern(std::forward<Args>(args))...});
}

/// True when `t` matches `p`; captures are then written.
inline bool match(const term& t, const pattern& p) {
  pattern::commits c;
  if (!p.match(t, c)) return false;
  for (auto& commit : c) commit();
  return true;
}

}  // namespace bitactor::term

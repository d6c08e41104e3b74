#pragma once
// expected<T, E>: a value or an error, the subset of C++23's std::expected the OTP layer uses
// ({ok, Value} | {error, Reason} as a type). g++ 12 in C++20 mode has no <expected>; the
// names and members match std::expected so a later switch is a using-declaration.
//
//   otp::expected<int, my_error> parse(...);
//   if (auto r = parse(...)) use(*r); else log(r.error());
//   return otp::unexpected(my_error{...});

#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace bitactor::otp {

/// The error alternative, to construct an expected holding an error.
template <class E>
class unexpected {
 public:
  explicit unexpected(E e) : error_(std::move(e)) {}
  const E& error() const& noexcept { return error_; }
  E& error() & noexcept { return error_; }
  E&& error() && noexcept { return std::move(error_); }

 private:
  E error_;
};

/// Thrown by value() on an expected that holds an error; what() is the error's text when E
/// has a to_string() member.
class bad_expected_access : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {
template <class E>
[[noreturn]] void throw_bad_access(const E& e) {
  if constexpr (requires { e.to_string(); }) {
    throw bad_expected_access("bad expected access: " + e.to_string());
  } else {
    throw bad_expected_access("bad expected access");
  }
}
}  // namespace detail

template <class T, class E>
class expected {
 public:
  using value_type = T;
  using error_type = E;

  expected() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  template <class U = T>
  requires std::is_constructible_v<T, U&&> &&(!std::is_same_v<std::remove_cvref_t<U>, expected>)&&(
      !std::is_same_v<std::remove_cvref_t<U>, unexpected<E>>)expected(U&& value)
      : v_(std::in_place_index<0>, std::forward<U>(value)) {}
  expected(unexpected<E> e) : v_(std::in_place_index<1>, std::move(e).error()) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& operator*() & noexcept { return std::get<0>(v_); }
  const T& operator*() const& noexcept { return std::get<0>(v_); }
  T&& operator*() && noexcept { return std::get<0>(std::move(v_)); }
  T* operator->() noexcept { return &std::get<0>(v_); }
  const T* operator->() const noexcept { return &std::get<0>(v_); }

  T& value() & {
    if (!has_value()) detail::throw_bad_access(error());
    return **this;
  }
  const T& value() const& {
    if (!has_value()) detail::throw_bad_access(error());
    return **this;
  }
  T&& value() && {
    if (!has_value()) detail::throw_bad_access(error());
    return std::move(**this);
  }
  template <class U>
  T value_or(U&& other) const& {
    return has_value() ? **this : static_cast<T>(std::forward<U>(other));
  }

  /// The error; only when !has_value().
  const E& error() const& noexcept { return std::get<1>(v_); }
  E& error() & noexcept { return std::get<1>(v_); }
  E&& error() && noexcept { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, E> v_;
};

/// expected<void, E>: success carries nothing (OTP: `ok`).
template <class E>
class expected<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  expected() = default;
  expected(unexpected<E> e) : error_(std::move(e).error()) {}

  bool has_value() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (!has_value()) detail::throw_bad_access(error());
  }
  /// The error; only when !has_value().
  const E& error() const& noexcept { return *error_; }
  E& error() & noexcept { return *error_; }

 private:
  std::optional<E> error_;
};

}  // namespace bitactor::otp

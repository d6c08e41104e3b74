// Arbitrary-precision integer: just enough arithmetic for the external term format (SMALL_BIG /
// LARGE_BIG), term order, printing and parsing. Not a general bignum library: no division,
// no multiplication of two big values.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bitactor::term {

/// Sign and magnitude; the magnitude is little-endian 32-bit limbs without leading zero limbs,
/// so every value has exactly one representation (zero is non-negative with no limbs).
class big_integer {
 public:
  big_integer() noexcept = default;
  big_integer(std::int64_t v);  // NOLINT(google-explicit-constructor): integers convert freely
  static big_integer from_uint64(std::uint64_t v);

  /// Builds the value from the external format's layout: magnitude bytes, least significant
  /// first.
  static big_integer from_le_bytes(bool negative, std::span<const std::uint8_t> bytes);

  /// Parses digits in `base` (2..36), with an optional leading '+' or '-'. Returns nullopt on
  /// an empty string or a digit outside the base. Underscores are not accepted. Subquadratic
  /// (GMP's radix conversion): a 240,000-digit number parses in milliseconds.
  static std::optional<big_integer> from_string(std::string_view text, unsigned base = 10);

  /// The integral value nearest to zero from `d` (truncation); nullopt for NaN or infinity.
  static std::optional<big_integer> from_double_trunc(double d);

  [[nodiscard]] bool negative() const noexcept { return negative_; }
  [[nodiscard]] bool is_zero() const noexcept { return limbs_.empty(); }
  [[nodiscard]] bool fits_int64() const noexcept;
  /// The value if it fits in int64_t.
  [[nodiscard]] std::optional<std::int64_t> to_int64() const noexcept;
  /// Nearest double (may be infinite for huge values).
  [[nodiscard]] double to_double() const noexcept;

  /// Number of magnitude bytes without leading zero bytes (0 for zero).
  [[nodiscard]] std::size_t byte_size() const noexcept;
  /// Writes byte_size() magnitude bytes, least significant first.
  void write_le_bytes(std::uint8_t* out) const noexcept;
  [[nodiscard]] std::span<const std::uint32_t> limbs() const noexcept { return limbs_; }

  /// Digits in `base` (2..36, upper-case letters), with a leading '-' when negative.
  /// Subquadratic, like from_string().
  [[nodiscard]] std::string to_string(unsigned base = 10) const;

  [[nodiscard]] big_integer operator-() const;

  friend bool operator==(const big_integer&, const big_integer&) noexcept = default;
  friend std::strong_ordering operator<=>(const big_integer& a, const big_integer& b) noexcept;

 private:
  void trim() noexcept;

  bool negative_ = false;
  std::vector<std::uint32_t> limbs_;
};

}  // namespace bitactor::term

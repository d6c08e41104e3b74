#include <gtest/gtest.h>

#include <bitactor/term/big_integer.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

using bitactor::term::big_integer;

TEST(big_integer, decimal_round_trip) {
  const char* values[] = {"0",
                          "1",
                          "-1",
                          "4294967296",
                          "18446744073709551616",
                          "-340282366920938463463374607431768211456",
                          "123456789012345678901234567890123456789012345678901234567890"};
  for (const char* v : values) {
    auto b = big_integer::from_string(v);
    ASSERT_TRUE(b.has_value()) << v;
    EXPECT_EQ(b->to_string(), v);
  }
}

TEST(big_integer, other_bases) {
  EXPECT_EQ(big_integer::from_string("FF", 16)->to_string(), "255");
  EXPECT_EQ(big_integer::from_string("-1010", 2)->to_string(), "-10");
  EXPECT_EQ(big_integer::from_string("zz", 36)->to_string(), "1295");
  EXPECT_EQ(big_integer(255).to_string(16), "FF");
  EXPECT_FALSE(big_integer::from_string("12", 2).has_value());
  EXPECT_FALSE(big_integer::from_string("", 10).has_value());
  EXPECT_FALSE(big_integer::from_string("-", 10).has_value());
}

TEST(big_integer, int64_edges) {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(big_integer(kMin).to_int64(), kMin);
  EXPECT_EQ(big_integer(kMax).to_int64(), kMax);
  EXPECT_EQ(big_integer(kMin).to_string(), "-9223372036854775808");
  EXPECT_FALSE(big_integer::from_string("9223372036854775808")->fits_int64());
  EXPECT_FALSE(big_integer::from_string("-9223372036854775809")->fits_int64());
  EXPECT_EQ(big_integer::from_uint64(UINT64_MAX).to_string(), "18446744073709551615");
}

TEST(big_integer, little_endian_bytes_round_trip) {
  const std::uint8_t bytes[] = {0, 0, 0, 0, 0, 0, 0, 0, 1};  // 2^64
  big_integer b = big_integer::from_le_bytes(true, bytes);
  EXPECT_EQ(b.to_string(), "-18446744073709551616");
  ASSERT_EQ(b.byte_size(), 9u);
  std::uint8_t out[9];
  b.write_le_bytes(out);
  EXPECT_TRUE(std::equal(out, out + 9, bytes));
}

TEST(big_integer, leading_zero_bytes_normalise) {
  const std::uint8_t bytes[] = {5, 0, 0, 0, 0, 0};
  EXPECT_EQ(big_integer::from_le_bytes(false, bytes), big_integer(5));
  const std::uint8_t zero[] = {0, 0};
  EXPECT_EQ(big_integer::from_le_bytes(true, zero), big_integer(0));  // no negative zero
}

TEST(big_integer, ordering) {
  auto big = *big_integer::from_string("100000000000000000000");
  EXPECT_LT(-big, big_integer(-1));
  EXPECT_LT(big_integer(-1), big_integer(0));
  EXPECT_LT(big_integer(7), big);
  EXPECT_LT(-big, -big_integer(5));
  EXPECT_GT(big, *big_integer::from_string("99999999999999999999"));
}

TEST(big_integer, from_double_truncates_exactly) {
  EXPECT_EQ(big_integer::from_double_trunc(1e20)->to_string(), "100000000000000000000");
  EXPECT_EQ(big_integer::from_double_trunc(-2.75)->to_string(), "-2");
  EXPECT_EQ(big_integer::from_double_trunc(0.5)->to_string(), "0");
  EXPECT_EQ(big_integer::from_double_trunc(9007199254740993.0)->to_string(), "9007199254740992");
  EXPECT_FALSE(big_integer::from_double_trunc(std::numeric_limits<double>::infinity()));
}

namespace {

// 10^digits - 1 built limb by limb with schoolbook arithmetic (multiply by 10^9, add
// 10^9 - 1), independently of big_integer's own conversion.
big_integer nines_by_schoolbook(std::size_t digits) {
  std::vector<std::uint32_t> limbs;
  auto mul_add = [&](std::uint32_t mul, std::uint32_t add) {
    std::uint64_t carry = add;
    for (auto& l : limbs) {
      std::uint64_t v = std::uint64_t{l} * mul + carry;
      l = static_cast<std::uint32_t>(v);
      carry = v >> 32;
    }
    if (carry != 0) limbs.push_back(static_cast<std::uint32_t>(carry));
  };
  std::size_t left = digits;
  while (left >= 9) {
    mul_add(1'000'000'000u, 999'999'999u);
    left -= 9;
  }
  std::uint32_t pow = 1;
  for (std::size_t i = 0; i < left; ++i) pow *= 10;
  if (left != 0) mul_add(pow, pow - 1);
  std::vector<std::uint8_t> bytes(limbs.size() * 4);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>(limbs[i / 4] >> (8 * (i % 4)));
  }
  return big_integer::from_le_bytes(false, bytes);
}

template <class F>
double seconds(F&& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST(big_integer, ten_to_the_100000_minus_one_prints_as_100000_nines_and_parses_back) {
  big_integer nines = nines_by_schoolbook(100'000);
  std::string text;
  std::optional<big_integer> parsed;
  double print_s = seconds([&] { text = nines.to_string(); });
  double parse_s = seconds([&] { parsed = big_integer::from_string(std::string(100'000, '9')); });
  std::printf("100,000 digits: to_string %.3f s, from_string %.3f s\n", print_s, parse_s);
  EXPECT_EQ(text, std::string(100'000, '9'));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(*parsed == nines);
  EXPECT_EQ((-nines).to_string(), "-" + std::string(100'000, '9'));
}

TEST(big_integer, a_100_kb_integer_round_trips_through_decimal_and_hex) {
  std::mt19937_64 rng(42);
  std::vector<std::uint8_t> bytes(100'000);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
  bytes.back() |= 0x80;
  big_integer v = big_integer::from_le_bytes(true, bytes);
  std::string dec;
  double print_s = seconds([&] { dec = v.to_string(); });
  std::printf("800,000-bit integer: %zu digits printed in %.3f s\n", dec.size(), print_s);
  EXPECT_EQ(dec.size(), 1 + 240'824u);  // '-', then floor(799,999 * log10(2)) + 1 digits
  auto back = big_integer::from_string(dec);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(*back == v);
  // Hex digits follow from the bytes directly: most significant byte first.
  std::string hex = "-";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (std::size_t i = bytes.size(); i-- > 0;) {
    hex.push_back(kHex[bytes[i] >> 4]);
    hex.push_back(kHex[bytes[i] & 15]);
  }
  EXPECT_EQ(v.to_string(16), hex);
  EXPECT_TRUE(*big_integer::from_string(hex, 16) == v);
}

TEST(big_integer, long_strings_with_space_or_a_second_sign_are_rejected) {
  EXPECT_FALSE(big_integer::from_string("12345678901234567890 1").has_value());
  EXPECT_FALSE(big_integer::from_string("+-12345678901234567890").has_value());
  EXPECT_FALSE(big_integer::from_string(" 12345678901234567890").has_value());
  EXPECT_EQ(big_integer::from_string("00000000000000000000")->to_string(), "0");
  EXPECT_EQ(big_integer::from_string("-00000000000000000000012")->to_string(), "-12");
}

#include <gtest/gtest.h>

#include <bitactor/term/big_integer.hpp>
#include <cstdint>
#include <limits>

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

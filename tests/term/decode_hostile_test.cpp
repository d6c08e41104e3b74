// Untrusted input: every malformed or hostile frame is an error value, never a crash, an
// out-of-bounds read or a huge allocation (run these under ASan).
#include <gtest/gtest.h>
#include <zlib.h>

#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <random>
#include <vector>

using namespace bitactor::term;
using bytes = std::vector<std::uint8_t>;

namespace {
decode_errc kind_of(const bytes& b, const decode_options& o = {}) {
  decode_result r = decode(b, o);
  EXPECT_FALSE(r.ok());
  return r.ok() ? decode_errc::trailing_bytes : r.error().kind;
}
}  // namespace

TEST(decode_hostile, list_claiming_four_billion_elements_fails_before_reserving) {
  decode_result r = decode(bytes{131, 108, 0xFF, 0xFF, 0xFF, 0xFF});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, decode_errc::truncated);
  EXPECT_EQ(r.error().tag, 108);
  EXPECT_EQ(r.error().offset, 1u);
}

TEST(decode_hostile, huge_counts_in_every_container_fail_cheaply) {
  EXPECT_EQ(kind_of({131, 105, 0xFF, 0xFF, 0xFF, 0xFF}), decode_errc::truncated);     // tuple
  EXPECT_EQ(kind_of({131, 116, 0xFF, 0xFF, 0xFF, 0xFF}), decode_errc::truncated);     // map
  EXPECT_EQ(kind_of({131, 109, 0xFF, 0xFF, 0xFF, 0xFF}), decode_errc::truncated);     // binary
  EXPECT_EQ(kind_of({131, 111, 0xFF, 0xFF, 0xFF, 0xFF, 0}), decode_errc::truncated);  // bignum
  EXPECT_EQ(kind_of({131, 107, 0xFF, 0xFF}), decode_errc::truncated);                 // string
}

TEST(decode_hostile, every_truncation_of_a_valid_term_is_an_error) {
  term t = tuple(atom("hello"), list(1, 2, 300), map({{1, binary("abc")}}), 1.5,
                 term(*big_integer::from_string("123456789012345678901234567890")),
                 pid{atom("a@b"), 1, 2, 3}, string("str"));
  bytes full = encode(t);
  for (std::size_t n = 0; n < full.size(); ++n) {
    bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(decode(cut).ok()) << n;
  }
  EXPECT_TRUE(decode(full).ok());
}

TEST(decode_hostile, deep_nesting_costs_no_stack_and_max_depth_limits_it) {
  bytes deep = {131};
  for (int i = 0; i < 100000; ++i) {
    deep.push_back(104);
    deep.push_back(1);
  }
  deep.push_back(106);
  EXPECT_TRUE(decode(deep).ok());  // as erl: no depth limit by default
  decode_result r = decode(deep, {.max_depth = 512});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, decode_errc::too_deep);
  bytes ok_depth = {131};
  for (int i = 0; i < 100; ++i) {
    ok_depth.push_back(104);
    ok_depth.push_back(1);
  }
  ok_depth.push_back(106);
  EXPECT_TRUE(decode(ok_depth).ok());
  EXPECT_EQ(decode(ok_depth, {.max_depth = 50}).error().kind, decode_errc::too_deep);
}

TEST(decode_hostile, long_list_tail_chains_do_not_recurse) {
  // [1|[1|[1|...]]] as 100,000 nested one-element LIST_EXTs.
  bytes chain = {131};
  for (int i = 0; i < 100000; ++i) {
    bytes cell = {108, 0, 0, 0, 1, 97, 1};
    chain.insert(chain.end(), cell.begin(), cell.end());
  }
  chain.push_back(106);
  decode_result r = decode(chain);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r.value().size(), 100000u);
}

TEST(decode_hostile, nan_and_infinity_are_rejected) {
  EXPECT_EQ(kind_of({131, 70, 0x7F, 0xF8, 0, 0, 0, 0, 0, 0}), decode_errc::bad_value);
  EXPECT_EQ(kind_of({131, 70, 0x7F, 0xF0, 0, 0, 0, 0, 0, 0}), decode_errc::bad_value);
  EXPECT_EQ(kind_of({131, 70, 0xFF, 0xF0, 0, 0, 0, 0, 0, 0}), decode_errc::bad_value);
}

TEST(decode_hostile, malformed_fields) {
  EXPECT_EQ(kind_of({}), decode_errc::truncated);
  EXPECT_EQ(kind_of({130, 97, 1}), decode_errc::bad_version);
  EXPECT_EQ(kind_of({131, 119, 1, 0xFF}), decode_errc::bad_value);          // bad UTF-8 atom
  EXPECT_EQ(kind_of({131, 110, 1, 2, 5}), decode_errc::bad_value);          // sign byte 2
  EXPECT_EQ(kind_of({131, 77, 0, 0, 0, 1, 0, 1}), decode_errc::bad_value);  // 0 bits
  EXPECT_EQ(kind_of({131, 77, 0, 0, 0, 1, 9, 1}), decode_errc::bad_value);  // 9 bits
  EXPECT_EQ(kind_of({131, 90, 0, 6, 119, 1, 'a', 0, 0, 0, 0}), decode_errc::bad_value);
  EXPECT_EQ(kind_of({131, 88, 97, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
            decode_errc::bad_value);                           // pid node not an atom
  EXPECT_EQ(kind_of({131, 82, 0}), decode_errc::unsupported);  // ATOM_CACHE_REF
  EXPECT_EQ(kind_of({131, 104, 1, 80, 0, 0, 0, 1}), decode_errc::unsupported);  // nested zlib
  EXPECT_EQ(kind_of({131, 104, 1, 121}), decode_errc::unsupported);             // nested LOCAL_EXT
  EXPECT_EQ(kind_of({131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2}),
            decode_errc::duplicate_key);
}

TEST(decode_hostile, compressed_size_claims_are_checked_before_inflating) {
  // Claims 4 GiB uncompressed.
  EXPECT_EQ(kind_of({131, 80, 0xFF, 0xFF, 0xFF, 0xFF, 0x78, 0x9C}), decode_errc::too_large);
  // Claims more than the stream holds.
  bytes packed = encode(list_from(std::vector<term>(300, term(atom("x")))), {.compressed = true});
  ASSERT_EQ(packed[1], 80);
  packed[5] += 1;
  EXPECT_EQ(kind_of(packed), decode_errc::bad_compression);
  EXPECT_EQ(kind_of({131, 80, 0, 0, 0, 5, 1, 2, 3}), decode_errc::bad_compression);
}

TEST(decode_hostile, zip_bomb_is_bounded_by_the_budget) {
  // 8 MB of zeros compresses to a few KB; with a 1 MB budget it must be refused.
  std::vector<std::uint8_t> payload(8u << 20, 0);
  payload[0] = 109;  // BINARY_EXT
  std::uint32_t n = static_cast<std::uint32_t>(payload.size() - 5);
  payload[1] = static_cast<std::uint8_t>(n >> 24);
  payload[2] = static_cast<std::uint8_t>(n >> 16);
  payload[3] = static_cast<std::uint8_t>(n >> 8);
  payload[4] = static_cast<std::uint8_t>(n);
  uLongf len = compressBound(static_cast<uLong>(payload.size()));
  bytes z(len);
  ASSERT_EQ(compress(z.data(), &len, payload.data(), static_cast<uLong>(payload.size())), Z_OK);
  z.resize(len);
  bytes frame = {131,
                 80,
                 static_cast<std::uint8_t>(payload.size() >> 24),
                 static_cast<std::uint8_t>(payload.size() >> 16),
                 static_cast<std::uint8_t>(payload.size() >> 8),
                 static_cast<std::uint8_t>(payload.size())};
  frame.insert(frame.end(), z.begin(), z.end());
  EXPECT_LT(frame.size(), 64u << 10);
  EXPECT_EQ(kind_of(frame, {.max_bytes = 1u << 20}), decode_errc::too_large);
  EXPECT_TRUE(decode(frame).ok());  // default budget allows it
}

TEST(decode_hostile, allocation_budget_counts_every_element) {
  term t = list_from(std::vector<term>(10000, term(1)));
  bytes b = encode(tuple(t, t));
  EXPECT_EQ(kind_of(b, {.max_bytes = 100000}), decode_errc::too_large);
  EXPECT_TRUE(decode(b, {.max_bytes = 1u << 20}).ok());
}

TEST(decode_hostile, random_bytes_never_crash) {
  std::mt19937_64 rng(42);
  term seed_term =
      tuple(atom("ok"), list(1, 2, 300), map({{1, binary("abc")}}), 1.5, pid{atom("a@b"), 1, 2, 3});
  bytes base = encode(seed_term);
  for (int i = 0; i < 20000; ++i) {
    bytes b = base;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k)
      b[1 + rng() % (b.size() - 1)] = static_cast<std::uint8_t>(rng());
    decode_result r = decode(b);
    if (r.ok()) {
      EXPECT_EQ(decode(encode(r.value())).value(), r.value());
    }
  }
}

TEST(decode_hostile, error_messages_name_kind_tag_and_offset) {
  decode_result r = decode(bytes{131, 104, 2, 97, 1, 70, 0x7F, 0xF8, 0, 0, 0, 0, 0, 0});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().offset, 5u);
  EXPECT_EQ(r.error().tag, 70);
  EXPECT_EQ(r.error().to_string(), "bad_value at offset 5 (tag 70): NaN or infinite float");
}

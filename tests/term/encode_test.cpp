// Expected bytes are erl 25's term_to_binary output for the same terms.
#include <gtest/gtest.h>

#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <string>
#include <vector>

using namespace bitactor::term;
using bytes = std::vector<std::uint8_t>;

namespace {
const encode_options v1{.minor_version = 1};
}

TEST(encode, integers_choose_the_smallest_tag_like_erl) {
  EXPECT_EQ(encode(term(255)), (bytes{131, 97, 255}));
  EXPECT_EQ(encode(term(256)), (bytes{131, 98, 0, 0, 1, 0}));
  EXPECT_EQ(encode(term(-1)), (bytes{131, 98, 255, 255, 255, 255}));
  EXPECT_EQ(encode(term(2147483647)), (bytes{131, 98, 127, 255, 255, 255}));
  EXPECT_EQ(encode(term(2147483648LL)), (bytes{131, 110, 4, 0, 0, 0, 0, 128}));
  EXPECT_EQ(encode(term(-2147483648LL)), (bytes{131, 98, 128, 0, 0, 0}));
  EXPECT_EQ(encode(term(-2147483649LL)), (bytes{131, 110, 4, 1, 1, 0, 0, 128}));
  EXPECT_EQ(encode(term(*big_integer::from_string("18446744073709551616"))),
            (bytes{131, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
}

TEST(encode, huge_integers_use_large_big) {
  // -(1 bsl 2100): 263 magnitude bytes.
  auto v = -*big_integer::from_string("1" + std::string(525, '0'), 16);
  bytes b = encode(term(v));
  ASSERT_EQ(b.size(), 1 + 1 + 4 + 1 + 263u);
  EXPECT_EQ(b[1], 111);
  EXPECT_EQ((bytes{b[2], b[3], b[4], b[5], b[6]}), (bytes{0, 0, 1, 7, 1}));
  EXPECT_EQ(b.back(), 16);
}

TEST(encode, floats_are_new_float_ext) {
  EXPECT_EQ(encode(term(1.5)), (bytes{131, 70, 63, 248, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode(term(-0.0)), (bytes{131, 70, 128, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(encode, atoms_follow_minor_version) {
  EXPECT_EQ(encode(tuple(atom("a"), atom("ö"), atom("Ω"))),
            (bytes{131, 104, 3, 119, 1, 97, 119, 2, 195, 182, 119, 2, 206, 169}));
  EXPECT_EQ(encode(term(atom("åäö")), v1), (bytes{131, 100, 0, 3, 229, 228, 246}));
  EXPECT_EQ(encode(tuple(atom("Ω")), v1), (bytes{131, 104, 1, 119, 2, 206, 169}));
}

TEST(encode, lists_of_bytes_are_string_ext) {
  EXPECT_EQ(encode(list(1, 2, 3)), (bytes{131, 107, 0, 3, 1, 2, 3}));
  EXPECT_EQ(encode(list_from({atom("a")}, atom("b")), v1),
            (bytes{131, 108, 0, 0, 0, 1, 100, 0, 1, 97, 100, 0, 1, 98}));
  std::vector<term> many(65536, term(1));
  EXPECT_EQ(encode(list_from(many))[1], 108);  // too long for STRING_EXT
  EXPECT_EQ(encode(list(1, 256))[1], 108);
  EXPECT_EQ(encode(term()), (bytes{131, 106}));
}

TEST(encode, maps_in_key_order) {
  term m = map({{1.0, atom("a")}, {1, atom("b")}, {atom("a"), atom("c")}, {2, atom("d")}});
  EXPECT_EQ(encode(m, v1),
            (bytes{131, 116, 0, 0, 0, 4, 97, 1,   100, 0, 1,  98,  97, 2, 100, 0,   1, 100, 70, 63,
                   240, 0,   0, 0, 0, 0, 0,  100, 0,   1, 97, 100, 0,  1, 97,  100, 0, 1,   99}));
}

TEST(encode, binaries_and_bitstrings) {
  EXPECT_EQ(encode(binary("")), (bytes{131, 109, 0, 0, 0, 0}));
  const std::uint8_t b[] = {1, 0x40};
  EXPECT_EQ(encode(bitstring(b, 11)), (bytes{131, 77, 0, 0, 0, 2, 3, 1, 64}));
}

TEST(encode, identifiers) {
  term p = pid{atom("nonode@nohost"), 9, 0, 0};
  bytes expected = {131, 88, 100, 0, 13};
  for (char c : std::string("nonode@nohost")) expected.push_back(static_cast<std::uint8_t>(c));
  bytes tail = {0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0};
  expected.insert(expected.end(), tail.begin(), tail.end());
  EXPECT_EQ(encode(p, v1), expected);
  EXPECT_EQ(encode(term(port{atom("a"), 5, 1}))[1], 89);
  EXPECT_EQ(encode(term(port{atom("a"), 1ull << 33, 1}))[1], 120);
  EXPECT_EQ(encode(term(export_fun{atom("lists"), atom("map"), 2}), v1),
            (bytes{131, 113, 100, 0, 5, 108, 105, 115, 116, 115, 100, 0, 3, 109, 97, 112, 97, 2}));
}

TEST(encode, compression_only_when_smaller) {
  EXPECT_EQ(encode(term(1), {.compressed = true}), (bytes{131, 97, 1}));
  std::vector<term> ones(1000, term(atom("repeated")));
  term big = list_from(ones);
  bytes plain = encode(big);
  bytes packed = encode(big, {.compressed = true});
  EXPECT_EQ(packed[1], 80);
  EXPECT_LT(packed.size(), plain.size());
  std::uint32_t declared = (packed[2] << 24) | (packed[3] << 16) | (packed[4] << 8) | packed[5];
  EXPECT_EQ(declared, plain.size() - 1);
}

TEST(encode, erl_compressed_bytes_match) {
  // term_to_binary(lists:seq(1,40) ++ [1.5, a, "str", <<"bin">>], [compressed]) in erl 25.
  std::vector<term> elems;
  for (int i = 1; i <= 40; ++i) elems.emplace_back(i);
  elems.emplace_back(1.5);
  elems.emplace_back(atom("a"));
  elems.push_back(string("str"));
  elems.push_back(binary("bin"));
  bytes expected = {131, 80,  0,   0,   0,   113, 120, 156, 29,  199, 55,  22,  1,   81,  0,
                    0,   192, 191, 86,  206, 57,  231, 92,  184, 131, 206, 61,  198, 211, 136,
                    5,   14,  175, 228, 153, 110, 110, 33,  132, 157, 72,  66,  44,  41,  37,
                    45,  35,  43,  39,  175, 160, 168, 164, 172, 162, 170, 166, 174, 161, 169,
                    165, 173, 163, 171, 167, 111, 96,  104, 100, 108, 98,  106, 102, 110, 97,
                    105, 101, 109, 99,  123, 216, 127, 194, 223, 41,  68,  174, 33,  126, 189,
                    159, 247, 223, 226, 227, 249, 113, 249, 2,   91,  79,  25,  18};
  EXPECT_EQ(encode(list_from(elems), {.compressed = true, .minor_version = 1}), expected);
}

TEST(encode, encoded_size_matches_output) {
  term t = tuple(atom("x"), list(1, 2, 300), map({{1, binary("abc")}}), 1.5);
  EXPECT_EQ(encoded_size(t), encode(t).size());
  bytes out = {9};
  encode_append(out, t);
  EXPECT_EQ(out.size(), 1 + encode(t).size());
}

TEST(encode, flat_tuples_match_the_general_path) {
  // A top-level tuple of immediates is written in one pass; its bytes must be those the
  // general encoder writes for the same tuple nested in a list.
  std::vector<term> tuples = {
      tuple(atom("call"), atom("counter"), 42, atom("incr"), 1234567),
      tuple(-1, 255, 256, -2147483648LL, 2147483648LL, INT64_MIN, INT64_MAX, 0),
      tuple(1.5, -0.0, nil(), atom(""), atom("a"), atom("abc"), atom("abcd"), atom("abcdefg")),
      tuple(atom("abcdefgh"), atom("abcdefghijklmnop"), atom("abcdefghijklmnopq"), atom("Ω∂")),
      tuple(atom(std::string(255, 'z')), atom(std::string(200, 'y')), 7),
      tuple(),
      tuple(big_integer::from_uint64(UINT64_MAX), 1),  // a big integer: general path
  };
  for (const term& t : tuples) {
    for (int minor : {1, 2}) {
      encode_options o;
      o.minor_version = minor;
      bytes flat = encode(t, o);
      bytes nested = encode(list(t), o);
      ASSERT_EQ(flat.size(), encoded_size(t, o));
      // nested: 131, LIST_EXT, length(4), <tuple>, NIL_EXT
      EXPECT_EQ(bytes(nested.begin() + 6, nested.end() - 1), bytes(flat.begin() + 1, flat.end()));
      EXPECT_EQ(decode(flat).value(), t);
    }
  }
}

namespace {
// Long lists of numbers of every width the bounded size pass must cover.
std::vector<term> long_number_lists() {
  std::vector<term> widest, bytes_only, mixed, strings_too_long;
  for (int i = 0; i < 2000; ++i) {
    widest.emplace_back(i % 2 ? INT64_MIN : INT64_MAX);  // SMALL_BIG_EXT, 11 bytes each
    bytes_only.emplace_back(i % 256);                    // STRING_EXT, 1 byte each
    switch (i % 5) {
      case 0:
        mixed.emplace_back(i);
        break;
      case 1:
        mixed.emplace_back(-i * 100000);
        break;
      case 2:
        mixed.emplace_back(i + 0.25);
        break;
      case 3:
        mixed.emplace_back();  // []
        break;
      default:
        mixed.emplace_back(std::int64_t{1} << 40);
        break;
    }
  }
  for (int i = 0; i < 70000; ++i) strings_too_long.emplace_back(i % 256);  // over 65535
  return {list_from(widest), list_from(bytes_only), list_from(mixed),
          list_from(mixed, term(atom("improper"))), list_from(strings_too_long)};
}
}  // namespace

// encode() charges long number lists an upper bound instead of reading them twice; the bytes
// must still be exactly those of the exact-size path (encode_iovec copying everything).
TEST(encode, long_number_lists_match_the_exact_size_path) {
  const encode_options exact{.iovec_copy_max = SIZE_MAX};
  std::vector<term> cases = long_number_lists();
  std::vector<term> nested;
  for (const term& l : cases) {
    nested.push_back(tuple(atom("wrapped"), l, map({{l, l}})));
    nested.push_back(tuple(l, binary(std::string(10000, 'b'))));  // also a referenced binary
    local_fun f;
    f.module = atom("m");
    f.old_index = term(0);
    f.old_uniq = term(1);
    f.creator = term(pid{atom("a@b"), 1, 0, 0});
    f.free_vars = {l, l};
    nested.push_back(term(f));  // NEW_FUN_EXT writes its own exact size
  }
  cases.insert(cases.end(), nested.begin(), nested.end());
  for (const term& t : cases) {
    for (int minor : {1, 2}) {
      encode_options o;
      o.minor_version = minor;
      bytes b = encode(t, o);
      encode_options x = exact;
      x.minor_version = minor;
      ASSERT_EQ(b, encode_iovec(t, x).flatten());
      ASSERT_EQ(b.size(), encoded_size(t, o));
      EXPECT_EQ(b.capacity(), b.size());  // the bound does not leak into the result
      bytes appended = {7, 7};
      encode_append(appended, t, o);
      ASSERT_EQ(bytes(appended.begin() + 2, appended.end()), b);
      decode_result back = decode(b);
      ASSERT_TRUE(back.ok()) << back.error().to_string();
      ASSERT_EQ(back.value(), t);
      ASSERT_EQ(encode(back.value(), o), b);  // decoded lists carry the same flag
    }
  }
}

// Past the bound's memory limits (one list over ~1.5M elements, or bounds adding up to more
// than 64 MiB) the encoder sizes exactly; the bytes must not change either way.
TEST(encode, very_long_number_lists_fall_back_to_exact_sizes) {
  std::vector<term> elems(2'000'000);
  for (std::size_t i = 0; i < elems.size(); ++i) elems[i] = term(static_cast<std::int64_t>(i % 7));
  term one_huge = list_from(std::move(elems));
  std::vector<term> million(1'000'000, term(std::int64_t{300}));
  term l = list_from(std::move(million));
  term many = tuple(l, l, l, l, l, l, l);  // 7 bounds of 11 MB each
  for (const term& t : {one_huge, many}) {
    bytes b = encode(t);
    ASSERT_EQ(b.size(), encoded_size(t));
    ASSERT_EQ(b, encode_iovec(t, {.iovec_copy_max = SIZE_MAX}).flatten());
  }
}

#include <gtest/gtest.h>

#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <bitactor/term/order.hpp>
#include <vector>

using namespace bitactor::term;
using bytes = std::vector<std::uint8_t>;

namespace {
term dec(const bytes& b) {
  decode_result r = decode(b);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.value();
}
}  // namespace

TEST(decode, current_tags) {
  EXPECT_EQ(dec({131, 97, 255}), term(255));
  EXPECT_EQ(dec({131, 98, 255, 255, 255, 255}), term(-1));
  EXPECT_EQ(dec({131, 110, 4, 1, 1, 0, 0, 128}), term(-2147483649LL));
  EXPECT_EQ(dec({131, 70, 63, 248, 0, 0, 0, 0, 0, 0}), term(1.5));
  EXPECT_EQ(dec({131, 119, 2, 206, 169}), term(atom("Ω")));
  EXPECT_EQ(dec({131, 107, 0, 3, 1, 2, 3}), list(1, 2, 3));
  EXPECT_EQ(dec({131, 108, 0, 0, 0, 1, 100, 0, 1, 97, 100, 0, 1, 98}),
            list_from({atom("a")}, atom("b")));
  EXPECT_EQ(dec({131, 77, 0, 0, 0, 2, 3, 1, 64}).bit_size(), 11u);
}

TEST(decode, old_tags_erl_no_longer_writes) {
  EXPECT_EQ(dec({131, 100, 0, 3, 229, 228, 246}), term(atom("åäö")));  // ATOM_EXT, Latin-1
  EXPECT_EQ(dec({131, 115, 2, 111, 107}), term(atom("ok")));           // SMALL_ATOM_EXT
  bytes old_float = {131, 99};
  std::string text = "1.50000000000000000000e+00";
  old_float.insert(old_float.end(), text.begin(), text.end());
  old_float.resize(2 + 31, 0);
  EXPECT_EQ(dec(old_float), term(1.5));
  // PID_EXT (one-byte creation) and NEW_REFERENCE_EXT.
  term p = dec({131, 103, 119, 3, 'a', '@', 'b', 0, 0, 0, 7, 0, 0, 0, 1, 2});
  EXPECT_EQ(p.as_pid().id, 7u);
  EXPECT_EQ(p.as_pid().creation, 2u);
  term r = dec({131, 114, 0, 2, 119, 3, 'a', '@', 'b', 1, 0, 0, 0, 5, 0, 0, 0, 6});
  EXPECT_EQ(r.as_reference().words[1], 6u);
  term port = dec({131, 102, 119, 3, 'a', '@', 'b', 0, 0, 0, 7, 1});
  EXPECT_EQ(port.as_port().id, 7u);
}

TEST(decode, fun_from_erl_re_encodes_identically) {
  // term_to_binary(fun(X) -> X + P1 end) from erl 25, P1 a remote pid.
  bytes fun = {131, 112, 0,   0,   0,   89,  1,   240, 252, 223, 6,   185, 79,  68, 199, 69,
               62,  208, 125, 248, 135, 103, 225, 0,   0,   0,   0,   0,   0,   0,  1,   100,
               0,   2,   101, 49,  97,  0,   98,  7,   135, 230, 248, 88,  100, 0,  13,  110,
               111, 110, 111, 100, 101, 64,  110, 111, 104, 111, 115, 116, 0,   0,  0,   9,
               0,   0,   0,   0,   0,   0,   0,   0,   88,  100, 0,   3,   97,  64, 98,  0,
               0,   0,   1,   0,   0,   0,   2,   0,   0,   0,   1};
  term f = dec(fun);
  ASSERT_TRUE(f.is_fun());
  EXPECT_EQ(f.as_local_fun().module, atom("e1"));
  EXPECT_EQ(f.as_local_fun().free_vars.size(), 1u);
  EXPECT_EQ(encode(f, {.minor_version = 1}), fun);
}

TEST(decode, list_tail_chains_are_flattened) {
  // [1 | [2 | "ab"]] written as nested LIST_EXT and a STRING_EXT tail.
  term t = dec({131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 107, 0, 2, 'a', 'b'});
  EXPECT_EQ(t, list(1, 2, 97, 98));
}

TEST(decode, maps_in_any_order_are_sorted) {
  term m = dec({131, 116, 0, 0, 0, 2, 119, 1, 'b', 97, 1, 119, 1, 'a', 97, 2});
  EXPECT_TRUE(m.as_map()[0].first.is_atom("a"));
}

TEST(decode, compressed_terms) {
  std::vector<term> many(500, term(atom("again")));
  term t = tuple(list_from(many), binary(std::string(1000, 'x')));
  bytes packed = encode(t, {.compressed = true});
  ASSERT_EQ(packed[1], 80);
  EXPECT_EQ(dec(packed), t);
}

TEST(decode, trailing_bytes_are_rejected_unless_allowed) {
  bytes b = {131, 97, 1, 0xFF};
  decode_result r = decode(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, decode_errc::trailing_bytes);
  decode_result used = decode(b, {.allow_trailing = true});
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(used.consumed(), 3u);
}

TEST(decode, local_ext_is_kept_opaque) {
  bytes b = {131, 121, 1, 2, 3, 4, 5};
  term t = dec(b);
  EXPECT_EQ(t.kind(), type::local);
  EXPECT_EQ(encode(t), b);
}

TEST(decode, safe_mode_refuses_new_atoms) {
  bytes b = {131, 119, 10, 'n', 'e', 'v', 'e', 'r', 's', 'e', 'e', 'n', '1'};
  decode_result r = decode(b, {.safe = true});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, decode_errc::unknown_atom);
  EXPECT_TRUE(decode(b).ok());
  EXPECT_TRUE(decode(b, {.safe = true}).ok());  // exists now
}

TEST(decode, binary_to_term_throws_with_the_error) {
  bytes b = {131, 200};
  try {
    (void)binary_to_term(b);
    FAIL();
  } catch (const decode_exception& e) {
    EXPECT_EQ(e.error().kind, decode_errc::unknown_tag);
    EXPECT_EQ(e.error().tag, 200);
    EXPECT_EQ(e.error().offset, 1u);
  }
}

TEST(decode, compressed_local_ext_is_kept_opaque) {
  bytes b(201, 7);
  b[0] = 131;
  b[1] = 121;
  term t = dec(b);
  bytes packed = encode(t, {.compressed = true});
  ASSERT_EQ(packed[1], 80);
  EXPECT_EQ(dec(packed), t);
}

#include <gtest/gtest.h>

#include <algorithm>
#include <bitactor/term/order.hpp>

using namespace bitactor::term;

namespace {
reference ref(std::initializer_list<std::uint32_t> words) {
  reference r;
  r.node = atom("a@b");
  r.creation = 1;
  r.size = static_cast<std::uint8_t>(words.size());
  std::copy(words.begin(), words.end(), r.words.begin());
  return r;
}
}  // namespace

TEST(order, types_follow_erlang_term_order) {
  // number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring
  std::vector<term> ascending = {
      term(1),
      term(atom("a")),
      term(ref({1})),
      term(export_fun{atom("m"), atom("f"), 1}),
      term(port{atom("a@b"), 1, 1}),
      term(pid{atom("a@b"), 1, 0, 1}),
      tuple(),
      map({}),
      term(),
      list(1),
      binary(""),
  };
  for (std::size_t i = 0; i + 1 < ascending.size(); ++i) {
    EXPECT_TRUE(compare(ascending[i], ascending[i + 1]) < 0) << i;
    EXPECT_LT(ascending[i], ascending[i + 1]) << i;
  }
}

TEST(order, integers_and_floats_compare_by_value) {
  EXPECT_TRUE(equal(term(1), term(1.0)));
  EXPECT_FALSE(exact_equal(term(1), term(1.0)));
  EXPECT_TRUE(compare(term(1), term(1.5)) < 0);
  EXPECT_TRUE(compare(term(2), term(1.5)) > 0);
  // 2^53 + 1 is not representable as a double; erl compares exactly.
  term big = term(std::int64_t{9007199254740993});
  EXPECT_TRUE(compare(big, term(9007199254740992.0)) > 0);
  term huge = term(*big_integer::from_string("100000000000000000000000000000"));
  EXPECT_TRUE(compare(huge, term(1e30)) < 0);
  EXPECT_TRUE(equal(term(*big_integer::from_string("1000000000000000000000")), term(1e21)));
}

TEST(order, exact_order_puts_all_integers_before_floats) {
  // The map-key order: #{1.0 => a, 2 => b} lists 2 first.
  EXPECT_TRUE(exact_compare(term(2), term(1.0)) < 0);
  EXPECT_TRUE(compare(term(2), term(1.0)) > 0);
}

TEST(order, tuples_compare_by_size_first) {
  EXPECT_TRUE(compare(tuple(9, 9), tuple(1, 1, 1)) < 0);
  EXPECT_TRUE(compare(tuple(1, 2), tuple(1, 3)) < 0);
}

TEST(order, lists_compare_element_wise_then_tail) {
  EXPECT_TRUE(compare(list(1, 2), list(1, 2, 3)) < 0);
  EXPECT_TRUE(compare(list(1, 3), list(1, 2, 3)) > 0);
  EXPECT_TRUE(compare(list_from({1}, term(2)), list(1, 2)) < 0);  // [1|2] < [1,2]
  EXPECT_TRUE(compare(list_from({1}, binary("")), list(1, 2)) > 0);
}

TEST(order, maps_compare_size_then_keys_then_values) {
  EXPECT_TRUE(compare(map({{3, 3}}), map({{1, 1}, {2, 2}})) < 0);
  EXPECT_TRUE(compare(map({{1, 9}}), map({{2, 0}})) < 0);
  EXPECT_TRUE(compare(map({{1, 1}}), map({{1, 2}})) < 0);
  EXPECT_FALSE(equal(map({{1, atom("a")}}), map({{1.0, atom("a")}})));  // keys are exact
  EXPECT_TRUE(equal(map({{atom("k"), 1}}), map({{atom("k"), 1.0}})));
}

TEST(order, bitstrings_compare_bit_wise) {
  const std::uint8_t one[] = {0x20};  // <<1:3>> is bits 001
  EXPECT_TRUE(compare(bitstring(one, 3), binary(std::string_view("\x01", 1))) > 0);
  EXPECT_TRUE(compare(binary("ab"), binary("abc")) < 0);
  EXPECT_TRUE(compare(binary("abc"), binary("abd")) < 0);
}

TEST(order, pids_compare_serial_then_number_then_node) {
  term p1 = pid{atom("a@b"), 1, 2, 1};
  term p2 = pid{atom("a@b"), 2, 1, 1};
  term p3 = pid{atom("a@a"), 9, 9, 1};
  EXPECT_TRUE(compare(p2, p1) < 0);
  EXPECT_TRUE(compare(p1, p3) < 0);
  EXPECT_TRUE(compare(pid{atom("a@a"), 1, 2, 1}, p1) < 0);
}

TEST(order, references_compare_node_then_words_from_the_highest) {
  EXPECT_TRUE(compare(ref({2, 1}), ref({1, 2})) < 0);
  EXPECT_TRUE(compare(ref({0, 0, 0}), ref({5})) < 0);
  EXPECT_TRUE(compare(ref({5}), ref({2, 1})) < 0);
  EXPECT_TRUE(exact_equal(ref({5}), ref({5, 0})));  // erts ignores high zero words
}

TEST(order, local_funs_sort_before_export_funs) {
  local_fun f;
  f.module = atom("zzz");
  f.old_index = 0;
  f.old_uniq = 0;
  f.creator = pid{atom("a@b"), 1, 0, 1};
  EXPECT_TRUE(compare(term(f), term(export_fun{atom("a"), atom("b"), 0})) < 0);
}

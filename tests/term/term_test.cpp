#include <gtest/gtest.h>

#include <atomic>
#include <bitactor/term/errors.hpp>
#include <bitactor/term/term.hpp>
#include <thread>
#include <unordered_set>
#include <vector>

using namespace bitactor::term;

TEST(term, default_term_is_nil) {
  term t;
  EXPECT_TRUE(t.is_nil());
  EXPECT_TRUE(t.is_list());
  EXPECT_EQ(t.kind(), type::nil);
}

TEST(term, integers_of_every_width_are_small_when_they_fit) {
  EXPECT_EQ(term(42).as_int(), 42);
  EXPECT_EQ(term(std::uint8_t{200}).as_int(), 200);
  EXPECT_EQ(term(-7LL).as_int(), -7);
  EXPECT_TRUE(term(UINT64_MAX).is_integer());
  EXPECT_FALSE(term(UINT64_MAX).is_small());
  EXPECT_EQ(term(UINT64_MAX).as_big_integer().to_string(), "18446744073709551615");
  EXPECT_THROW((void)term(UINT64_MAX).as_int(), bad_term_access);
  EXPECT_TRUE(term(big_integer(5)).is_small());  // big values that fit are normalised
}

TEST(term, booleans_are_atoms) {
  EXPECT_TRUE(term(true).is_atom("true"));
  EXPECT_TRUE(term(false).is_atom("false"));
}

TEST(term, floats_reject_nan_and_infinity) {
  EXPECT_DOUBLE_EQ(term(1.5).as_float(), 1.5);
  EXPECT_THROW(term{std::numeric_limits<double>::quiet_NaN()}, term_error);
  EXPECT_THROW(term{std::numeric_limits<double>::infinity()}, term_error);
}

TEST(term, tuple_construction_and_access) {
  term t = tuple(atom("ok"), 42, 2.5, list(1, 2));
  ASSERT_TRUE(t.is_tuple());
  EXPECT_EQ(t.size(), 4u);
  EXPECT_TRUE(t[0].is_atom("ok"));
  EXPECT_EQ(t[1].as_int(), 42);
  EXPECT_EQ(t[3][1].as_int(), 2);
  EXPECT_THROW((void)t[4], bad_term_access);
  EXPECT_THROW((void)t.as_int(), bad_term_access);
  EXPECT_EQ(tuple().size(), 0u);
}

TEST(term, list_with_list_tail_is_flattened) {
  term a = list_from({1, 2}, list(3, 4));
  EXPECT_EQ(a, list(1, 2, 3, 4));
  EXPECT_TRUE(a.as_list().proper());
  term b = list_from({1}, term(atom("x")));
  EXPECT_FALSE(b.as_list().proper());
  EXPECT_TRUE(b.as_list().tail->is_atom("x"));
  EXPECT_EQ(list_from({}, term(5)), term(5));
}

TEST(term, strings_are_lists_of_code_points) {
  term s = string("hé");
  EXPECT_EQ(s, list(104, 233));
  EXPECT_EQ(string_value(s), "hé");
  EXPECT_EQ(string_value(string("")), "");
  EXPECT_TRUE(string("").is_nil());
  EXPECT_FALSE(string_value(list(atom("a"))).has_value());
  EXPECT_THROW(string("\xff"), term_error);
}

TEST(term, binaries_and_bitstrings) {
  term b = binary("abc");
  EXPECT_TRUE(b.is_binary());
  EXPECT_EQ(b.as_binary_view(), "abc");
  EXPECT_EQ(b.bit_size(), 24u);
  const std::uint8_t bytes[] = {0xFF, 0xFF};
  term bits = bitstring(bytes, 11);
  EXPECT_FALSE(bits.is_binary());
  EXPECT_TRUE(bits.is_bitstring());
  EXPECT_EQ(bits.bit_size(), 11u);
  EXPECT_EQ(bits.as_bytes()[1], 0xE0);  // unused low bits are cleared
}

TEST(term, maps_sort_keys_and_last_duplicate_wins) {
  term m = map({{atom("b"), 1}, {atom("a"), 2}, {atom("b"), 3}});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_TRUE(m.as_map()[0].first.is_atom("a"));
  EXPECT_EQ(m.find(atom("b"))->as_int(), 3);
  EXPECT_EQ(m.find(atom("c")), nullptr);
  term nums = map({{1.0, atom("f")}, {1, atom("i")}});
  EXPECT_EQ(nums.size(), 2u);  // 1 and 1.0 are different keys
  EXPECT_TRUE(nums.find(1)->is_atom("i"));
}

TEST(term, identifiers_keep_their_fields) {
  term p = pid{atom("n@h"), 1, 2, 3};
  EXPECT_EQ(p.as_pid().serial, 2u);
  reference r;
  r.node = atom("n@h");
  r.size = 3;
  r.words = {1, 2, 3, 0, 0};
  EXPECT_EQ(term(r).as_reference().ids().size(), 3u);
  reference bad;
  EXPECT_THROW(term{bad}, term_error);  // zero words
  EXPECT_EQ(term(port{atom("n@h"), 1ull << 40, 1}).as_port().id, 1ull << 40);
  EXPECT_TRUE(term(export_fun{atom("lists"), atom("map"), 2}).is_fun());
}

TEST(term, copies_share_and_outlive_the_original) {
  term copy;
  {
    term original = tuple(binary("payload"), list(1, 2, 3));
    copy = original;
  }
  EXPECT_EQ(copy[0].as_binary_view(), "payload");
  term moved = std::move(copy);
  EXPECT_TRUE(copy.is_nil());  // NOLINT(bugprone-use-after-move): moved-from is []
  EXPECT_EQ(moved.size(), 2u);
}

TEST(term, equality_is_exact) {
  EXPECT_NE(term(1), term(1.0));
  EXPECT_EQ(term(0.0), term(-0.0));  // OTP 25: 0.0 =:= -0.0
  EXPECT_EQ(tuple(1, atom("a")), tuple(1, atom("a")));
}

TEST(term, hash_is_consistent_with_equality) {
  std::unordered_set<term> set;
  set.insert(tuple(1, 2));
  set.insert(tuple(1, 2));
  set.insert(term(0.0));
  set.insert(term(-0.0));
  set.insert(term(1));
  set.insert(term(1.0));
  EXPECT_EQ(set.size(), 4u);
}

TEST(term, copies_shared_across_threads_are_safe) {
  term shared = tuple(binary("payload"), list(1, 2, 3), map({{atom("k"), binary("v")}}));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&shared, &ok] {
      for (int i = 0; i < 20000; ++i) {
        term copy = shared;
        term inner = copy[2];
        if (inner.find(atom("k"))->as_binary_view() == "v") ok.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 80000);
  EXPECT_EQ(shared[0].as_binary_view(), "payload");
}

// Terms nested 100,000 deep: every walk over a term (destroy, compare, hash, encode, print)
// keeps its work on an explicit stack, so depth costs heap, never C++ stack. Run these under
// the asan preset too: ASan's larger frames make a recursive walk overflow much sooner.
#include <gtest/gtest.h>

#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <bitactor/term/order.hpp>
#include <bitactor/term/print.hpp>
#include <bitactor/term/term.hpp>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace bitactor::term;

namespace {

constexpr std::size_t kDepth = 100'000;

// [[[...[leaf]...]]], `depth` lists around `leaf`, built from the inside out (no recursion).
term nested_lists(std::size_t depth, term leaf = term()) {
  term t = std::move(leaf);
  for (std::size_t i = 0; i < depth; ++i) t = list(std::move(t));
  return t;
}

// {{...{leaf}...}}.
term nested_tuples(std::size_t depth, term leaf = term()) {
  term t = std::move(leaf);
  for (std::size_t i = 0; i < depth; ++i) t = tuple(std::move(t));
  return t;
}

// #{k => #{k => ... leaf}}.
term nested_maps(std::size_t depth, term leaf = term()) {
  term t = std::move(leaf);
  for (std::size_t i = 0; i < depth; ++i) t = map({{atom("k"), std::move(t)}});
  return t;
}

// [1|[2|...|tail]] as improper lists nested in the tail of a tuple: {a, {a, ... }} mixed with
// lists so every container kind appears on one path.
term nested_mixed(std::size_t depth) {
  term t = atom("leaf");
  for (std::size_t i = 0; i < depth; ++i) {
    switch (i % 3) {
      case 0:
        t = tuple(atom("a"), std::move(t));
        break;
      case 1:
        t = list_from({term(1)}, std::move(t));  // improper: [1 | T]
        break;
      default:
        t = map({{std::move(t), 2}});  // deep keys too
        break;
    }
  }
  return t;
}

}  // namespace

TEST(deep_nesting, dropping_the_last_reference_to_deep_lists_tuples_and_maps_is_stack_bounded) {
  { term t = nested_lists(10 * kDepth); }  // deep enough to overflow a recursive destructor
  { term t = nested_tuples(kDepth); }
  { term t = nested_maps(kDepth); }
  { term t = nested_mixed(kDepth); }
  SUCCEED();
}

TEST(deep_nesting, deep_chain_shared_from_two_owners_is_freed_once_when_both_drop_it) {
  term inner = nested_lists(kDepth);
  term a = tuple(inner, 1);
  term b = tuple(inner, 2);
  inner = term();
  a = term();
  EXPECT_EQ(b.as_tuple()[0].size(), 1u);
}

TEST(deep_nesting, deep_terms_compare_equal_and_order_by_their_innermost_difference) {
  term a = nested_lists(kDepth, 1);
  term b = nested_lists(kDepth, 1);
  term c = nested_lists(kDepth, 2);
  term d = nested_lists(kDepth, 1.0);
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_TRUE(a < c);
  EXPECT_EQ(compare(a, c), std::weak_ordering::less);
  EXPECT_EQ(compare(a, d), std::weak_ordering::equivalent);  // 1 == 1.0 (Erlang ==)
  EXPECT_FALSE(exact_equal(a, d));                           // 1 =:= 1.0 is false
  EXPECT_TRUE(nested_mixed(kDepth) == nested_mixed(kDepth));
  EXPECT_TRUE(nested_maps(kDepth, 1) < nested_maps(kDepth, 2));
  // Innermost, {[]} meets []: tuples sort before [].
  EXPECT_TRUE(nested_tuples(kDepth + 1) < nested_tuples(kDepth));
}

TEST(deep_nesting, deep_terms_hash_consistently_with_equality) {
  std::hash<term> h;
  EXPECT_EQ(h(nested_mixed(kDepth)), h(nested_mixed(kDepth)));
  EXPECT_NE(h(nested_lists(kDepth)), h(nested_tuples(kDepth)));
}

TEST(deep_nesting, deep_list_prints_as_brackets) {
  std::string expected = std::string(kDepth, '[') + "a" + std::string(kDepth, ']');
  EXPECT_EQ(to_string(nested_lists(kDepth, atom("a"))), expected);
  std::string tuples = std::string(kDepth, '{') + "[]" + std::string(kDepth, '}');
  EXPECT_EQ(to_string(nested_tuples(kDepth)), tuples);
}

TEST(deep_nesting, deep_mixed_term_prints_like_a_shallow_one_at_each_level) {
  // Depth 3 checked against the text erl prints, then the deep one must at least start and
  // end the same way and have the right length.
  EXPECT_EQ(to_string(nested_mixed(3)), "#{[1|{a,leaf}] => 2}");
  std::string deep = to_string(nested_mixed(kDepth));
  // 100,000 levels: the outermost (i = 99,999) is a tuple, then a map, then a list.
  EXPECT_EQ(deep.substr(0, 8), "{a,#{[1|");
  EXPECT_EQ(deep.substr(deep.size() - 8), "] => 2}}");
  EXPECT_NE(deep.find("[1|{a,leaf}] => 2}"), std::string::npos);  // the innermost levels
}

TEST(deep_nesting, deep_terms_encode_to_the_expected_bytes) {
  // [[[]]] is LIST_EXT(1) ... NIL_EXT NIL_EXT ...: 6 bytes a level, the innermost [] and
  // one NIL_EXT tail a level.
  term t = nested_lists(kDepth);
  std::vector<std::uint8_t> bytes = encode(t);
  ASSERT_EQ(bytes.size(), 1 + 6 * kDepth + 1);
  EXPECT_EQ(encoded_size(t), bytes.size());
  EXPECT_EQ(bytes[1], 108);                         // LIST_EXT
  EXPECT_EQ(bytes[bytes.size() - 1], 106);          // the outermost tail
  EXPECT_EQ(bytes[1 + 6 * (kDepth - 1) + 5], 106);  // the innermost element []
  EXPECT_EQ(encode_iovec(nested_mixed(kDepth)).flatten(), encode(nested_mixed(kDepth)));
  EXPECT_EQ(encode(nested_mixed(kDepth), {.compressed = true}).front(), 131);
}

TEST(deep_nesting, deep_terms_round_trip_through_decode_with_default_options) {
  // erl's binary_to_term has no depth limit, and neither has decode() by default.
  for (const term& t :
       {nested_lists(kDepth), nested_tuples(kDepth), nested_maps(kDepth), nested_mixed(kDepth)}) {
    decode_result r = decode(encode(t));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_TRUE(r.value() == t);
  }
}

TEST(deep_nesting, max_depth_still_bounds_nesting_with_too_deep_naming_the_limit) {
  decode_result r = decode(encode(nested_lists(kDepth)), {.max_depth = 1000});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, decode_errc::too_deep);
  EXPECT_NE(r.error().message.find("max_depth = 1000"), std::string::npos) << r.error().message;
  EXPECT_TRUE(decode(encode(nested_lists(999)), {.max_depth = 1000}).ok());
}

TEST(deep_nesting, open_containers_are_charged_to_max_bytes) {
  // 100,000 open tuples of one element each cost far more than 1 MiB of frames.
  decode_result r = decode(encode(nested_tuples(kDepth)), {.max_bytes = 1u << 20});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, decode_errc::too_large);
}

TEST(deep_nesting, a_truncated_deep_term_fails_cleanly) {
  std::vector<std::uint8_t> bytes = encode(nested_mixed(kDepth));
  bytes.resize(bytes.size() / 2);
  decode_result r = decode(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, decode_errc::truncated);
}

TEST(deep_nesting, funs_whose_free_variables_nest_deep_round_trip) {
  // NEW_FUN_EXT carries its own size, so encoding sizes the nested free variables first
  // (once a level: quadratic in the number of nested funs, as in erts).
  term t = atom("leaf");
  for (int i = 0; i < 200; ++i) {
    local_fun f;
    f.arity = 1;
    f.module = atom("m");
    f.old_index = 0;
    f.old_uniq = 1;
    f.creator = term(pid{atom("n@h"), 1, 0, 0});
    f.free_vars = {nested_lists(100), std::move(t)};
    t = tuple(term(f));
  }
  decode_result r = decode(encode(t));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r.value() == t);
  EXPECT_EQ(std::hash<term>{}(r.value()), std::hash<term>{}(t));
  EXPECT_EQ(to_string(t).substr(0, 9), "{#Fun<m.0");
}

TEST(deep_nesting, terms_just_past_the_recursion_depth_of_each_walk_behave_as_shallow_ones) {
  // The walks recurse for the first levels and switch to an explicit stack below; depths
  // around that switch must give the same results as any other.
  for (std::size_t depth : {40u, 47u, 48u, 49u, 50u, 64u, 97u}) {
    term t = nested_mixed(depth);
    std::vector<std::uint8_t> bytes = encode(t);
    EXPECT_EQ(bytes.size(), encoded_size(t)) << depth;
    decode_result r = decode(bytes);
    ASSERT_TRUE(r.ok()) << depth << ": " << r.error().to_string();
    EXPECT_TRUE(r.value() == t) << depth;
    EXPECT_EQ(encode(r.value()), bytes) << depth;
    // `depth` containers, the outermost at depth 0.
    decode_result shallow = decode(bytes, {.max_depth = depth - 1});
    ASSERT_FALSE(shallow.ok()) << depth;
    EXPECT_EQ(shallow.error().kind, decode_errc::too_deep) << depth;
    EXPECT_TRUE(decode(bytes, {.max_depth = depth}).ok()) << depth;
    EXPECT_TRUE(nested_lists(depth, 1) < nested_lists(depth, 2)) << depth;
    EXPECT_EQ(compare(nested_maps(depth, 1), nested_maps(depth, 1.0)),
              std::weak_ordering::equivalent)
        << depth;
    EXPECT_TRUE(nested_tuples(depth + 1) < nested_tuples(depth)) << depth;
  }
}

TEST(deep_nesting, a_deep_term_shared_by_threads_is_freed_once_by_whichever_drops_it_last) {
  term shared = nested_lists(kDepth);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([copy = shared]() mutable {
      term mine = tuple(copy, 1);  // more owners of the chain
      copy = term();
      EXPECT_EQ(to_string(mine).size(), 2 * kDepth + 6);  // {[[...[]...]],1}
    });
  }
  shared = term();
  for (auto& th : threads) th.join();
}

#include <gtest/gtest.h>

#include <bitactor/term/match.hpp>

using namespace bitactor::term;

TEST(match, literal_tuple_matches_exactly) {
  term msg = tuple(atom("incr"), 5);
  EXPECT_TRUE(match(msg, tuple(atom("incr"), 5)));
  EXPECT_FALSE(match(msg, tuple(atom("incr"), 5.0)));  // patterns use =:=
  EXPECT_FALSE(match(msg, tuple(atom("decr"), 5)));
}

TEST(match, any_checks_the_type) {
  term msg = tuple(atom("incr"), 5);
  EXPECT_TRUE(match(msg, tuple(atom("incr"), any<std::int64_t>())));
  EXPECT_FALSE(match(msg, tuple(atom("incr"), any<double>())));
  EXPECT_FALSE(match(msg, tuple(atom("incr"), any<std::uint8_t>(), any())));
  EXPECT_TRUE(match(msg, any()));
}

TEST(match, bind_captures_on_success_only) {
  std::int64_t n = 0;
  atom tag;
  EXPECT_TRUE(match(tuple(atom("add"), 7), tuple(bind(tag), bind(n))));
  EXPECT_EQ(n, 7);
  EXPECT_EQ(tag, atom("add"));
  n = 0;
  EXPECT_FALSE(match(tuple(atom("add"), 7, 8), tuple(bind(tag), bind(n))));
  EXPECT_FALSE(match(tuple(9, atom("x")), tuple(bind(n), bind(n))));
  EXPECT_EQ(n, 0);  // nothing written when the match fails
}

TEST(match, range_checked_integer_capture) {
  std::uint8_t small = 0;
  EXPECT_FALSE(match(term(300), bind(small)));
  EXPECT_TRUE(match(term(200), bind(small)));
  EXPECT_EQ(small, 200);
}

TEST(match, strings_pids_and_nested_lists) {
  std::string text;
  pid from;
  term msg = tuple(atom("say"), pid{atom("a@b"), 1, 0, 1}, list(binary("hi"), string("yo")));
  EXPECT_TRUE(match(msg, tuple(atom("say"), bind(from), list(bind(text), any<std::string>()))));
  EXPECT_EQ(text, "hi");
  EXPECT_EQ(from.id, 1u);
}

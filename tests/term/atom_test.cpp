#include <gtest/gtest.h>

#include <bitactor/term/atom.hpp>
#include <bitactor/term/errors.hpp>
#include <string>
#include <thread>
#include <vector>

using bitactor::term::atom;
using bitactor::term::term_error;

TEST(atom, same_name_interns_to_same_index) {
  EXPECT_EQ(atom("ok"), atom("ok"));
  EXPECT_EQ(atom("ok").index(), atom(std::string("o") + "k").index());
  EXPECT_NE(atom("ok"), atom("error"));
  EXPECT_EQ(atom("ok").name(), "ok");
}

TEST(atom, default_atom_is_the_empty_atom) {
  EXPECT_EQ(atom(), atom(""));
  EXPECT_EQ(atom().name(), "");
}

TEST(atom, utf8_names_up_to_255_code_points_are_accepted) {
  std::string name;
  for (int i = 0; i < 255; ++i) name += "Ω";  // 2 bytes each: 510 bytes, 255 characters
  EXPECT_EQ(atom(name).name(), name);
  EXPECT_THROW(atom(name + "x"), term_error);
}

TEST(atom, invalid_utf8_is_rejected) {
  EXPECT_THROW(atom("\xff"), term_error);
  EXPECT_THROW(atom("\xc3"), term_error);          // truncated sequence
  EXPECT_THROW(atom("\xc0\x80"), term_error);      // overlong NUL
  EXPECT_THROW(atom("\xed\xa0\x80"), term_error);  // surrogate
}

TEST(atom, latin1_names_are_detected) {
  EXPECT_TRUE(atom("abc").is_latin1());
  EXPECT_TRUE(atom("åäö").is_latin1());
  EXPECT_FALSE(atom("Ω").is_latin1());
}

TEST(atom, from_latin1_converts_to_utf8) {
  EXPECT_EQ(atom::from_latin1("\xe5\xe4\xf6"), atom("åäö"));
}

TEST(atom, existing_does_not_create) {
  EXPECT_FALSE(atom::existing("surely_not_interned_yet_4711").has_value());
  atom a("now_interned_4711");
  EXPECT_EQ(atom::existing("now_interned_4711"), a);
}

TEST(atom, order_is_by_name_code_point_order) {
  EXPECT_LT(atom("a"), atom("b"));
  EXPECT_LT(atom("a"), atom("aa"));
  EXPECT_LT(atom("Z"), atom("a"));
  EXPECT_LT(atom("z"), atom("é"));
  EXPECT_LT(atom("é"), atom("Ω"));
}

TEST(atom, concurrent_interning_agrees_on_indexes) {
  constexpr int kThreads = 4;
  constexpr int kAtoms = 2000;
  std::vector<std::vector<std::uint32_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &seen] {
      for (int i = 0; i < kAtoms; ++i) seen[t].push_back(atom("conc_" + std::to_string(i)).index());
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(seen[t], seen[0]);
  EXPECT_EQ(atom::from_index(seen[0][5]).name(), "conc_5");
}

#include <gtest/gtest.h>

#include <bitactor/core/pid.hpp>
#include <bitactor/term/term.hpp>
#include <sstream>
#include <unordered_set>

#include "test_support.hpp"

using namespace bitactor;

TEST(pid, prints_like_erlang) {
  pid p{0, 123, 0, 0};
  EXPECT_EQ(p.to_string(), "<0.123.0>");
  std::ostringstream os;
  os << pid{0, 7, 2, 0};
  EXPECT_EQ(os.str(), "<0.7.2>");
}

TEST(pid, default_pid_is_no_process) {
  EXPECT_FALSE(pid{});
  EXPECT_TRUE((pid{0, 1, 0, 0}));
}

TEST(pid, compares_and_hashes_by_every_field) {
  pid a{0, 1, 0, 0}, b{0, 1, 1, 0}, c{1, 1, 0, 0}, d{0, 1, 0, 5};
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, d);
  EXPECT_LT(a, b);
  std::unordered_set<pid> set{a, b, c, d, a};
  EXPECT_EQ(set.size(), 4u);
}

TEST(pid, carries_node_name_and_creation_for_distribution) {
  node_config cfg = test::deterministic();
  cfg.name = "alpha@host";
  cfg.creation = 7;
  node n(cfg);
  pid p = n.spawn([](actor&, message&) {});
  EXPECT_EQ(p.node_name(), "alpha@host");
  EXPECT_EQ(p.creation, 7u);
  EXPECT_NE(p.node, 0u);
}

TEST(pid, non_distributed_node_prints_local_pids_with_zero) {
  node n(test::deterministic());
  pid p = n.spawn([](actor&, message&) {});
  EXPECT_EQ(p.node_name(), "nonode@nohost");
  EXPECT_EQ(p.to_string().substr(0, 3), "<0.");
}

TEST(ref, refs_are_unique_and_printable) {
  node n(test::deterministic());
  ref a = n.make_ref(), b = n.make_ref();
  EXPECT_NE(a, b);
  EXPECT_TRUE(a);
  EXPECT_FALSE(ref{});
  EXPECT_EQ(a.to_string().substr(0, 5), "#Ref<");
}

TEST(pid, node_names_are_atoms_of_the_term_layer) {
  std::uint32_t idx = node_names::intern("beam@host");
  EXPECT_EQ(node_names::atom(idx), term::atom("beam@host"));
  EXPECT_EQ(node_names::intern(term::atom("beam@host")), idx);
  EXPECT_EQ(node_names::name(0), "nonode@nohost");
  EXPECT_EQ(node_names::atom(0xFFFFFFu), term::atom());
}

TEST(pid, converts_to_a_term_pid_and_back_losslessly) {
  pid p{node_names::intern("a@h"), 77, 3, 0xDEADBEEF};
  term::pid t = to_term_pid(p);
  EXPECT_EQ(t.node, term::atom("a@h"));
  EXPECT_EQ(t.id, 77u);
  EXPECT_EQ(t.serial, 3u);
  EXPECT_EQ(t.creation, 0xDEADBEEFu);
  EXPECT_EQ(from_term_pid(t), p);
}

TEST(ref, converts_to_a_term_reference_and_back_losslessly_up_to_five_words) {
  ref three{node_names::intern("a@h"), 9, {1, 2, 3, 0, 0}, 3};
  EXPECT_EQ(from_term_ref(to_term_ref(three)), three);
  // A BEAM process reference (an alias) has five words.
  term::reference alias;
  alias.node = term::atom("beam@h");
  alias.creation = 5;
  alias.size = 5;
  alias.words = {10, 20, 30, 40, 50};
  ref r = from_term_ref(alias);
  EXPECT_EQ(r.size, 5);
  EXPECT_EQ(r.to_string(), "#Ref<" + std::to_string(r.node) + ".50.40.30.20.10>");
  term::reference back = to_term_ref(r);
  EXPECT_EQ(back, alias);
}

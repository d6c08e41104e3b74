// Core pids, refs and exit reasons as the terms they are on the wire.
#include <gtest/gtest.h>

#include <bitactor/dist/term_mapping.hpp>
#include <bitactor/term/print.hpp>

using namespace bitactor;
using namespace bitactor::dist;
namespace t = bitactor::term;

TEST(term_mapping, pid_round_trips_with_node_name_and_creation) {
  pid p{node_names::intern("a@localhost"), 5, 2, 77};
  t::pid tp = to_term(p);
  EXPECT_EQ(tp.node.name(), "a@localhost");
  EXPECT_EQ(tp.id, 5u);
  EXPECT_EQ(tp.serial, 2u);
  EXPECT_EQ(tp.creation, 77u);
  EXPECT_EQ(from_term(tp), p);
}

TEST(term_mapping, ref_round_trips_up_to_five_words) {
  ref r{node_names::intern("a@localhost"), 9, {1, 2, 3, 0, 0}, 3};
  t::reference tr = to_term(r);
  EXPECT_EQ(tr.size, 3);
  EXPECT_EQ(from_term(tr), r);
  ref alias{node_names::intern("b@localhost"), 9, {1, 2, 3, 4, 5}, 5};
  EXPECT_EQ(from_term(to_term(alias)), alias);
}

TEST(term_mapping, well_known_reasons_are_their_atoms) {
  EXPECT_TRUE(to_term(exit_reason::normal()).is_atom("normal"));
  EXPECT_TRUE(to_term(exit_reason::killed()).is_atom("killed"));
  EXPECT_TRUE(to_term(exit_reason::noconnection()).is_atom("noconnection"));
  EXPECT_EQ(exit_reason_from_term(t::atom("noproc")), exit_reason::noproc());
  EXPECT_EQ(exit_reason_from_term(t::atom("kill")), exit_reason::kill());
  EXPECT_EQ(exit_reason_from_term(t::tuple(t::atom("shutdown"), t::atom("x"))).code(),
            exit_reason::kind::shutdown);
}

TEST(term_mapping, other_reasons_travel_as_terms_and_text_as_binaries) {
  EXPECT_TRUE(to_term(exit_reason::error("boom")).is_atom("boom"));
  EXPECT_EQ(to_term(exit_reason::error("{bad,1}")), t::tuple(t::atom("bad"), 1));
  EXPECT_EQ(to_term(exit_reason::error("not one term")), t::binary("not one term"));
  EXPECT_EQ(exit_reason_from_term(t::tuple(t::atom("bad"), 1)), exit_reason::error("{bad,1}"));
  auto ex = to_term(exit_reason::exception("std::runtime_error", "x"));
  EXPECT_EQ(ex, t::tuple(t::atom("exception"), t::binary("std::runtime_error"), t::binary("x")));
}

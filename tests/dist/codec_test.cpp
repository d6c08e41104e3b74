// The registry of C++ types sent and received as terms: by type going out, by tag coming in.
#include <gtest/gtest.h>

#include <bitactor/dist/internal/codec_registry.hpp>
#include <bitactor/term/print.hpp>
#include <stdexcept>

#include "codec_support.hpp"

using namespace bitactor;
using bitactor::dist::detail::codec_registry;
using bitactor::dist::testing::order;
namespace t = bitactor::term;

namespace {

static_assert(t::has_codec<order>);
static_assert(!t::has_codec<std::string>);

void add_order(codec_registry& r) {
  r.add(
      type_id_of<order>(), "order",
      [](const message& m) {
        return t::codec<order>::encode(static_cast<const message_of<order>&>(m).value);
      },
      [](const t::term& x) -> message* {
        auto v = t::codec<order>::decode(x);
        return v ? make_message<order>(*v) : nullptr;
      });
}

}  // namespace

TEST(codec_registry, a_registered_type_goes_out_as_its_term_and_comes_back) {
  codec_registry r;
  add_order(r);
  message_ptr m(make_message<order>(order{"ACME", 10}));
  auto encoded = r.encode(*m);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(*encoded, t::tuple(t::atom("order"), t::binary("ACME"), 10));
  message_ptr back(r.decode(*encoded));
  ASSERT_TRUE(back);
  ASSERT_NE(back->get_if<order>(), nullptr);
  EXPECT_EQ(*back->get_if<order>(), (order{"ACME", 10}));
}

TEST(codec_registry, terms_without_a_taking_codec_stay_terms) {
  codec_registry r;
  EXPECT_EQ(r.decode(t::tuple(t::atom("order"), t::binary("A"), 1)), nullptr);  // none yet
  add_order(r);
  EXPECT_EQ(r.decode(t::tuple(t::atom("order"), 1)), nullptr);  // the tag, not the shape
  EXPECT_EQ(r.decode(t::tuple(t::atom("other"), t::binary("A"), 1)), nullptr);
  EXPECT_EQ(r.decode(t::term(5)), nullptr);
  message_ptr text(make_message<std::string>("no codec"));
  EXPECT_FALSE(r.encode(*text));
}

TEST(codec_registry, a_type_or_tag_has_one_codec) {
  codec_registry r;
  add_order(r);
  EXPECT_THROW(add_order(r), std::invalid_argument);
  EXPECT_THROW(r.add(
                   type_id_of<std::string>(), "order", [](const message&) { return t::term(); },
                   [](const t::term&) -> message* { return nullptr; }),
               std::invalid_argument);
  EXPECT_THROW(r.add(
                   type_id_of<int>(), "", [](const message&) { return t::term(); },
                   [](const t::term&) -> message* { return nullptr; }),
               std::invalid_argument);
}

TEST(codec_registry, a_decoder_that_throws_leaves_the_term_as_it_came) {
  codec_registry r;
  r.add(
      type_id_of<int>(), "boom", [](const message&) { return t::term(); },
      [](const t::term&) -> message* { throw std::runtime_error("bad decoder"); });
  EXPECT_EQ(r.decode(t::atom("boom")), nullptr);
}

TEST(codec_registry, the_tag_of_a_term_is_its_atom_or_first_element) {
  EXPECT_EQ(t::tag_of(t::atom("ready")), "ready");
  EXPECT_EQ(t::tag_of(t::tuple(t::atom("order"), 1)), "order");
  EXPECT_EQ(t::tag_of(t::tuple(1, t::atom("order"))), "");
  EXPECT_EQ(t::tag_of(t::list(t::atom("order"))), "");
  EXPECT_EQ(t::tag_of(t::tuple()), "");
}

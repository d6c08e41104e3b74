// C++ types with a term form (term::codec) against a real erl node: a registered type goes to
// erl as its term, erl's term of that shape arrives as the C++ type (one that does not decode
// arrives as the term), and a gen_server answers erl's call with a C++ value.
#include <gtest/gtest.h>

#include <bitactor/core/inbox.hpp>
#include <bitactor/dist/distributed_node.hpp>
#include <bitactor/dist/term_mapping.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/term/print.hpp>

#include "codec_support.hpp"
#include "dist_test_support.hpp"

using namespace bitactor;
using namespace bitactor::dist;
using namespace bitactor::dist::testing;
namespace t = bitactor::term;

namespace {

t::term atom(const char* a) { return t::atom(a); }

class dist_codec : public erl_peer_suite<dist_codec> {
 public:
  static constexpr const char* peer_name = "codecpeer@localhost";
  static constexpr const char* cookie = "dist_codec_cookie";

 protected:
  std::unique_ptr<distributed_node> start(const std::string& alive) {
    auto dn = std::make_unique<distributed_node>(config_for(alive), two_workers());
    dn->register_codec<order>();
    return dn;
  }
};

// Answers any call with the order it names: `{quote, Symbol}` -> order{Symbol, 100}.
class quoter : public otp::gen_server {
 protected:
  void handle_call(otp::call_context& c) override {
    c.match([](t::term& req) -> order { return order{std::string(req[1].as_binary_view()), 100}; });
  }
};

}  // namespace

TEST_F(dist_codec, erls_terms_of_the_shape_arrive_as_the_cpp_type) {
  auto dn = start("typed_in");
  inbox box(dn->local());
  dn->local().register_name("orders", box.self());
  const t::term dest = t::tuple(atom("orders"), t::atom(dn->name()));
  erl_->call(t::tuple(atom("send"), dest, t::tuple(atom("order"), t::binary("ACME"), 10)));
  auto typed = box.receive<order>(10s);
  ASSERT_TRUE(typed);
  EXPECT_EQ(*typed, (order{"ACME", 10}));
  // The tag but not the shape, and another tag: both arrive as terms.
  erl_->call(t::tuple(atom("send"), dest, t::tuple(atom("order"), atom("nonsense"))));
  erl_->call(t::tuple(atom("send"), dest, t::tuple(atom("quote"), t::binary("ACME"))));
  auto first = box.receive<t::term>(10s);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, t::tuple(atom("order"), atom("nonsense")));
  auto second = box.receive<t::term>(10s);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, t::tuple(atom("quote"), t::binary("ACME")));
}

TEST_F(dist_codec, a_cpp_value_sent_to_erl_arrives_as_its_term) {
  auto dn = start("typed_out");
  ASSERT_TRUE(dn->ping(erl_->name()));
  dn->local().send(from_term(erl_->inbox().as_pid()), order{"XYZ", 7});
  auto m = erl_->receive(10s);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, t::tuple(atom("order"), t::binary("XYZ"), 7));
}

TEST_F(dist_codec, a_gen_server_answers_erl_with_a_cpp_value) {
  auto dn = start("typed_reply");
  ASSERT_TRUE(otp::start<quoter>(dn->local(), {.name = "quoter"}).ok());
  EXPECT_EQ(erl_->call(t::tuple(atom("call"), t::tuple(atom("quoter"), t::atom(dn->name())),
                                t::tuple(atom("quote"), t::binary("ACME")), 5000)),
            t::tuple(atom("reply"), t::tuple(atom("order"), t::binary("ACME"), 100)));
}

TEST_F(dist_codec, the_type_travels_between_bitactor_nodes_as_itself) {
  auto a = start("typed_a");
  auto b = start("typed_b");
  inbox box(b->local());
  ASSERT_TRUE(a->ping(b->name()));
  a->send(box.self(), t::term(0));  // a term first, in order before the order
  a->local().send(box.self(), order{"BOTH", 3});
  auto first = box.receive<t::term>(10s);
  ASSERT_TRUE(first);
  auto typed = box.receive<order>(10s);
  ASSERT_TRUE(typed);
  EXPECT_EQ(*typed, (order{"BOTH", 3}));
}

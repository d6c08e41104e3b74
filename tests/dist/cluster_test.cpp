// A cluster of three BitActor nodes (no erl): each pair connects over TCP through one epmd,
// calls by {Name, Node} reach the right node, and when one node goes away the others see its
// processes' monitors fire and carry on between themselves.
#include <gtest/gtest.h>

#include <bitactor/core/inbox.hpp>
#include <bitactor/core/system_messages.hpp>
#include <bitactor/dist/distributed_node.hpp>
#include <bitactor/dist/internal/net_kernel.hpp>
#include <memory>

#include "dist_test_support.hpp"

using namespace bitactor;
using namespace bitactor::dist;
using namespace bitactor::dist::testing;
namespace t = bitactor::term;
using namespace std::chrono_literals;

namespace {

// Answers gen's `{'$gen_call', From, Req}` with {Node, Req}: the reply says which node served.
void where_server(actor& self, message& m) {
  auto* c = m.get_if<t::term>();
  if (c == nullptr || !c->is_tuple() || c->size() != 3 || !(*c)[0].is_atom("$gen_call")) return;
  gen_reply(self, (*c)[1], t::tuple(t::atom(self.self().node_name()), (*c)[2]));
}

class dist_cluster : public ::testing::Test {
 protected:
  std::unique_ptr<distributed_node> start(const std::string& alive, bool hidden = true) {
    dist_config c;
    c.name = alive + "@localhost";
    c.hidden = hidden;
    c.cookie = "clustercookie";
    c.epmd_port = epmd_.port();
    node_config n;
    n.workers = 1;
    auto dn = std::make_unique<distributed_node>(c, n);
    dn->local().register_name("where", dn->local().spawn(where_server));
    return dn;
  }
  private_epmd epmd_;
};

TEST_F(dist_cluster, three_nodes_call_each_other_and_survive_the_loss_of_one) {
  auto a = start("ca");
  auto b = start("cb");
  auto c = start("cc");
  distributed_node* all[] = {a.get(), b.get(), c.get()};
  // Every node calls every other node's `where` by {Name, Node}: the reply names that node.
  for (auto* from : all) {
    for (auto* to : all) {
      if (from == to) continue;
      EXPECT_EQ(from->call("where", to->name(), t::term(1)),
                t::tuple(t::atom(to->name()), t::term(1)))
          << from->name() << " -> " << to->name();
    }
  }
  EXPECT_EQ(a->nodes(), (std::vector<std::string>{"cb@localhost", "cc@localhost"}));

  // a and b watch c's server; c stops: both monitors fire, and a and b carry on.
  const pid on_c = *c->local().whereis("where");
  inbox watch_a(a->local());
  inbox watch_b(b->local());
  const ref from_a = watch_a.monitor(on_c);
  const ref from_b = watch_b.monitor(on_c);
  // The monitors are set up on c before it goes (a call after them on the same connection).
  EXPECT_TRUE(a->ping(c->name()));
  EXPECT_TRUE(b->ping(c->name()));
  c.reset();
  for (auto [box, mref] : {std::pair{&watch_a, from_a}, std::pair{&watch_b, from_b}}) {
    auto down = box->receive<down_msg>(10s);
    ASSERT_TRUE(down) << "no DOWN for c's server";
    EXPECT_EQ(down->monitor, mref);
    // c's stop ends its processes (shutdown) or its connection goes first (noconnection).
    EXPECT_TRUE(down->reason == exit_reason::shutdown() ||
                down->reason == exit_reason::noconnection())
        << down->reason.to_string();
  }
  EXPECT_TRUE(eventually([&] { return a->nodes() == std::vector<std::string>{"cb@localhost"}; }));
  EXPECT_EQ(a->call("where", b->name(), t::term(2)), t::tuple(t::atom(b->name()), t::term(2)));
  EXPECT_EQ(b->call("where", a->name(), t::term(3)), t::tuple(t::atom(a->name()), t::term(3)));
  try {
    a->call("where", "cc@localhost", t::term(4), 5s);
    FAIL() << "a call reached the stopped node";
  } catch (const remote_call_error& e) {
    EXPECT_EQ(e.reason(), exit_reason::noconnection());
  }
}

// Visible nodes (dist_config::hidden = false) publish themselves: a plain monitor_nodes
// subscription hears of each other's coming and going, as monitor_nodes(true) in OTP.
TEST_F(dist_cluster, visible_nodes_see_each_other_come_and_go) {
  auto a = start("va", /*hidden=*/false);
  auto b = start("vb", /*hidden=*/false);
  auto h = start("vh");  // hidden: a plain subscription does not hear of it
  inbox box(a->local());
  a->monitor_nodes(box.self());
  ASSERT_TRUE(a->ping(h->name()));
  ASSERT_TRUE(a->ping(b->name()));
  auto up = box.receive<t::term>(10s);
  ASSERT_TRUE(up);
  EXPECT_EQ(*up, t::tuple(t::atom("nodeup"), t::atom(b->name())));
  b.reset();
  auto down = box.receive<t::term>(10s);
  ASSERT_TRUE(down);
  EXPECT_EQ(*down, t::tuple(t::atom("nodedown"), t::atom("vb@localhost")));
  EXPECT_TRUE(a->disconnect(h->name()));
  EXPECT_TRUE(eventually([&] { return a->nodes().empty(); }));
  EXPECT_FALSE(box.receive<t::term>(0ms));
}

// rpc between BitActor nodes: each serves a C++ function the others call, and a call to a
// node lost while it runs fails with {erpc, noconnection}.
TEST_F(dist_cluster, nodes_call_each_others_registered_functions) {
  auto a = start("ra");
  auto b = start("rb");
  for (auto* dn : {a.get(), b.get()}) {
    dn->register_rpc("where", "am_i", 1, [dn](std::span<const t::term> args) {
      return t::tuple(t::atom(dn->name()), args[0]);
    });
  }
  EXPECT_EQ(a->rpc(b->name(), "where", "am_i", {t::term(1)}),
            t::tuple(t::atom(b->name()), t::term(1)));
  EXPECT_EQ(b->rpc(a->name(), "where", "am_i", {t::term(2)}),
            t::tuple(t::atom(a->name()), t::term(2)));
  try {
    a->rpc(b->name(), "where", "nowhere", {});
    FAIL() << "an unregistered function answered";
  } catch (const rpc_error& e) {
    EXPECT_EQ(e.cls(), exception_class::error);
    EXPECT_TRUE(e.reason()[1].is_atom("undef")) << e.what();
  }
  // b's function drops b's connection to a mid-call.
  b->register_rpc("link", "drop", 0,
                  [&](std::span<const t::term>) {
                    b->disconnect(a->name());
                    return t::term(t::atom("unreachable"));
                  },
                  {.blocking = true});  // disconnect waits for the connection's thread
  try {
    a->rpc(b->name(), "link", "drop", {}, 30s);
    FAIL() << "the call outlived its connection";
  } catch (const rpc_error& e) {
    EXPECT_EQ(e.erpc_failure(), "noconnection") << e.what();
  }
}

}  // namespace

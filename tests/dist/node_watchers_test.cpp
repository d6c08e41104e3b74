// monitor_nodes bookkeeping (net_kernel:monitor_nodes/2): which subscriptions hear of which
// connection, and the message forms each set of options gives.
#include <gtest/gtest.h>

#include <bitactor/dist/internal/node_watchers.hpp>
#include <bitactor/term/print.hpp>

using namespace bitactor;
using namespace bitactor::dist;
using bitactor::dist::detail::node_watchers;
namespace t = bitactor::term;

namespace {

pid process(std::uint32_t id) { return pid{0, id, 0, 0}; }

t::term atom(const char* a) { return t::atom(a); }

}  // namespace

TEST(node_watchers, plain_subscriptions_hear_of_visible_nodes_only_as_two_tuples) {
  node_watchers w;
  w.add(process(1), {});
  auto up = w.up("a@h", true);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].first, process(1));
  EXPECT_EQ(up[0].second, t::tuple(atom("nodeup"), atom("a@h")));
  EXPECT_TRUE(w.up("hidden@h", false).empty());
  auto down = w.down("a@h", "connection_closed");
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].second, t::tuple(atom("nodedown"), atom("a@h")));
  EXPECT_TRUE(w.down("hidden@h", "connection_closed").empty());
}

TEST(node_watchers, options_give_the_info_list) {
  node_watchers w;
  w.add(process(1), {.type = node_type::all, .nodedown_reason = true});
  w.add(process(2), {.type = node_type::hidden});
  w.add(process(3), {.nodedown_reason = true});
  auto up = w.up("erl@h", false);
  ASSERT_EQ(up.size(), 2u);  // 3 hears of visible nodes only
  EXPECT_EQ(up[0].second, t::tuple(atom("nodeup"), atom("erl@h"),
                                   t::list(t::tuple(atom("node_type"), atom("hidden")))));
  EXPECT_EQ(up[1].first, process(2));
  auto down = w.down("erl@h", "net_tick_timeout");
  ASSERT_EQ(down.size(), 2u);
  EXPECT_EQ(down[0].second,
            t::tuple(atom("nodedown"), atom("erl@h"),
                     t::list(t::tuple(atom("node_type"), atom("hidden")),
                             t::tuple(atom("nodedown_reason"), atom("net_tick_timeout")))));
  EXPECT_EQ(down[1].second, t::tuple(atom("nodedown"), atom("erl@h"),
                                     t::list(t::tuple(atom("node_type"), atom("hidden")))));
  w.up("v@h", true);
  auto visible_down = w.down("v@h", "disconnect");
  ASSERT_EQ(visible_down.size(), 2u);  // 1 (all) and 3 (visible)
  EXPECT_EQ(visible_down[1].second,
            t::tuple(atom("nodedown"), atom("v@h"),
                     t::list(t::tuple(atom("nodedown_reason"), atom("disconnect")))));
}

TEST(node_watchers, each_subscription_counts_and_is_removed_alone) {
  node_watchers w;
  w.add(process(1), {});
  w.add(process(1), {});
  w.add(process(1), {.type = node_type::all});
  EXPECT_EQ(w.up("a@h", true).size(), 3u);
  EXPECT_TRUE(w.remove(process(1), {}));
  EXPECT_EQ(w.down("a@h", "disconnect").size(), 2u);
  EXPECT_TRUE(w.remove(process(1), {}));
  EXPECT_FALSE(w.remove(process(1), {}));
  w.forget(process(1));
  EXPECT_TRUE(w.up("a@h", true).empty());
}

TEST(node_watchers, a_node_never_up_has_no_nodedown) {
  node_watchers w;
  w.add(process(1), {.type = node_type::all});
  EXPECT_TRUE(w.down("never@h", "connection_closed").empty());
  w.up("a@h", true);
  EXPECT_EQ(w.down("a@h", "connection_closed").size(), 1u);
  EXPECT_TRUE(w.down("a@h", "connection_closed").empty());  // told once
}

TEST(node_watchers, close_texts_map_to_net_kernels_reasons) {
  EXPECT_EQ(node_watchers::reason_of("disconnected"), "disconnect");
  EXPECT_EQ(node_watchers::reason_of("net_ticktime: nothing read for 60000 ms"),
            "net_tick_timeout");
  EXPECT_EQ(node_watchers::reason_of("node shutting down"), "net_kernel_terminated");
  EXPECT_EQ(node_watchers::reason_of("read failed: End of file"), "connection_closed");
}

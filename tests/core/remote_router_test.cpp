// The remote_router seam: messages and signals for pids of other nodes reach the router.
#include <gtest/gtest.h>

#include <bitactor/core/internal/remote_router.hpp>
#include <bitactor/core/internal/runtime.hpp>
#include <bitactor/core/internal/signal.hpp>
#include <mutex>
#include <vector>

#include "test_support.hpp"

using namespace bitactor;
using namespace bitactor::test;

namespace {

struct routed {
  pid to;
  message_ptr m;
};

class recording_router final : public remote_router {
 public:
  void route(const pid& to, message* m) noexcept override {
    std::lock_guard guard(lock_);
    seen_.push_back(routed{to, message_ptr(m)});
  }
  std::vector<routed> take() {
    std::lock_guard guard(lock_);
    return std::move(seen_);
  }

 private:
  std::mutex lock_;
  std::vector<routed> seen_;
};

node_config named_node() {
  node_config c = deterministic();
  c.name = "here@localhost";
  c.creation = 7;
  return c;
}

pid remote_pid() { return pid{node_names::intern("there@localhost"), 42, 0, 3}; }

}  // namespace

TEST(remote_router, send_to_a_pid_of_another_node_goes_to_the_router) {
  node n(named_node());
  recording_router router;
  detail::runtime_of(n).set_remote_router(&router);
  pid p = n.spawn([](actor& self, message& m) {
    if (m.is<int>()) self.send(remote_pid(), std::string("hello"));
  });
  n.send(p, 1);
  n.run_until_idle();
  auto seen = router.take();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].to, remote_pid());
  ASSERT_NE(seen[0].m->get_if<std::string>(), nullptr);
  EXPECT_EQ(*seen[0].m->get_if<std::string>(), "hello");
  detail::runtime_of(n).set_remote_router(nullptr);
}

TEST(remote_router, link_and_exit_of_a_linked_process_reach_the_router_as_signals) {
  node n(named_node());
  recording_router router;
  detail::runtime_of(n).set_remote_router(&router);
  pid p = n.spawn([](actor& self, message& m) {
    if (m.is<int>()) {
      self.link(remote_pid());
      self.exit(exit_reason::error("boom"));
    }
  });
  n.send(p, 1);
  n.run_until_idle();
  auto seen = router.take();
  ASSERT_EQ(seen.size(), 2u);
  ASSERT_TRUE(seen[0].m->is<detail::signal>());
  auto* link = static_cast<detail::signal*>(seen[0].m.get());
  EXPECT_EQ(link->kind, detail::signal_kind::link);
  EXPECT_EQ(link->from, p);
  ASSERT_TRUE(seen[1].m->is<detail::signal>());
  auto* ex = static_cast<detail::signal*>(seen[1].m.get());
  EXPECT_EQ(ex->kind, detail::signal_kind::exit);
  EXPECT_TRUE(ex->via_link);
  EXPECT_EQ(ex->reason, exit_reason::error("boom"));
  detail::runtime_of(n).set_remote_router(nullptr);
}

TEST(remote_router, without_a_router_sends_to_other_nodes_are_dropped) {
  node n(named_node());
  inbox box(n);
  n.send(remote_pid(), 5);  // no crash, nothing delivered anywhere
  n.send(box.self(), 6);
  EXPECT_EQ(box.receive<int>(), 6);
}

// Links and exit signals, as erlang:link/1, unlink/1, exit/2 and the erts reference manual's
// "Processes" chapter define them.
#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace bitactor;
using namespace bitactor::test;

namespace {

struct fixture {
  explicit fixture(node_config c) : n(std::move(c)) {}
  node n;
  inbox box{n};

  pid puppet_process(bool trap = false) { return n.spawn<puppet>(box.self(), trap); }
  pid watched(bool trap = false) {
    pid p = puppet_process(trap);
    box.monitor(p);
    return p;
  }
  std::optional<down_msg> down() { return box.receive<down_msg>(1s); }
  // a links itself to b; returns once both have handled the link.
  bool link(const pid& a, const pid& b) {
    on(n, a, [b](actor& self) { self.link(b); });
    return sync_through(n, box, a, b);
  }
};

// The cases without a seed loop run under both scheduler policies.
class link : public policy_test {};
class exit_signal : public policy_test {};
class crash : public policy_test {};
class link_monitor : public policy_test {};
INSTANTIATE_TEST_SUITE_P(policies, link, both_policies, policy_name);
INSTANTIATE_TEST_SUITE_P(policies, exit_signal, both_policies, policy_name);
INSTANTIATE_TEST_SUITE_P(policies, crash, both_policies, policy_name);
INSTANTIATE_TEST_SUITE_P(policies, link_monitor, both_policies, policy_name);

}  // namespace

TEST_P(link, abnormal_exit_kills_linked_process_with_the_same_reason) {
  fixture f(config());
  pid a = f.watched(), b = f.watched();
  ASSERT_TRUE(f.link(a, b));
  on(f.n, b, [](actor& self) { self.exit(exit_reason::error("boom")); });
  auto d1 = f.down(), d2 = f.down();
  ASSERT_TRUE(d1 && d2);
  EXPECT_EQ(d1->reason.to_string(), "boom");
  EXPECT_EQ(d2->reason.to_string(), "boom");
}

TEST_P(link, normal_exit_does_not_kill_linked_process_that_does_not_trap) {
  fixture f(config());
  pid a = f.watched(), b = f.watched();
  ASSERT_TRUE(f.link(a, b));
  on(f.n, b, [](actor& self) { self.exit(exit_reason::normal()); });
  auto d = f.down();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->process, b);
  // b's exit signal reaches a about when its DOWN reaches us: a removes the link, lives on.
  EXPECT_TRUE(holds_within(1s, [&] { return f.n.info(a)->links.empty(); }));
  EXPECT_TRUE(f.n.is_alive(a));
}

TEST_P(link, trapping_process_receives_exit_message_even_for_normal) {
  fixture f(config());
  pid a = f.watched(true), b = f.watched();
  ASSERT_TRUE(f.link(a, b));
  on(f.n, b, [](actor& self) { self.exit(exit_reason::normal()); });
  auto s = f.box.receive<seen>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->by, a);
  EXPECT_EQ(s->what, "EXIT normal");
  EXPECT_TRUE(f.n.is_alive(a));
}

TEST_P(link, kill_is_untrappable_and_propagates_as_killed) {
  fixture f(config());
  pid a = f.watched(true), b = f.watched(true);
  ASSERT_TRUE(f.link(a, b));
  f.n.exit(a, exit_reason::kill());
  auto d = f.down();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->process, a);
  EXPECT_EQ(d->reason.code(), exit_reason::kind::killed);
  auto s = f.box.receive<seen>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->by, b);
  EXPECT_EQ(s->what, "EXIT killed");  // b traps: killed arrives as a message
  EXPECT_TRUE(f.n.is_alive(b));
}

TEST_P(link, killed_propagates_and_kills_non_trapping_linked_process) {
  fixture f(config());
  pid a = f.watched(), b = f.watched();
  ASSERT_TRUE(f.link(a, b));
  f.n.exit(a, exit_reason::kill());
  auto d1 = f.down(), d2 = f.down();
  ASSERT_TRUE(d1 && d2);
  EXPECT_EQ(d1->reason.code(), exit_reason::kind::killed);
  EXPECT_EQ(d2->reason.code(), exit_reason::kind::killed);
}

TEST_P(link, exit_reason_kill_through_a_link_is_trappable) {
  fixture f(config());
  pid a = f.watched(true), b = f.watched();
  ASSERT_TRUE(f.link(a, b));
  on(f.n, b, [](actor& self) { self.exit(exit_reason::kill()); });
  auto s = f.box.receive<seen>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->what, "EXIT kill");
  EXPECT_TRUE(f.n.is_alive(a));
}

TEST_P(link, link_to_dead_pid_delivers_noproc) {
  fixture f(config());
  pid dead = f.watched();
  on(f.n, dead, [](actor& self) { self.exit(exit_reason::normal()); });
  ASSERT_TRUE(f.down());
  pid trapper = f.watched(true);
  on(f.n, trapper, [dead](actor& self) { self.link(dead); });
  auto s = f.box.receive<seen>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->what, "EXIT noproc");
  pid plain = f.watched();
  on(f.n, plain, [dead](actor& self) { self.link(dead); });
  auto d = f.down();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->process, plain);
  EXPECT_EQ(d->reason.code(), exit_reason::kind::noproc);
}

namespace {
struct crashes_at_start : actor {
  void on_start() override { throw std::runtime_error("early"); }
  void handle(message&) override {}
};
}  // namespace

TEST_P(link, spawn_link_links_before_the_child_runs) {
  fixture f(config());
  pid parent = f.watched();
  on(f.n, parent, [](actor& self) { self.spawn_link<crashes_at_start>(); });
  auto d = f.down();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->process, parent);
  EXPECT_NE(d->reason.to_string().find("early"), std::string::npos);
}

TEST_P(link_monitor, spawn_monitor_monitors_before_the_child_runs) {
  fixture f(config());
  pid parent = f.watched();
  on(f.n, parent, [](actor& self) { self.spawn_monitor<crashes_at_start>(); });
  auto s = f.box.receive<seen>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->by, parent);
  EXPECT_NE(s->what.find(R"(DOWN {exception,<<"std::runtime_error">>,<<"early">>})"),
            std::string::npos);
}

TEST_P(link, unlink_removes_both_halves) {
  fixture f(config());
  pid a = f.watched(), b = f.watched();
  ASSERT_TRUE(f.link(a, b));
  EXPECT_EQ(f.n.info(b)->links, std::vector<pid>{a});
  on(f.n, a, [b](actor& self) { self.unlink(b); });
  ASSERT_TRUE(sync_through(f.n, f.box, a, b));
  EXPECT_TRUE(f.n.info(a)->links.empty());
  EXPECT_TRUE(f.n.info(b)->links.empty());
  on(f.n, b, [](actor& self) { self.exit(exit_reason::error("late")); });
  auto d = f.down();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->process, b);
  ASSERT_TRUE(sync_with(f.n, f.box, a));
  EXPECT_TRUE(f.n.is_alive(a));
}

// OTP 23+: an exit signal already in flight when unlink is called must not kill the caller,
// and no half of the link may survive. Here the peer's exit signal is sent after our unlink
// started (we kill it just before unlinking); every seed gives another interleaving.
TEST(link_interleavings, unlink_racing_with_peer_exit_leaves_no_stale_link) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    node n(deterministic(seed));
    inbox box(n);
    pid a = n.spawn<puppet>(box.self(), false);
    pid b = n.spawn<puppet>(box.self(), false);
    pid c = n.spawn<puppet>(box.self(), false);
    on(n, a, [b](actor& self) { self.link(b); });
    on(n, c, [a](actor& self) { self.link(a); });
    n.run_until_idle();
    on(n, a, [b](actor& self) {
      self.exit(b, exit_reason::error("crash"));
      self.unlink(b);
    });
    on(n, c, [a](actor& self) { self.unlink(a); });  // a second unlink, racing nothing
    n.run_until_idle();
    ASSERT_TRUE(n.is_alive(a)) << "seed " << seed;
    ASSERT_FALSE(n.is_alive(b)) << "seed " << seed;
    ASSERT_TRUE(n.info(a)->links.empty()) << "seed " << seed;
    ASSERT_TRUE(n.info(c)->links.empty()) << "seed " << seed;
  }
}

TEST(link_interleavings, relink_during_unlink_keeps_the_link) {
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    node n(deterministic(seed));
    inbox box(n);
    pid a = n.spawn<puppet>(box.self(), false);
    pid b = n.spawn<puppet>(box.self(), false);
    on(n, a, [b](actor& self) { self.link(b); });
    n.run_until_idle();
    on(n, a, [b](actor& self) {
      self.unlink(b);
      self.link(b);
    });
    n.run_until_idle();
    ASSERT_EQ(n.info(a)->links, std::vector<pid>{b}) << "seed " << seed;
    ASSERT_EQ(n.info(b)->links, std::vector<pid>{a}) << "seed " << seed;
  }
}

TEST_P(exit_signal, exit_with_normal_to_another_process_is_ignored) {
  fixture f(config());
  pid a = f.watched();
  f.n.exit(a, exit_reason::normal());
  ASSERT_TRUE(sync_with(f.n, f.box, a));
  EXPECT_TRUE(f.n.is_alive(a));
}

TEST_P(exit_signal, exit_self_normal_ends_the_caller) {
  fixture f(config());
  pid a = f.watched();
  on(f.n, a, [](actor& self) { self.exit(self.self(), exit_reason::normal()); });
  auto d = f.down();
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->reason.is_normal());
}

TEST_P(exit_signal, trapping_process_gets_exit_message_from_exit_2) {
  fixture f(config());
  pid a = f.watched(true);
  f.n.exit(a, exit_reason::shutdown());
  auto s = f.box.receive<seen>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->what, "EXIT shutdown");
}

TEST_P(exit_signal, abnormal_exit_2_kills_non_trapping_process_with_that_reason) {
  fixture f(config());
  pid a = f.watched();
  f.n.exit(a, exit_reason::shutdown("maintenance"));
  auto d = f.down();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason.to_string(), "{shutdown,maintenance}");
}

// A normal exit racing an exit signal: whichever comes first decides the reason, and the
// watcher sees exactly one DOWN. Every seed is another interleaving.
TEST(exit_signal_interleavings, racing_with_normal_exit_yields_exactly_one_down) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    node n(deterministic(seed));
    inbox box(n);
    pid a = n.spawn<puppet>(box.self(), false);
    box.monitor(a);
    on(n, a, [](actor& self) { self.exit(exit_reason::normal()); });
    n.exit(a, exit_reason::error("racer"));
    auto d = box.receive<down_msg>(1s);
    ASSERT_TRUE(d) << "seed " << seed;
    EXPECT_TRUE(d->reason.is_normal() || d->reason.to_string() == "racer") << "seed " << seed;
    EXPECT_FALSE(box.receive<down_msg>(10ms)) << "seed " << seed;
  }
}

TEST_P(crash, exception_ends_the_process_with_a_reason_naming_it_and_nothing_else) {
  fixture f(config());
  pid bystander = f.watched();
  pid p = f.n.spawn([](actor&, message&) { throw std::out_of_range("index 7 past the end"); });
  f.box.monitor(p);
  f.n.send(p, 1);
  auto d = f.down();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason.code(), exit_reason::kind::exception);
  EXPECT_NE(d->reason.to_string().find("std::out_of_range"), std::string::npos);
  EXPECT_NE(d->reason.to_string().find("index 7 past the end"), std::string::npos);
  EXPECT_TRUE(f.n.is_alive(bystander));
  EXPECT_TRUE(holds_within(1s, [&] { return f.n.counters().crashed == 1; }));
}

TEST_P(crash, exception_in_on_start_crashes_the_process) {
  fixture f(config());
  pid parent = f.watched(true);
  on(f.n, parent, [](actor& self) { self.spawn_link<crashes_at_start>(); });
  auto s = f.box.receive<seen>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->what, R"(EXIT {exception,<<"std::runtime_error">>,<<"early">>})");
}

// Monitors, as erlang:monitor/2 and erlang:demonitor/2 define them.
#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace bitactor;
using namespace bitactor::test;

class monitor : public policy_test {};
INSTANTIATE_TEST_SUITE_P(policies, monitor, both_policies, policy_name);

TEST_P(monitor, down_carries_ref_pid_and_reason) {
  node n(config());
  inbox box(n);
  pid p = n.spawn<puppet>(box.self(), false);
  ref r = box.monitor(p);
  on(n, p, [](actor& self) { self.exit(exit_reason::error("gone")); });
  auto d = box.receive<down_msg>();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, r);
  EXPECT_EQ(d->process, p);
  EXPECT_EQ(d->reason.to_string(), "gone");
}

TEST_P(monitor, monitor_of_dead_pid_yields_noproc) {
  node n(config());
  inbox box(n);
  pid p = n.spawn<puppet>(box.self(), false);
  box.monitor(p);
  n.exit(p, exit_reason::kill());
  ASSERT_TRUE(box.receive<down_msg>());
  ref r = box.monitor(p);
  auto d = box.receive<down_msg>();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, r);
  EXPECT_EQ(d->reason.code(), exit_reason::kind::noproc);
}

TEST_P(monitor, monitor_of_never_existing_pid_yields_noproc) {
  node n(config());
  inbox box(n);
  box.monitor(pid{0, 424242, 0, 0});
  auto d = box.receive<down_msg>();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason.code(), exit_reason::kind::noproc);
}

TEST_P(monitor, monitoring_twice_gives_two_independent_downs) {
  node n(config());
  inbox box(n);
  pid p = n.spawn<puppet>(box.self(), false);
  ref r1 = box.monitor(p), r2 = box.monitor(p);
  EXPECT_NE(r1, r2);
  n.exit(p, exit_reason::kill());
  auto d1 = box.receive<down_msg>(), d2 = box.receive<down_msg>();
  ASSERT_TRUE(d1 && d2);
  EXPECT_NE(d1->monitor, d2->monitor);
  EXPECT_FALSE(box.receive<down_msg>(10ms));
}

TEST_P(monitor, a_monitor_does_not_kill_the_watcher) {
  node n(config());
  inbox box(n);
  pid watcher = n.spawn<puppet>(box.self(), false);
  pid target = n.spawn<puppet>(box.self(), false);
  on(n, watcher, [target](actor& self) { self.monitor(target); });
  ASSERT_TRUE(sync_through(n, box, watcher, target));
  n.exit(target, exit_reason::error("x"));
  auto s = box.receive<seen>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->what, "DOWN x");
  EXPECT_TRUE(n.is_alive(watcher));
}

TEST_P(monitor, demonitor_before_exit_means_no_down) {
  node n(config());
  inbox box(n);
  pid watcher = n.spawn<puppet>(box.self(), false);
  pid target = n.spawn<puppet>(box.self(), false);
  on(n, watcher, [target](actor& self) {
    ref r = self.monitor(target);
    EXPECT_TRUE(self.demonitor(r));
    EXPECT_FALSE(self.demonitor(r));
  });
  ASSERT_TRUE(sync_through(n, box, watcher, target));
  EXPECT_TRUE(n.info(target)->monitored_by.empty());
  box.monitor(target);
  n.exit(target, exit_reason::error("x"));
  ASSERT_TRUE(box.receive<down_msg>());
  ASSERT_TRUE(sync_with(n, box, watcher));
  EXPECT_FALSE(box.receive<seen>(10ms));
}

TEST_P(monitor, demonitor_with_flush_removes_a_delivered_down) {
  node n(config());
  inbox box(n);
  auto r = std::make_shared<ref>();
  pid watcher = n.spawn<puppet>(box.self(), false);
  pid target = n.spawn<puppet>(box.self(), false);
  on(n, watcher, [target, r](actor& self) { *r = self.monitor(target); });
  ASSERT_TRUE(sync_through(n, box, watcher, target));
  // The target's last message to the watcher and its DOWN are ordered (same sender), so the
  // DOWN is delivered before the watcher handles the demonitor: flush must remove it.
  on(n, target, [watcher, r, to = box.self()](actor& self) {
    self.send(watcher, run_step{[r, to](actor& w) {
                w.demonitor(*r, true);
                w.send(to, synced{w.self()});
              }});
    self.exit(exit_reason::error("x"));
  });
  ASSERT_TRUE(box.receive<synced>());
  EXPECT_TRUE(holds_within(1s, [&] { return !n.is_alive(target); }));
  EXPECT_FALSE(box.receive<seen>(10ms));
  EXPECT_TRUE(n.info(watcher)->monitors.empty());
}

TEST_P(monitor, a_monitor_ended_by_its_target_and_forgotten_by_its_watcher_sends_no_down) {
  node n(config());
  inbox box(n);
  auto r = std::make_shared<ref>();
  pid watcher = n.spawn<puppet>(box.self(), false);
  pid target = n.spawn<puppet>(box.self(), false);
  on(n, watcher, [target, r](actor& self) { *r = self.monitor(target); });
  ASSERT_TRUE(sync_through(n, box, watcher, target));
  on(n, target, [watcher, r, to = box.self()](actor& self) {
    EXPECT_FALSE(self.end_monitor_by(to, *r)) << "only the watcher that holds it";
    EXPECT_TRUE(self.end_monitor_by(watcher, *r));
    EXPECT_FALSE(self.end_monitor_by(watcher, *r));
  });
  ASSERT_TRUE(sync_with(n, box, target));
  EXPECT_TRUE(n.info(target)->monitored_by.empty());
  on(n, watcher, [r](actor& self) {
    EXPECT_TRUE(self.forget_monitor(*r));
    EXPECT_FALSE(self.forget_monitor(*r));
  });
  ASSERT_TRUE(sync_with(n, box, watcher));
  EXPECT_TRUE(n.info(watcher)->monitors.empty());
  box.monitor(target);
  n.exit(target, exit_reason::error("x"));
  ASSERT_TRUE(box.receive<down_msg>());
  ASSERT_TRUE(sync_with(n, box, watcher));
  EXPECT_FALSE(box.receive<seen>(10ms)) << "no DOWN reached the watcher";
}

TEST_P(monitor, monitored_process_lists_its_watchers) {
  node n(config());
  inbox box(n);
  pid target = n.spawn<puppet>(box.self(), false);
  box.monitor(target);
  ASSERT_TRUE(sync_with(n, box, target));
  auto info = n.info(target);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->monitored_by, std::vector<pid>{box.self()});
  EXPECT_EQ(n.info(box.self())->monitors, std::vector<pid>{target});
}

TEST_P(monitor, spawn_monitor_of_a_function_process_reports_its_exit) {
  node n(config());
  inbox box(n);
  pid parent = n.spawn<puppet>(box.self(), false);
  on(n, parent, [](actor& self) {
    auto [child, r] =
        self.spawn_monitor([](actor& c, message&) { c.exit(exit_reason::error("bye")); });
    self.send(child, 0);
  });
  auto s = box.receive<seen>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->what, "DOWN bye");
}

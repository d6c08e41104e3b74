// actor::stop(): ending a process once its handler returns, with the same effects as exit/1.
#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace bitactor;
using namespace bitactor::test;

TEST(stop, ends_the_process_with_the_reason_after_the_handler_returns) {
  node n(deterministic());
  inbox box(n);
  pid p = n.spawn<puppet>(box.self(), false);
  box.monitor(p);
  on(n, p, [](actor& self) {
    self.stop(exit_reason::error("done"));
    self.send(self.self(), std::string("after stop, still in the handler"));
  });
  auto d = box.receive<down_msg>();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason.to_string(), "done");
  EXPECT_FALSE(n.is_alive(p));
  EXPECT_FALSE(box.receive<seen>(10ms)) << "messages after stop() must not be handled";
}

TEST(stop, messages_queued_behind_the_stopping_one_are_not_handled) {
  node n(deterministic());
  inbox box(n);
  pid p = n.spawn<puppet>(box.self(), false);
  box.monitor(p);
  on(n, p, [](actor& self) { self.stop(exit_reason::normal()); });
  n.send(p, std::string("queued behind"));
  auto d = box.receive<down_msg>();
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->reason.is_normal());
  EXPECT_FALSE(box.receive<seen>(10ms));
}

TEST(stop, a_normal_stop_does_not_kill_linked_processes) {
  node n(deterministic());
  inbox box(n);
  pid a = n.spawn<puppet>(box.self(), false);
  pid b = n.spawn<puppet>(box.self(), true);  // traps: sees the EXIT message
  on(n, a, [b](actor& self) {
    self.link(b);
    self.stop(exit_reason::normal());
  });
  auto s = box.receive<seen>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->what, "EXIT normal");
  EXPECT_TRUE(n.is_alive(b));
}

TEST(stop, an_abnormal_stop_propagates_through_links) {
  node n(deterministic());
  inbox box(n);
  pid a = n.spawn<puppet>(box.self(), false);
  pid b = n.spawn<puppet>(box.self(), false);
  box.monitor(b);
  on(n, a, [b](actor& self) {
    self.link(b);
    self.stop(exit_reason::error("boom"));
  });
  auto d = box.receive<down_msg>();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->process, b);
  EXPECT_EQ(d->reason.to_string(), "boom");
}

TEST(stop, exit_after_stop_wins_and_the_first_stop_wins_over_a_second) {
  node n(deterministic());
  inbox box(n);
  pid a = n.spawn<puppet>(box.self(), false);
  pid b = n.spawn<puppet>(box.self(), false);
  box.monitor(a);
  box.monitor(b);
  on(n, a, [](actor& self) {
    self.stop(exit_reason::error("stopped"));
    self.exit(exit_reason::error("exited"));
  });
  on(n, b, [](actor& self) {
    self.stop(exit_reason::error("first"));
    self.stop(exit_reason::error("second"));
  });
  std::map<pid, std::string> reasons;
  for (int i = 0; i < 2; ++i) {
    auto d = box.receive<down_msg>();
    ASSERT_TRUE(d);
    reasons[d->process] = d->reason.to_string();
  }
  EXPECT_EQ(reasons[a], "exited");
  EXPECT_EQ(reasons[b], "first");
}

namespace {
class stops_at_start : public actor {
 public:
  void on_start() override { stop(exit_reason::error("not today")); }
  void handle(message&) override {
    ADD_FAILURE() << "a process stopped in on_start handled a message";
  }
};
}  // namespace

TEST(stop, stop_in_on_start_ends_the_process_before_any_message) {
  node n(deterministic());
  inbox box(n);
  pid watcher = n.spawn<puppet>(box.self(), false);
  on(n, watcher, [](actor& self) {
    pid p = self.spawn_monitor<stops_at_start>().first;
    self.send(p, std::string("too late"));
  });
  auto s = box.receive<seen>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->what, R"(DOWN <<"not today">>)");  // text that is no Erlang term: a binary
}

TEST(stop, a_reused_slot_does_not_inherit_a_stop_request) {
  node n(node_config::deterministic(3));
  inbox box(n);
  for (int round = 0; round < 50; ++round) {
    pid p = n.spawn<puppet>(box.self(), false);
    on(n, p, [](actor& self) { self.stop(exit_reason::normal()); });
    n.run_until_idle();
    ASSERT_FALSE(n.is_alive(p));
  }
  pid survivor = n.spawn<puppet>(box.self(), false);
  n.send(survivor, std::string("hello"));
  auto s = box.receive<seen>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->what, "hello");
  EXPECT_TRUE(n.is_alive(survivor));
}

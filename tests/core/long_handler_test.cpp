// Handlers that run long: the long-run monitor (erlang:system_monitor's long_schedule) names
// them, and yield_point() lets a kill reach a handler that loops.
#include <gtest/gtest.h>

#include <atomic>
#include <bitactor/core/inbox.hpp>
#include <bitactor/core/node.hpp>
#include <chrono>

#include "test_support.hpp"

namespace bitactor::test {
namespace {

struct busy_for {
  std::chrono::milliseconds how_long;
};
struct quick {};

/// Spins for a while: the work a long handler does (not a wait for another thread).
void spin(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

void busy_worker(actor&, message& m) {
  if (auto* b = m.get_if<busy_for>()) spin(b->how_long);
}

node_config threaded() {
  node_config c;
  c.workers = 2;
  return c;
}

TEST(long_handler, a_handler_past_the_threshold_is_reported_when_it_returns) {
  node n{node_config::deterministic(1)};
  inbox box{n};
  pid worker = n.spawn(busy_worker);
  n.register_name("cruncher", worker);
  n.monitor_long_handlers(box.self(), 5ms);
  n.send(worker, quick{});
  n.send(worker, busy_for{20ms});
  auto event = box.receive<long_handler>(5s);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->process, worker);
  EXPECT_EQ(event->registered_name, "cruncher");
  EXPECT_NE(event->handling.find("busy_for"), std::string::npos) << event->handling;
  EXPECT_GE(event->running_for, 20ms);
  EXPECT_TRUE(event->finished);
  EXPECT_FALSE(box.receive<long_handler>(0ms)) << "the quick handler is not reported";
}

TEST(long_handler, nothing_is_reported_once_the_monitor_is_off) {
  node n{node_config::deterministic(1)};
  inbox box{n};
  pid worker = n.spawn(busy_worker);
  n.monitor_long_handlers(box.self(), 5ms);
  n.monitor_long_handlers(box.self(), 0ms);
  n.send(worker, busy_for{20ms});
  n.run_until_idle();
  EXPECT_FALSE(box.receive<long_handler>(0ms));
}

TEST(long_handler, the_watchdog_names_a_handler_that_is_still_running) {
  node n{threaded()};
  inbox box{n};
  std::atomic<bool> release{false};
  pid stuck = n.spawn([&release](actor&, message&) {
    while (!release.load()) {
    }
  });
  n.monitor_long_handlers(box.self(), 10ms);
  n.send(stuck, quick{});
  auto live = box.receive<long_handler>(5s);
  ASSERT_TRUE(live) << "the watchdog did not report the stuck handler";
  EXPECT_EQ(live->process, stuck);
  EXPECT_FALSE(live->finished);
  EXPECT_GE(live->running_for, 10ms);
  release.store(true);
  auto done = box.receive<long_handler>(5s);
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->finished);
  EXPECT_GE(done->running_for, live->running_for);
}

TEST(yield_point, a_kill_sent_during_a_looping_handler_takes_effect_there) {
  node n{threaded()};
  inbox box{n};
  std::atomic<bool> looping{false};
  pid looper = n.spawn([&looping](actor& self, message&) {
    looping.store(true);
    while (true)
      self.yield_point();  // without it, the kill would wait for a handler that never returns
  });
  ref mon = box.monitor(looper);
  n.send(looper, quick{});
  ASSERT_TRUE(holds_within(5s, [&] { return looping.load(); }));
  n.exit(looper, exit_reason::kill());
  auto down = box.receive<down_msg>(5s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->monitor, mon);
  EXPECT_EQ(down->reason, exit_reason::killed());
  EXPECT_EQ(n.counters().crashed, 0U) << "a kill is not a crash of the process";
}

TEST(yield_point, a_trapped_exit_becomes_a_message_and_the_handler_goes_on) {
  node n{node_config::deterministic(1)};
  inbox box{n};
  pid p = n.spawn<puppet>(box.self(), true);
  n.send(p, run_step{[](actor& self) {
           self.exit(self.self(), exit_reason::shutdown());  // trapped: an 'EXIT' message
           self.yield_point();
           self.send(self.self(), std::string("after the yield point"));
         }});
  auto first = box.receive<seen>(1s);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->what, "EXIT shutdown");
  auto second = box.receive<seen>(1s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->what, "after the yield point");
}

TEST(yield_point, an_untrapped_exit_signal_to_itself_ends_the_handler_there) {
  node n{node_config::deterministic(1)};
  inbox box{n};
  pid p = n.spawn<puppet>(box.self(), false);
  ref mon = box.monitor(p);
  n.send(p, run_step{[](actor& self) {
           self.exit(self.self(), exit_reason::error("stop_here"));
           self.yield_point();
           self.send(self.self(), std::string("not reached"));
         }});
  auto down = box.receive<down_msg>(1s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->monitor, mon);
  EXPECT_EQ(down->reason, exit_reason::error("stop_here"));
  EXPECT_FALSE(box.receive<seen>(0ms));
}

}  // namespace
}  // namespace bitactor::test

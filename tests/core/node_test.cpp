// Node lifecycle and process limits.
#include <gtest/gtest.h>

#include <bitactor/core/internal/runtime.hpp>
#include <fstream>
#include <string>

#include "test_support.hpp"

using namespace bitactor;
using namespace bitactor::test;

namespace {

struct all_gone {};

// Counts live instances; the last one to go tells `notify` (from its destructor, which runs
// as its process exits).
struct tracked : actor {
  explicit tracked(std::atomic<int>& live, pid notify = {}) : live_(live), notify_(notify) {
    ++live_;
  }
  ~tracked() override {
    if (--live_ == 0 && notify_) send(notify_, all_gone{});
  }
  void handle(message&) override {}
  std::atomic<int>& live_;
  pid notify_;
};

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

}  // namespace

TEST(node, stop_ends_every_process_with_shutdown_and_runs_destructors) {
  std::atomic<int> live{0};
  {
    node n(threaded(2));
    for (int i = 0; i < 100; ++i) n.spawn<tracked>(live);
    n.spawn<puppet>(pid{}, true);  // trapping exits does not keep a process alive at stop
    EXPECT_EQ(live.load(), 100);
    n.stop();
    EXPECT_EQ(live.load(), 0);
    EXPECT_EQ(n.counters().processes, 0u);
    EXPECT_THROW(n.spawn<tracked>(live), node_stopped);
  }
  EXPECT_EQ(live.load(), 0);
}

TEST(node, stop_delivers_shutdown_as_the_reason_seen_by_monitors) {
  node n(deterministic());
  auto reasons = std::make_shared<std::vector<std::string>>();
  pid target = n.spawn([](actor&, message&) {});
  // The watcher traps exits and records DOWNs; stop() ends the target first or the watcher
  // first depending on order, so we look at whichever DOWN it saw.
  pid watcher = n.spawn([reasons](actor&, message& m) {
    if (auto* d = m.get_if<down_msg>()) reasons->push_back(d->reason.to_string());
  });
  detail::runtime_of(n).monitor_on_behalf(watcher, target);
  n.run_until_idle();
  n.exit(target, exit_reason::shutdown());
  n.run_until_idle();
  ASSERT_EQ(*reasons, std::vector<std::string>{"shutdown"});
  n.stop();
  EXPECT_FALSE(n.is_alive(target));
  EXPECT_FALSE(n.is_alive(watcher));
}

TEST(node, spawn_beyond_the_process_limit_fails_with_a_clear_error) {
  node_config c = deterministic();
  c.max_processes = 10;
  node n(c);
  for (int i = 0; i < 10; ++i) n.spawn([](actor&, message&) {});
  try {
    n.spawn([](actor&, message&) {});
    FAIL() << "expected system_limit";
  } catch (const system_limit& e) {
    EXPECT_NE(std::string(e.what()).find("max_processes = 10"), std::string::npos);
  }
  // Freeing a slot makes room again.
  n.exit(n.processes().front(), exit_reason::kill());
  n.run_until_idle();
  EXPECT_NO_THROW(n.spawn([](actor&, message&) {}));
}

TEST(node, a_process_hitting_the_limit_crashes_alone) {
  node_config c = deterministic();
  c.max_processes = 3;
  node n(c);
  inbox box(n);
  pid p = n.spawn<puppet>(box.self(), false);
  box.monitor(p);
  on(n, p, [](actor& self) {
    for (int i = 0; i < 5; ++i) self.spawn([](actor&, message&) {});
  });
  auto d = box.receive<down_msg>();
  ASSERT_TRUE(d);
  EXPECT_NE(d->reason.to_string().find("system_limit"), std::string::npos);
  EXPECT_TRUE(n.is_alive(box.self()));
}

// 1M processes spawned and stopped: all slots come back, memory returns to the free lists,
// ASan's leak check (in the asan preset) proves nothing leaks.
TEST(node, a_million_processes_spawned_and_stopped_without_leaks) {
  std::atomic<int> live{0};
  const int count = 1'000'000;
  node n(threaded(2));
  inbox box(n);
  for (int i = 0; i < count; ++i) n.spawn<tracked>(live, box.self());
  EXPECT_EQ(n.counters().processes, static_cast<std::uint64_t>(count) + 1);
  for (const pid& p : n.processes()) {
    if (p != box.self()) n.exit(p, exit_reason::kill());
  }
  ASSERT_TRUE(box.receive<all_gone>(120s));  // sent by the last destructor
  // The last process's exit is counted just after its destructor has run.
  EXPECT_TRUE(holds_within(10s, [&] { return n.counters().processes == 1u; }));
  EXPECT_EQ(n.counters().exited, static_cast<std::uint64_t>(count));
  EXPECT_EQ(live.load(), 0);
  // Slots are reused: spawning again does not grow the table.
  std::size_t rss_before = rss_bytes();
  for (int i = 0; i < 1000; ++i) n.spawn<tracked>(live);
  EXPECT_LT(rss_bytes(), rss_before + (64u << 20));
}

// Introspection: processes(), process_info, node counters.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "test_support.hpp"

using namespace bitactor;
using namespace bitactor::test;

TEST(process_info, reports_links_monitors_name_and_handled_count) {
  node n(deterministic());
  inbox box(n);
  pid a = n.spawn<puppet>(box.self(), true);
  pid b = n.spawn<puppet>(box.self(), false);
  on(n, a, [b](actor& self) {
    self.link(b);
    self.monitor(b);
  });
  n.register_name("alpha", a);
  n.run_until_idle();
  auto info = n.info(a);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->self, a);
  EXPECT_EQ(info->links, std::vector<pid>{b});
  EXPECT_EQ(info->monitors, std::vector<pid>{b});
  EXPECT_EQ(info->registered_name, "alpha");
  EXPECT_EQ(info->messages_handled, 1u);
  EXPECT_TRUE(info->trap_exit);
  EXPECT_EQ(info->status, process_status::waiting);
  EXPECT_EQ(info->message_queue_len, 0u);
  EXPECT_GT(info->memory_bytes, 0u);
  EXPECT_NE(info->actor_type.find("puppet"), std::string::npos);
  EXPECT_EQ(n.info(b)->monitored_by, std::vector<pid>{a});
}

TEST(process_info, queue_length_counts_unhandled_messages) {
  node n(deterministic());
  pid p = n.spawn([](actor&, message&) {});
  for (int i = 0; i < 5; ++i) n.send(p, i);
  EXPECT_EQ(n.info(p)->message_queue_len, 5u);
  EXPECT_EQ(n.info(p)->status, process_status::runnable);
  n.run_until_idle();
  EXPECT_EQ(n.info(p)->message_queue_len, 0u);
  EXPECT_EQ(n.info(p)->messages_handled, 5u);
}

TEST(process_info, dead_pid_has_no_info) {
  node n(deterministic());
  pid p = n.spawn([](actor&, message&) {});
  n.exit(p, exit_reason::kill());
  n.run_until_idle();
  EXPECT_FALSE(n.info(p));
  EXPECT_FALSE(n.is_alive(p));
  auto all = n.processes();
  EXPECT_EQ(std::find(all.begin(), all.end(), p), all.end());
}

TEST(process_info, counters_track_spawns_exits_crashes_and_messages) {
  node n(deterministic());
  inbox box(n);
  pid a = n.spawn([](actor&, message&) { throw std::runtime_error("x"); });
  pid b = n.spawn([](actor&, message&) {});
  box.monitor(a);
  n.send(a, 1);
  ASSERT_TRUE(box.receive<down_msg>());
  n.exit(b, exit_reason::normal());
  auto c = n.counters();
  EXPECT_EQ(c.spawned, 3u);
  EXPECT_EQ(c.processes, 2u);
  EXPECT_EQ(c.exited, 1u);
  EXPECT_EQ(c.exited_abnormal, 1u);
  EXPECT_EQ(c.crashed, 1u);
  EXPECT_GE(c.messages_sent, 2u);
}

// process_info is the observer's data source: it must be safe while processes churn.
TEST(process_info, safe_to_call_from_another_thread_while_processes_run) {
  node n(threaded(2));
  inbox box(n);
  std::atomic<bool> done{false};
  std::thread observer([&] {
    while (!done.load()) {
      for (const pid& p : n.processes()) (void)n.info(p);
      (void)n.counters();
    }
  });
  for (int round = 0; round < 200; ++round) {
    pid a = n.spawn([](actor& self, message& m) {
      if (auto* peer = m.get_if<pid>()) {
        self.link(*peer);
        self.monitor(*peer);
        self.exit(exit_reason::error("churn"));
      }
    });
    pid b = n.spawn([](actor&, message&) {});
    n.send(a, b);
  }
  n.send(box.self(), 0);
  ASSERT_TRUE(box.receive<int>());
  done.store(true);
  observer.join();
}

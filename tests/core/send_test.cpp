// Messages: typed values moved into the mailbox, per-sender order, sends to the dead.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "test_support.hpp"

using namespace bitactor;
using namespace bitactor::test;

namespace {

struct numbered {
  pid sender;
  int n;
};
struct done {
  std::vector<int> order;
};

// Counts copies: the runtime must move messages, never copy them.
struct copy_counter {
  static inline int copies = 0;
  copy_counter() = default;
  copy_counter(const copy_counter&) { ++copies; }
  copy_counter(copy_counter&&) noexcept = default;
};

}  // namespace

TEST(send, message_reaches_the_process_and_handlers_dispatch_on_type) {
  node n(deterministic());
  inbox box(n);
  pid echo = n.spawn([](actor& self, message& m) {
    m.match([&](const numbered& x) { self.send(x.sender, x.n * 2); },
            [&](const std::string& s) { self.send(pid{}, s); });
  });
  n.send(echo, numbered{box.self(), 21});
  auto r = box.receive<int>();
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 42);
}

TEST(send, messages_are_moved_not_copied) {
  node n(deterministic());
  inbox box(n);
  copy_counter::copies = 0;
  pid p = n.spawn([to = box.self()](actor& self, message& m) {
    if (auto* c = m.get_if<copy_counter>()) self.send(to, std::move(*c));
  });
  n.send(p, copy_counter{});
  ASSERT_TRUE(box.receive<copy_counter>());
  EXPECT_EQ(copy_counter::copies, 0);
}

TEST(send, move_only_messages_work) {
  node n(deterministic());
  inbox box(n);
  n.send(box.self(), std::make_unique<int>(5));
  auto r = box.receive<std::unique_ptr<int>>();
  ASSERT_TRUE(r);
  EXPECT_EQ(**r, 5);
}

TEST(send, order_from_one_sender_is_kept_under_threads) {
  node n(threaded(2));
  inbox box(n);
  constexpr int per_sender = 20000;
  pid collector = n.spawn(
      [to = box.self(), last = std::vector<int>(3, -1), got = 0](actor& self, message& m) mutable {
        if (auto* x = m.get_if<numbered>()) {
          int from = x->sender.id % 3;
          if (x->n != last[from] + 1) self.send(to, std::string("out of order"));
          last[from] = x->n;
          if (++got == 3 * per_sender) self.send(to, done{});
        }
      });
  for (int s = 0; s < 3; ++s) {
    n.spawn([collector](actor& self, message& m) {
      if (m.is<int>()) {
        for (int i = 0; i < per_sender; ++i) self.send(collector, numbered{self.self(), i});
      }
    });
  }
  // Senders have consecutive ids, so id % 3 tells them apart.
  for (const pid& p : n.processes()) {
    if (p != collector && p != box.self()) n.send(p, 0);
  }
  ASSERT_TRUE(box.receive<done>(30s));
  EXPECT_FALSE(box.receive<std::string>(0ms));
}

TEST(send, sending_to_a_dead_pid_is_a_silent_no_op) {
  node n(deterministic());
  inbox box(n);
  pid p = n.spawn([](actor& self, message&) { self.exit(exit_reason::normal()); });
  box.monitor(p);
  n.send(p, 1);
  ASSERT_TRUE(box.receive<down_msg>());
  EXPECT_NO_THROW(n.send(p, 2));
  EXPECT_NO_THROW(n.send(pid{0, 999999, 3, 0}, 3));
  EXPECT_EQ(n.counters().processes, 1u);  // only the inbox
}

TEST(send, sending_to_an_unregistered_name_is_badarg) {
  node n(deterministic());
  EXPECT_THROW(n.send("nobody", 1), badarg);
  try {
    n.send("nobody", 1);
  } catch (const badarg& e) {
    EXPECT_NE(std::string(e.what()).find("nobody"), std::string::npos);
  }
}

TEST(send, message_for_an_earlier_incarnation_of_a_slot_is_not_delivered_to_the_next) {
  node n(deterministic());
  inbox box(n);
  pid first = n.spawn([](actor& self, message&) { self.exit(exit_reason::normal()); });
  box.monitor(first);
  n.send(first, 0);
  ASSERT_TRUE(box.receive<down_msg>());
  // The next spawn may reuse the slot with a new serial; the old pid must not reach it.
  pid second = n.spawn([to = box.self()](actor& self, message& m) {
    if (auto* i = m.get_if<int>()) self.send(to, *i);
  });
  if (second.id == first.id) {
    EXPECT_NE(second.serial, first.serial);
  }
  n.send(first, 1);
  n.send(second, 2);
  auto r = box.receive<int>();
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 2);
  EXPECT_FALSE(box.receive<int>(10ms));
}

// Regression: a server that is monitored and called by a fresh mailbox each time, from a plain
// thread, under the threaded policy. A racing push could once hide behind the mailbox's stub
// node, so the server went idle with messages queued and a reply never came.
TEST(send, no_message_is_stranded_when_sends_race_with_the_end_of_a_turn) {
  node n(threaded(2));
  pid server = n.spawn([](actor& self, message& m) {
    if (auto* from = m.get_if<pid>()) self.send(*from, 1);
  });
  for (int i = 0; i < 20000; ++i) {
    inbox box(n);
    box.monitor(server);
    n.send(server, box.self());
    ASSERT_TRUE(box.receive<int>(10s)) << "reply lost at call " << i;
  }
}

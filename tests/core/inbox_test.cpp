// A plain thread's mailbox: waiting in it from inside a handler fails at once instead of
// deadlocking the scheduler.
#include <gtest/gtest.h>

#include <bitactor/core/error.hpp>
#include <bitactor/core/inbox.hpp>
#include <bitactor/core/node.hpp>

#include "test_support.hpp"

using namespace bitactor;
using namespace std::chrono_literals;

namespace {

struct try_wait {};

// Answers whether a blocking receive from its handler was refused with would_block.
void expect_refused_inside_handler(node_config cfg) {
  node n(cfg);
  inbox box(n);
  pid reply_to = box.self();
  pid p = n.spawn([reply_to](actor& self, message& m) {
    if (!m.is<try_wait>()) return;
    inbox nested(self.this_node());
    try {
      (void)nested.receive<int>(std::chrono::hours(1));
      self.send(reply_to, std::string("waited"));
    } catch (const would_block& e) {
      self.send(reply_to, std::string(e.what()));
    }
  });
  n.send(p, try_wait{});
  auto answer = box.receive<std::string>(10s);
  ASSERT_TRUE(answer);
  EXPECT_NE(answer->find("would block a scheduler thread"), std::string::npos) << *answer;
}

}  // namespace

TEST(inbox, receive_inside_a_handler_fails_at_once_on_the_deterministic_scheduler) {
  expect_refused_inside_handler(test::deterministic());
}

TEST(inbox, receive_inside_a_handler_fails_at_once_on_the_threaded_scheduler) {
  expect_refused_inside_handler(test::threaded(1));
}

TEST(inbox, a_blocking_process_may_wait_in_an_inbox) {
  node n(test::threaded(1));
  inbox box(n);
  pid reply_to = box.self();
  pid helper = n.spawn([](actor& self, message& m) {
    if (auto* to = m.get_if<pid>()) self.send(*to, 7);
  });
  pid p = n.spawn_blocking([reply_to, helper](actor& self, message& m) {
    if (!m.is<try_wait>()) return;
    inbox nested(self.this_node());
    self.send(helper, nested.self());
    auto got = nested.receive<int>(10s);
    self.send(reply_to, got.value_or(-1));
  });
  n.send(p, try_wait{});
  auto answer = box.receive<int>(10s);
  ASSERT_TRUE(answer);
  EXPECT_EQ(*answer, 7);
}

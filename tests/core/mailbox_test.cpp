// The mailbox on its own: its MPSC queue under real threads, and its turn and counters.
#include <gtest/gtest.h>

#include <bitactor/core/internal/mailbox.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace bitactor;

namespace {
struct item {
  int producer;
  int seq;
};

// The next arrival, which the test has just posted.
message* arrival(detail::mailbox& box) {
  message* m = box.take_arrival();
  if (m == nullptr) throw std::logic_error("mailbox_test: the posted message is not there");
  return m;
}
}  // namespace

TEST(mailbox, concurrent_producers_keep_their_own_order_and_lose_nothing) {
  detail::mpsc_queue q;
  constexpr int producers = 4, per_producer = 100000;
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&q, p] {
      for (int i = 0; i < per_producer; ++i) q.push(make_message<item>(item{p, i}));
    });
  }
  std::vector<int> next(producers, 0);
  int received = 0;
  while (received < producers * per_producer) {
    message* m = q.pop();
    if (m == nullptr) continue;  // empty, or a producer mid-push: retry
    auto* it = m->get_if<item>();
    ASSERT_NE(it, nullptr);
    ASSERT_EQ(it->seq, next[it->producer]) << "producer " << it->producer;
    ++next[it->producer];
    ++received;
    delete m;
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(q.pop(), nullptr);
  EXPECT_TRUE(q.empty());
}

TEST(mailbox, fifo_remove_if_keeps_order_of_the_rest) {
  detail::fifo f;
  for (int i = 0; i < 6; ++i) f.push_back(make_message<int>(i));
  EXPECT_EQ(f.remove_if([](message& m) { return *m.get_if<int>() % 2 == 1; }), 3u);
  std::vector<int> left;
  while (message* m = f.pop_front()) {
    left.push_back(*m->get_if<int>());
    delete m;
  }
  EXPECT_EQ(left, (std::vector<int>{0, 2, 4}));
}

TEST(mailbox, the_first_post_to_an_idle_mailbox_claims_the_turn_and_later_ones_do_not) {
  detail::mailbox box;
  EXPECT_FALSE(box.claimed());
  EXPECT_TRUE(box.post(make_message<int>(1)));
  EXPECT_TRUE(box.claimed());
  EXPECT_FALSE(box.post(make_message<int>(2)));
  EXPECT_FALSE(box.try_claim());
  EXPECT_EQ(box.queued(), 2u);
  box.clear();
}

TEST(mailbox, release_hands_the_turn_back_unless_a_message_is_waiting) {
  detail::mailbox box;
  ASSERT_TRUE(box.try_claim());
  EXPECT_FALSE(box.release());  // nothing arrived: the turn is free
  EXPECT_FALSE(box.claimed());

  ASSERT_TRUE(box.post(make_message<int>(1)));
  box.accept(arrival(box));
  delete box.next_to_handle();
  EXPECT_FALSE(box.has_work());
  // A sender that pushes while the owner still holds the turn leaves the scheduling to it:
  // releasing then claims the turn back, so the owner must run the process again.
  EXPECT_FALSE(box.post(make_message<int>(2)));
  EXPECT_TRUE(box.release());
  EXPECT_TRUE(box.claimed());
  box.clear();
}

TEST(mailbox, counts_what_is_queued_until_handled_consumed_or_discarded) {
  detail::mailbox box;
  for (int i = 0; i < 4; ++i) box.post(make_message<int>(i));
  EXPECT_EQ(box.queued(), 4u);
  box.accept(arrival(box));
  delete box.next_to_handle();  // handled
  message* signal_like = arrival(box);
  box.consumed();  // applied, never handed to the actor
  delete signal_like;
  box.accept(arrival(box));
  box.accept(arrival(box));
  box.deliver_own(make_message<int>(99));  // one the runtime made for the process
  EXPECT_EQ(box.queued(), 3u);
  box.discard_delivered_if([](message& m) { return *m.get_if<int>() == 2; });
  EXPECT_EQ(box.queued(), 2u);
  box.discard_delivered();
  EXPECT_EQ(box.queued(), 0u);
  EXPECT_EQ(box.handled(), 1u);
  EXPECT_FALSE(box.has_work());
  box.begin_incarnation();
  EXPECT_EQ(box.handled(), 0u);
}

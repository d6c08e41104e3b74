// The MPSC mailbox queue on its own, under real threads.
#include <gtest/gtest.h>

#include <bitactor/core/internal/mailbox.hpp>
#include <thread>
#include <vector>

using namespace bitactor;

namespace {
struct item {
  int producer;
  int seq;
};
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

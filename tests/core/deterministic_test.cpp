// The deterministic policy: one thread, seeded order, virtual time; a seed replays a run.
#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace bitactor;
using namespace bitactor::test;

namespace {

// Three writers race to append to a shared log; the order depends only on the seed.
std::vector<int> run_race(std::uint64_t seed) {
  node n(deterministic(seed));
  auto log = std::make_shared<std::vector<int>>();
  std::vector<pid> writers;
  for (int w = 0; w < 3; ++w) {
    writers.push_back(n.spawn([w, log](actor&, message& m) {
      if (auto* i = m.get_if<int>()) log->push_back(w * 100 + *i);
    }));
  }
  for (int i = 0; i < 10; ++i) {
    for (const pid& p : writers) n.send(p, i);
  }
  n.run_until_idle();
  return *log;
}

}  // namespace

TEST(deterministic, same_seed_gives_the_same_interleaving) {
  for (std::uint64_t seed : {1u, 2u, 99u}) EXPECT_EQ(run_race(seed), run_race(seed));
}

TEST(deterministic, different_seeds_explore_different_interleavings) {
  std::set<std::vector<int>> seen_orders;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) seen_orders.insert(run_race(seed));
  EXPECT_GT(seen_orders.size(), 1u);
}

TEST(deterministic, virtual_time_moves_only_when_advanced) {
  node n(deterministic());
  EXPECT_EQ(n.now(), 0ms);
  n.advance_time(1500ms);
  EXPECT_EQ(n.now(), 1500ms);
}

TEST(deterministic, receive_with_timeout_advances_virtual_time_to_a_due_timer) {
  node n(deterministic());
  inbox box(n);
  n.send_after(box.self(), 3s, 1);
  EXPECT_FALSE(box.receive<int>(2s));  // 2 s of virtual time pass, no message
  EXPECT_EQ(n.now(), 2s);
  EXPECT_TRUE(box.receive<int>(2s));
  EXPECT_EQ(n.now(), 3s);
}

TEST(deterministic, run_until_idle_is_refused_by_the_threaded_policy) {
  node n(threaded(1));
  EXPECT_THROW(n.run_until_idle(), error);
}

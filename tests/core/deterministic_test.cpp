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

// advance_time jumps from one due timer (or cascade) to the next: 2^36 ms of virtual time
// with a few far timers takes milliseconds, and each fires in order at its virtual time.
TEST(deterministic, advancing_far_over_sparse_timers_fires_them_in_order_at_their_times) {
  node n(deterministic());
  auto fired = std::make_shared<std::vector<std::pair<int, std::chrono::milliseconds>>>();
  pid recorder = n.spawn([&n, fired](actor&, message& m) {
    if (auto* i = m.get_if<int>()) fired->emplace_back(*i, n.now());
  });
  using ms = std::chrono::milliseconds;
  const std::vector<ms> delays = {ms(std::int64_t{1} << 20), ms((std::int64_t{1} << 30) + 3),
                                  ms((std::int64_t{1} << 35) + 1), ms((std::int64_t{1} << 36) - 1)};
  for (std::size_t i = delays.size(); i-- > 0;) n.send_after(recorder, delays[i], int(i));
  const auto started = std::chrono::steady_clock::now();
  n.advance_time(ms(std::int64_t{1} << 36));
  const auto took = std::chrono::steady_clock::now() - started;
  std::printf("advance_time(2^36 ms) over %zu timers took %.3f ms\n", delays.size(),
              std::chrono::duration<double, std::milli>(took).count());
  ASSERT_EQ(fired->size(), delays.size());
  for (std::size_t i = 0; i < delays.size(); ++i) {
    EXPECT_EQ((*fired)[i].first, static_cast<int>(i));
    EXPECT_EQ((*fired)[i].second, delays[i]) << "timer " << i << " fired at the wrong time";
  }
  EXPECT_EQ(n.now(), ms(std::int64_t{1} << 36));
  EXPECT_LT(took, std::chrono::seconds(10));
}

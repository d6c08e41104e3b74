// Flags read on many threads while others write them (run under ThreadSanitizer too).
#include <gtest/gtest.h>

#include <atomic>
#include <bitactor/resilience/feature_flags.hpp>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace resilience = bitactor::resilience;

namespace {

TEST(feature_flags_concurrency, readers_see_only_values_a_writer_set_while_it_writes) {
  resilience::feature_flags flags;
  flags.define_percentage("rollout", 0);
  flags.define_boolean("kill_switch", false);
  constexpr int writes = 20000;
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> reads{0};
  std::atomic<int> bad{0};

  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      const auto rollout = flags.flag("rollout");
      const auto kill = flags.flag("kill_switch");
      std::uint64_t id = static_cast<std::uint64_t>(t) << 32;
      std::uint64_t n = 0;
      while (!done.load(std::memory_order_acquire)) {
        const double p = rollout.percent();
        // The writer sets only multiples of 10: anything else is a torn or invented value.
        if (static_cast<int>(p) % 10 != 0 || p < 0 || p > 100) bad.fetch_add(1);
        (void)rollout.enabled_for(id++);
        (void)kill.enabled();
        ++n;
      }
      reads.fetch_add(n);
    });
  }
  // A second writer defines new flags while the readers look flags up by name.
  std::thread definer([&] {
    for (int i = 0; i < 500; ++i) flags.define_boolean("extra_" + std::to_string(i), i % 2 == 0);
  });
  for (int i = 0; i < writes; ++i) {
    flags.set_percentage("rollout", (i % 11) * 10);
    flags.set("kill_switch", i % 2 == 0);
  }
  definer.join();
  done.store(true, std::memory_order_release);
  for (auto& r : readers) r.join();

  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_DOUBLE_EQ(flags.flag("rollout").percent(), ((writes - 1) % 11) * 10.0);
  EXPECT_EQ(flags.list().size(), 502u);
  EXPECT_TRUE(flags.enabled("extra_498"));
  EXPECT_FALSE(flags.enabled("extra_499"));
}

}  // namespace

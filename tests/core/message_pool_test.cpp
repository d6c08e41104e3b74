// The per-thread envelope pool behind message allocation (message_pool.hpp).
#include <gtest/gtest.h>

#include <bitactor/core/internal/message_pool.hpp>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

using namespace bitactor::detail;

TEST(message_pool, every_size_is_aligned_and_fully_writable) {
  std::vector<std::pair<void*, std::size_t>> blocks;
  for (std::size_t size = 1; size <= message_pool::largest_pooled + 64; ++size) {
    void* b = message_pool::allocate(size);
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(b) % alignof(std::max_align_t), 0u) << size;
    std::memset(b, 0xab, size);
    blocks.emplace_back(b, size);
  }
  for (auto [b, size] : blocks) message_pool::deallocate(b, size);
}

TEST(message_pool, a_freed_block_serves_the_next_request_of_its_size_class) {
  if (!message_pool::enabled) GTEST_SKIP() << "the pool is bypassed under AddressSanitizer";
  void* a = message_pool::allocate(40);
  message_pool::deallocate(a, 40);
  void* b = message_pool::allocate(48);  // same 16-byte class as 40
  EXPECT_EQ(a, b);
  message_pool::deallocate(b, 48);
}

TEST(message_pool, blocks_freed_on_other_threads_stay_usable_after_those_threads_exit) {
  constexpr int per_thread = 10'000;
  std::vector<void*> blocks;
  for (int i = 0; i < 2 * per_thread; ++i) blocks.push_back(message_pool::allocate(64));
  // Two threads free half each (into their own pools, the rest to malloc), then exit, which
  // returns what their pools hold.
  std::thread t1([&] {
    for (int i = 0; i < per_thread; ++i) message_pool::deallocate(blocks[i], 64);
  });
  std::thread t2([&] {
    for (int i = per_thread; i < 2 * per_thread; ++i) message_pool::deallocate(blocks[i], 64);
  });
  t1.join();
  t2.join();
  // This thread keeps allocating and writing: nothing it gets may alias a live block.
  std::vector<void*> again;
  for (int i = 0; i < per_thread; ++i) {
    void* b = message_pool::allocate(64);
    std::memset(b, i & 0xff, 64);
    again.push_back(b);
  }
  for (int i = 0; i < per_thread; ++i) {
    EXPECT_EQ(static_cast<unsigned char*>(again[i])[63], static_cast<unsigned char>(i & 0xff));
  }
  for (void* b : again) message_pool::deallocate(b, 64);
}

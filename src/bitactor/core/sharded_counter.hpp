#pragma once
// Internal: a counter that many threads bump on hot paths. Each thread adds to its own
// cache-line-sized shard (no contended cache line per message); readers sum the shards.

#include <array>
#include <atomic>
#include <cstdint>

namespace bitactor::detail {

class sharded_counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    shards_[shard_index()].value.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t read() const noexcept {
    std::uint64_t sum = 0;
    for (const auto& s : shards_) sum += s.value.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  static constexpr std::size_t shards = 16;
  struct alignas(64) shard {
    std::atomic<std::uint64_t> value{0};
  };
  static std::size_t shard_index() noexcept {
    static std::atomic<std::size_t> next{0};
    thread_local std::size_t index = next.fetch_add(1, std::memory_order_relaxed) % shards;
    return index;
  }
  std::array<shard, shards> shards_{};
};

}  // namespace bitactor::detail

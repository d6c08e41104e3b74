#pragma once
// Internal: a counter that many threads bump on hot paths (one bump per message sent). Each of
// the first `exclusive_slots` threads to use any sharded_counter gets a slot of its own, which
// it bumps with a plain load and store (no locked instruction, no contended cache line); later
// threads share a last slot with atomic adds. Readers sum the slots.

#include <array>
#include <atomic>
#include <cstdint>

namespace bitactor::detail {

class sharded_counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    std::size_t i = thread_slot();
    if (i < exclusive_slots) {
      auto& v = slots_[i].value;
      v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    } else {
      slots_[exclusive_slots].value.fetch_add(n, std::memory_order_relaxed);
    }
  }
  std::uint64_t read() const noexcept {
    std::uint64_t sum = 0;
    for (const auto& s : slots_) sum += s.value.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  static constexpr std::size_t exclusive_slots = 63;
  struct alignas(64) slot {
    std::atomic<std::uint64_t> value{0};
  };
  static std::size_t thread_slot() noexcept {
    static std::atomic<std::size_t> next{0};
    thread_local std::size_t index = next.fetch_add(1, std::memory_order_relaxed);
    return index;
  }
  std::array<slot, exclusive_slots + 1> slots_{};
};

}  // namespace bitactor::detail

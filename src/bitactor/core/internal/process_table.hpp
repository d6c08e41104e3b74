#pragma once
// Internal: the node's process slots. A pid's id is its slot index + 1 and its serial the
// slot's incarnation. Slots live in fixed chunks that are never moved or freed while the node
// runs (so a lookup is two loads and needs no lock), and dead slots are reused through a
// lock-free free list.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "bitactor/core/internal/process.hpp"

namespace bitactor::detail {

class process_table {
 public:
  static constexpr std::uint32_t chunk_bits = 14;
  static constexpr std::uint32_t chunk_size = 1u << chunk_bits;

  explicit process_table(std::uint32_t max_slots);
  ~process_table();
  process_table(const process_table&) = delete;
  process_table& operator=(const process_table&) = delete;

  /// The slot for a pid id, or nullptr if that id was never allocated. Any thread.
  process* find(std::uint32_t id) const noexcept {
    std::uint32_t index = id - 1;
    if (id == 0 || index >= max_slots_) return nullptr;
    process* chunk = chunks_[index >> chunk_bits].load(std::memory_order_acquire);
    return chunk != nullptr ? &chunk[index & (chunk_size - 1)] : nullptr;
  }

  /// A slot to initialise, or nullptr when all max_slots are in use. Spawn must then claim it
  /// (mailbox::try_claim()); a slot whose claim fails is handed back with release().
  process* acquire();
  /// Returns a slot to the free list once its process has exited and its turn has ended.
  void release(process* p) noexcept;

  /// Calls f(process&) for every slot ever allocated (any thread; fields may change).
  template <class F>
  void for_each_slot(F&& f) const {
    std::uint32_t used = std::min(fresh_.load(std::memory_order_acquire), max_slots_);
    for (std::uint32_t i = 0; i < used; ++i) {
      if (process* p = find(i + 1)) f(*p);
    }
  }

  std::uint32_t max_slots() const noexcept { return max_slots_; }
  std::size_t allocated_bytes() const noexcept;

 private:
  process* chunk_for(std::uint32_t index);

  std::uint32_t max_slots_;
  std::unique_ptr<std::atomic<process*>[]> chunks_;
  std::atomic<std::uint32_t> fresh_{0};      // slots handed out at least once
  std::atomic<std::uint64_t> free_head_{0};  // (tag << 32) | (slot index + 1)
};

}  // namespace bitactor::detail

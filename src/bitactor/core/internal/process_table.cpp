#include "bitactor/core/internal/process_table.hpp"

namespace bitactor::detail {

process_table::process_table(std::uint32_t max_slots)
    : max_slots_(max_slots),
      chunks_(new std::atomic<process*>[(max_slots + chunk_size - 1) / chunk_size]) {
  for (std::uint32_t i = 0; i < (max_slots + chunk_size - 1) / chunk_size; ++i) {
    chunks_[i].store(nullptr, std::memory_order_relaxed);
  }
}

process_table::~process_table() {
  for (std::uint32_t i = 0; i < (max_slots_ + chunk_size - 1) / chunk_size; ++i) {
    delete[] chunks_[i].load(std::memory_order_relaxed);
  }
}

process* process_table::chunk_for(std::uint32_t index) {
  auto& cell = chunks_[index >> chunk_bits];
  process* chunk = cell.load(std::memory_order_acquire);
  if (chunk == nullptr) {
    auto* fresh = new process[chunk_size];
    for (std::uint32_t i = 0; i < chunk_size; ++i) {
      fresh[i].slot = (index & ~(chunk_size - 1)) + i;
    }
    if (cell.compare_exchange_strong(chunk, fresh, std::memory_order_acq_rel)) {
      chunk = fresh;
    } else {
      delete[] fresh;  // another thread installed it first
    }
  }
  return chunk;
}

process* process_table::acquire() {
  // Treiber stack pop; the tag in the high half defeats ABA when a slot is popped and pushed
  // back between our load and our compare-exchange.
  std::uint64_t head = free_head_.load(std::memory_order_acquire);
  while (static_cast<std::uint32_t>(head) != 0) {
    process* p = find(static_cast<std::uint32_t>(head));
    std::uint64_t next_index = p->next_free.load(std::memory_order_relaxed);
    std::uint64_t next = ((head >> 32) + 1) << 32 | next_index;
    if (free_head_.compare_exchange_weak(head, next, std::memory_order_acq_rel)) return p;
  }
  std::uint32_t index = fresh_.fetch_add(1, std::memory_order_acq_rel);
  if (index >= max_slots_) {
    fresh_.fetch_sub(1, std::memory_order_acq_rel);
    return nullptr;
  }
  return &chunk_for(index)[index & (chunk_size - 1)];
}

void process_table::release(process* p) noexcept {
  std::uint64_t head = free_head_.load(std::memory_order_relaxed);
  std::uint64_t next;
  do {
    p->next_free.store(static_cast<std::uint32_t>(head), std::memory_order_relaxed);
    next = ((head >> 32) + 1) << 32 | (p->slot + 1);
  } while (!free_head_.compare_exchange_weak(head, next, std::memory_order_acq_rel,
                                             std::memory_order_relaxed));
}

std::size_t process_table::allocated_bytes() const noexcept {
  std::size_t chunks = 0;
  for (std::uint32_t i = 0; i < (max_slots_ + chunk_size - 1) / chunk_size; ++i) {
    if (chunks_[i].load(std::memory_order_relaxed) != nullptr) ++chunks;
  }
  return chunks * chunk_size * sizeof(process);
}

}  // namespace bitactor::detail

#include "bitactor/core/internal/message_pool.hpp"

#include <array>
#include <cstdlib>
#include <new>

#include "bitactor/core/pooled_memory.hpp"

namespace bitactor::detail::message_pool {

namespace {

constexpr std::size_t granule = 16;
constexpr std::size_t classes = largest_pooled / granule;

// How many freed blocks each class keeps (bytes_per_class of them), so freeing divides nothing.
constexpr std::array<std::size_t, classes> capacity = [] {
  std::array<std::size_t, classes> a{};
  for (std::size_t c = 0; c < classes; ++c) a[c] = bytes_per_class / ((c + 1) * granule);
  return a;
}();

struct free_block {
  free_block* next;
};

// One thread's free lists. Trivially destructible, so it stays usable while the thread exits;
// the reaper below returns its blocks to malloc then and closes it.
struct thread_pool {
  std::array<free_block*, classes> heads;
  std::array<std::size_t, classes> counts;
  bool reaper_armed;
  bool closed;  // the thread is exiting: free straight to malloc
};

constinit thread_local thread_pool pool{};

void release_all(thread_pool& p) noexcept {
  for (std::size_t c = 0; c < classes; ++c) {
    free_block* b = p.heads[c];
    while (b != nullptr) {
      free_block* next = b->next;
      std::free(b);
      b = next;
    }
    p.heads[c] = nullptr;
    p.counts[c] = 0;
  }
}

struct reaper {
  void arm() noexcept {}
  ~reaper() {
    pool.closed = true;
    release_all(pool);
  }
};

thread_local reaper pool_reaper;

constexpr std::size_t class_of(std::size_t size) noexcept { return (size - 1) / granule; }

void* system_allocate(std::size_t size) {
  if (void* p = std::malloc(size)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* allocate(std::size_t size) {
  if (enabled && size != 0 && size <= largest_pooled) {
    const std::size_t c = class_of(size);
    thread_pool& p = pool;
    if (free_block* b = p.heads[c]) {
      p.heads[c] = b->next;
      --p.counts[c];
      return b;
    }
    // Allocate the whole class size so any block of the class can serve any request in it.
    return system_allocate((c + 1) * granule);
  }
  return system_allocate(size == 0 ? 1 : size);
}

void deallocate(void* block, std::size_t size) noexcept {
  if (block == nullptr) return;
  if (enabled && size != 0 && size <= largest_pooled) {
    const std::size_t c = class_of(size);
    thread_pool& p = pool;
    if (!p.reaper_armed) {
      p.reaper_armed = true;
      pool_reaper.arm();  // constructs this thread's reaper, so the pool is emptied at exit
    }
    if (!p.closed && p.counts[c] < capacity[c]) {
      auto* b = static_cast<free_block*>(block);
      b->next = p.heads[c];
      p.heads[c] = b;
      ++p.counts[c];
      return;
    }
  }
  std::free(block);
}

}  // namespace bitactor::detail::message_pool

namespace bitactor {

// The public face of the pool (pooled_memory.hpp); the compiler inlines the bodies above.
void* pooled_allocate(std::size_t size) { return detail::message_pool::allocate(size); }

void pooled_deallocate(void* block, std::size_t size) noexcept {
  detail::message_pool::deallocate(block, size);
}

}  // namespace bitactor

#pragma once
// A one-byte lock for per-process data that another thread reads rarely (process_info).
// A std::mutex is 40 bytes, and bytes per process count when there are millions of them.

#include <atomic>
#include <cstdint>

namespace bitactor::detail {

/// Tells the CPU this thread is busy-waiting (x86 `pause`), sparing the sibling hyperthread.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

class spinlock {
 public:
  void lock() noexcept {
    while (flag_.exchange(true, std::memory_order_acquire)) {
      while (flag_.load(std::memory_order_relaxed)) cpu_relax();
    }
  }
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

}  // namespace bitactor::detail

#pragma once
// Time as the runtime sees it: the steady clock in production, a virtual clock that tests
// advance by hand in the deterministic policy. Milliseconds are the timer resolution.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace bitactor::detail {

class clock_source {
 public:
  virtual ~clock_source() = default;
  /// Milliseconds since the node started.
  virtual std::uint64_t now_ms() const noexcept = 0;
};

class steady_clock_source final : public clock_source {
 public:
  std::uint64_t now_ms() const noexcept override {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - start_)
                                          .count());
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

class virtual_clock_source final : public clock_source {
 public:
  std::uint64_t now_ms() const noexcept override { return now_.load(std::memory_order_acquire); }
  void advance_to(std::uint64_t ms) noexcept { now_.store(ms, std::memory_order_release); }

 private:
  std::atomic<std::uint64_t> now_{0};
};

}  // namespace bitactor::detail

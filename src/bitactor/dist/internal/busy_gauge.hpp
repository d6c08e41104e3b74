#pragma once
// Internal: how busy the connection to one peer is (the bytes queued to go out, written on
// the io thread, read on senders' threads) and the processes parked until it is not
// (dist_config::busy_limit_bytes; BEAM's busy distribution port).

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

namespace bitactor::dist::detail {

class busy_gauge {
 public:
  explicit busy_gauge(std::size_t limit) : limit_(limit) {}

  /// More than the limit is queued.
  bool busy() const noexcept { return queued_.load(std::memory_order_relaxed) > limit_; }
  std::size_t queued() const noexcept { return queued_.load(std::memory_order_relaxed); }
  /// The connection's queue holds `bytes` now (io thread). At half the limit or below, the
  /// parked processes are resumed.
  void set_queued(std::size_t bytes);
  /// A sender parks (runtime::park_after_turn hands it `resume`): resumed at once when the
  /// queue is at half the limit or below, else when it gets there. True when it is the first
  /// one parked since the last release, for the caller to bound the wait (release_all).
  bool park(std::function<void()> resume);
  /// Resumes every parked process (the park limit passed, or the connection is gone).
  void release_all();

 private:
  bool drained() const noexcept { return queued_.load(std::memory_order_relaxed) <= limit_ / 2; }

  const std::size_t limit_;
  std::atomic<std::size_t> queued_{0};
  std::mutex lock_;
  std::vector<std::function<void()>> parked_;
};

}  // namespace bitactor::dist::detail

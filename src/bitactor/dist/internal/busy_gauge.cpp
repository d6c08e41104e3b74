#include "bitactor/dist/internal/busy_gauge.hpp"

namespace bitactor::dist::detail {

// The queue is stored before the lock is taken, and a parker checks it under the lock: a
// release between a sender's busy() and its park() finds no one, and the parker then sees
// the drained queue itself, so no one is left parked on a queue that has drained.
void busy_gauge::set_queued(std::size_t bytes) {
  queued_.store(bytes, std::memory_order_relaxed);
  if (bytes <= limit_ / 2) release_all();
}

bool busy_gauge::park(std::function<void()> resume) {
  std::unique_lock guard(lock_);
  if (drained()) {
    guard.unlock();
    resume();
    return false;
  }
  parked_.push_back(std::move(resume));
  return parked_.size() == 1;
}

void busy_gauge::release_all() {
  std::vector<std::function<void()>> resumed;
  {
    std::lock_guard guard(lock_);
    resumed.swap(parked_);
  }
  for (auto& r : resumed) r();
}

}  // namespace bitactor::dist::detail

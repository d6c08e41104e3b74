#include "bitactor/core/internal/timer_service.hpp"

#include <chrono>
#include <vector>

#include "bitactor/core/internal/deadline.hpp"
#include "bitactor/core/message.hpp"

namespace bitactor::detail {

timer_service::timer_service(clock_source& clock, deliver_fn deliver)
    : clock_(clock), deliver_(std::move(deliver)) {}

timer_service::~timer_service() { stop(); }

void timer_service::start_thread() {
  thread_ = std::thread([this] { thread_main(); });
}

void timer_service::stop() {
  {
    std::lock_guard guard(lock_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<message*> left;
  {
    std::lock_guard guard(lock_);
    wheel_.drain(left);
  }
  for (message* m : left) delete m;
}

timer_ref timer_service::start(std::uint64_t delay, pid target, message* msg, stamp_fn stamp) {
  if (delay == 0) {  // erlang:send_after(0, ...) sends at once; nothing left to cancel
    if (stamp != nullptr) stamp(msg, timer_ref{});
    deliver_(target, msg);
    return timer_ref{};
  }
  std::uint64_t deadline = deadline_after(clock_.now_ms(), delay);  // never_ms: never fires
  bool wake = false;
  timer_ref r;
  {
    std::lock_guard guard(lock_);
    r = wheel_.add(deadline, target, msg);
    if (stamp != nullptr) stamp(msg, r);
    wake = deadline < sleeping_until_;
  }
  if (wake && thread_.joinable()) wake_.notify_one();
  return r;
}

std::optional<std::uint64_t> timer_service::cancel(timer_ref r) {
  std::optional<std::uint64_t> deadline;
  {
    std::lock_guard guard(lock_);
    deadline = wheel_.cancel(r);
  }
  if (!deadline) return std::nullopt;
  std::uint64_t now = clock_.now_ms();
  return *deadline > now ? *deadline - now : 0;
}

void timer_service::fire_due() {
  std::vector<timer_wheel::expired> due;
  {
    std::lock_guard guard(lock_);
    wheel_.advance(clock_.now_ms(), due);
  }
  for (auto& e : due) deliver_(e.target, e.msg);
}

std::optional<std::uint64_t> timer_service::next_wakeup() {
  std::lock_guard guard(lock_);
  return wheel_.next_wakeup();
}

std::size_t timer_service::pending() {
  std::lock_guard guard(lock_);
  return wheel_.pending();
}

void timer_service::thread_main() {
  std::vector<timer_wheel::expired> due;
  std::unique_lock guard(lock_);
  while (!stopping_) {
    wheel_.advance(clock_.now_ms(), due);
    if (!due.empty()) {
      guard.unlock();
      for (auto& e : due) deliver_(e.target, e.msg);
      due.clear();
      guard.lock();
      continue;
    }
    // The wheel names the next tick with work (a timer, or a far slot to move down), so a
    // node whose timers are all far away sleeps until then instead of polling.
    auto next = wheel_.next_wakeup();
    std::uint64_t now = clock_.now_ms();
    if (next && *next <= now) continue;
    if (!next) {
      sleeping_until_ = UINT64_MAX;
      wake_.wait(guard);  // no timers: sleep until one is added (idle nodes stay idle)
    } else {
      sleeping_until_ = *next;
      wake_.wait_for(guard, std::chrono::milliseconds(*next - now));
    }
    sleeping_until_ = UINT64_MAX;
    wakeups_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace bitactor::detail

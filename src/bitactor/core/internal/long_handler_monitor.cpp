#include "bitactor/core/internal/long_handler_monitor.hpp"

#include <memory>
#include <string>
#include <vector>

#include "bitactor/core/internal/runtime.hpp"
#include "bitactor/core/system_messages.hpp"

namespace bitactor::detail {
namespace {

std::uint64_t now_ns() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

// What a thread is running, for the watchdog. One slot per thread that ever ran a monitored
// handler; slots live as long as the program, so the watchdog may read any of them.
struct thread_slot {
  std::atomic<const long_handler_monitor*> monitor{nullptr};
  std::atomic<const process*> running{nullptr};
  std::atomic<type_id> what{nullptr};
  std::atomic<std::uint64_t> since_ns{0};
  std::atomic<bool> reported{false};  // the watchdog told about this call already
};

struct slot_list {
  std::mutex lock;
  std::vector<std::unique_ptr<thread_slot>> slots;
};
slot_list& all_slots() {
  static slot_list list;
  return list;
}

thread_slot& this_thread_slot() {
  thread_local thread_slot* mine = [] {
    auto& list = all_slots();
    std::lock_guard guard(list.lock);
    list.slots.push_back(std::make_unique<thread_slot>());
    return list.slots.back().get();
  }();
  return *mine;
}

}  // namespace

long_handler_monitor::long_handler_monitor(runtime& rt, bool with_watchdog)
    : rt_(rt), with_watchdog_(with_watchdog) {}

long_handler_monitor::~long_handler_monitor() {
  {
    std::lock_guard guard(lock_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

void long_handler_monitor::set(const pid& receiver, std::chrono::milliseconds threshold) {
  const bool enable = receiver && threshold.count() > 0;
  {
    std::lock_guard guard(lock_);
    receiver_ = enable ? receiver : pid{};
    threshold_ns_.store(
        enable ? static_cast<std::uint64_t>(
                     std::chrono::duration_cast<std::chrono::nanoseconds>(threshold).count())
               : 0,
        std::memory_order_relaxed);
    if (enable && with_watchdog_ && !watchdog_.joinable()) {
      watchdog_ = std::thread([this] { watch(); });
    }
  }
  wake_.notify_all();
}

std::uint64_t long_handler_monitor::begin(const process& p, type_id what) noexcept {
  const std::uint64_t t = now_ns();
  if (with_watchdog_) {
    thread_slot& s = this_thread_slot();
    s.reported.store(false, std::memory_order_relaxed);
    s.what.store(what, std::memory_order_relaxed);
    s.since_ns.store(t, std::memory_order_relaxed);
    s.monitor.store(this, std::memory_order_relaxed);
    s.running.store(&p, std::memory_order_release);
  }
  return t;
}

void long_handler_monitor::end(const process& p, std::uint64_t started_ns, type_id what) {
  if (with_watchdog_) this_thread_slot().running.store(nullptr, std::memory_order_release);
  const std::uint64_t ran = now_ns() - started_ns;
  const std::uint64_t limit = threshold_ns_.load(std::memory_order_relaxed);
  if (limit != 0 && ran > limit) report(p, what, ran, true);
}

void long_handler_monitor::report(const process& p, type_id what, std::uint64_t ran_ns,
                                  bool finished) {
  pid to;
  {
    std::lock_guard guard(lock_);
    to = receiver_;
  }
  if (!to) return;
  long_handler event;
  event.process = rt_.pid_of(p);
  if (auto info = rt_.info(event.process); info && info->registered_name) {
    event.registered_name = *info->registered_name;
  }
  event.handling = what != nullptr ? type_name(what) : std::string("(on_start)");
  event.running_for =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(ran_ns));
  event.finished = finished;
  rt_.deliver(to, make_message<long_handler>(std::move(event)));
}

void long_handler_monitor::watch() {
  std::unique_lock guard(lock_);
  while (!stopping_) {
    const std::uint64_t limit = threshold_ns_.load(std::memory_order_relaxed);
    // Look four times per threshold: a stuck handler is named within 1.25 thresholds.
    const auto period = limit != 0 ? std::chrono::nanoseconds(limit / 4) : std::chrono::hours(1);
    wake_.wait_for(guard, std::max<std::chrono::nanoseconds>(period, std::chrono::milliseconds(1)));
    if (stopping_ || limit == 0) continue;
    guard.unlock();
    std::vector<thread_slot*> slots;
    {
      auto& list = all_slots();
      std::lock_guard list_guard(list.lock);
      for (auto& s : list.slots) slots.push_back(s.get());
    }
    const std::uint64_t now = now_ns();
    for (thread_slot* s : slots) {
      if (s->monitor.load(std::memory_order_relaxed) != this) continue;
      const process* p = s->running.load(std::memory_order_acquire);
      if (p == nullptr || s->reported.load(std::memory_order_relaxed)) continue;
      const std::uint64_t since = s->since_ns.load(std::memory_order_relaxed);
      if (now <= since || now - since <= limit) continue;
      type_id what = s->what.load(std::memory_order_relaxed);
      // Still the same call? (It may have ended, and another begun, since we read p.)
      if (s->running.load(std::memory_order_acquire) != p ||
          s->since_ns.load(std::memory_order_relaxed) != since) {
        continue;
      }
      s->reported.store(true, std::memory_order_relaxed);
      report(*p, what, now - since, false);
    }
    guard.lock();
  }
}

}  // namespace bitactor::detail

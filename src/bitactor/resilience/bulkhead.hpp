#pragma once
// A bulkhead: at most max_concurrent calls run at once through it (to one dependency, say),
// so a slow dependency ties up a bounded share of the system instead of all of it. Calls
// beyond the bound wait in a FIFO queue of at most max_waiting entries; a call that finds the
// queue full, or that waits longer than max_wait, is rejected with a `rejected` error (code
// bulkhead_full), thrown as a failure. Each rejection is emitted as
// {bitactor, bulkhead, rejected} (events.hpp).
//
// Two ways to wait for a turn, sharing one queue in arrival order:
//  - from a plain thread, call(fn) or enter() block the thread (bounded by max_wait);
//  - inside a behaviour, `auto turn = co_await bulkhead.enter(*this);` parks the coroutine
//    without holding a worker: the process is sent its turn as a message, like a call's
//    reply (so, as during a call, it handles no other message until then). If the process
//    ends while it waits, its place in the queue (or a turn handed to it) is given up.
// A turn is a bulkhead::permit; its destructor hands the slot to the next waiter.
//
//   resilience::bulkhead pool({.name = "pricing", .max_concurrent = 8, .max_waiting = 32,
//                              .max_wait = 100ms});
//   auto price = pool.call([&] { return pricing.quote(order); });
//
// Thread-safe; one short lock per enter and leave.

#include <bitactor/otp/behaviour.hpp>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "bitactor/resilience/error.hpp"

namespace bitactor::resilience {

struct bulkhead_config {
  std::string name{};
  std::size_t max_concurrent = 25;        // >= 1
  std::size_t max_waiting = 0;            // queued calls; zero: reject at once when full
  std::chrono::milliseconds max_wait{0};  // longest wait for a turn
};

class bulkhead {
 public:
  /// A turn: the slot is held until the permit is destroyed (or released).
  class permit {
   public:
    permit() = default;
    permit(permit&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    permit& operator=(permit&& other) noexcept {
      if (this != &other) {
        release();
        owner_ = std::exchange(other.owner_, nullptr);
      }
      return *this;
    }
    ~permit() { release(); }
    /// Hands the slot on now.
    void release() noexcept {
      if (auto* b = std::exchange(owner_, nullptr)) b->leave();
    }
    explicit operator bool() const noexcept { return owner_ != nullptr; }

   private:
    friend class bulkhead;
    explicit permit(bulkhead* owner) noexcept : owner_(owner) {}
    bulkhead* owner_ = nullptr;
  };

  explicit bulkhead(bulkhead_config config);
  bulkhead(const bulkhead&) = delete;
  bulkhead& operator=(const bulkhead&) = delete;

  /// A turn if one is free now and nobody waits before us; never waits, never throws.
  std::optional<permit> try_enter();
  /// A turn, waiting on this thread for up to max_wait; throws failure (rejected) otherwise.
  permit enter();
  /// Runs fn() in a turn taken with enter().
  template <class F>
  std::invoke_result_t<F&> call(F&& fn) {
    permit turn = enter();
    return fn();
  }

  class turn_awaiter;
  /// co_await enter(self) inside behaviour `self`: a turn, or throws failure (rejected).
  turn_awaiter enter(otp::behaviour& self);

  std::size_t active() const;
  std::size_t waiting() const;
  const std::string& name() const noexcept { return config_.name; }

  /// What a rejected call gets: rejected, code bulkhead_full, context bulkhead and reason.
  error rejection(std::string_view reason) const;

 private:
  // One entry of the queue: a blocked thread (woken through the condition variable) or a
  // parked coroutine (sent its turn as a call_reply with `tag`).
  struct waiter {
    node* n = nullptr;  // null for a thread
    pid process;
    ref tag;
    bool granted = false;
  };

  void leave() noexcept;
  /// Takes w out of the queue if it is still there; true if it was.
  bool withdraw_locked(waiter* w);
  [[noreturn]] void reject(std::string_view reason);

  bulkhead_config config_;
  mutable std::mutex lock_;
  std::condition_variable turn_given_;
  std::size_t active_ = 0;
  std::deque<waiter*> queue_;
};

class bulkhead::turn_awaiter {
 public:
  turn_awaiter(bulkhead& b, otp::behaviour& self);
  turn_awaiter(const turn_awaiter&) = delete;
  turn_awaiter& operator=(const turn_awaiter&) = delete;
  /// Gives up a place still queued, or a turn handed over but never taken (the process ended).
  ~turn_awaiter();

  bool await_ready();
  void await_suspend(std::coroutine_handle<> h);
  permit await_resume();

 private:
  bulkhead& owner_;
  otp::behaviour& self_;
  waiter entry_;
  bool queued_ = false;
  bool entered_ = false;  // holds a slot not yet handed to a permit
  std::optional<otp::behaviour::wait_awaiter> wait_;
};

}  // namespace bitactor::resilience

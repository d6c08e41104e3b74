#pragma once
// Internal: the production scheduler. One worker thread per core by default, each with
//  - a "next" slot (LIFO): the process this worker just made runnable runs next, on the same
//    core, while its message is hot in cache (ping-pong and rings never touch a queue);
//    capped per streak so two chatty processes cannot starve the rest;
//  - a FIFO run queue, which idle workers steal from (half at a time);
// plus a shared injection queue for non-worker threads, and a separate pool of threads for
// processes spawned as blocking (they may block in system calls without stalling workers).
// Idle workers spin briefly, then park on a futex until work arrives: an idle node uses no CPU.
//
// Queues are a mutex and a deque: with the next slot taking the hot path, their cost is
// off the per-message path, and they stay obviously correct under TSan.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bitactor/core/internal/scheduler.hpp"

namespace bitactor::detail {

class work_stealing_scheduler final : public scheduler {
 public:
  work_stealing_scheduler(std::size_t workers, std::size_t blocking_threads);
  ~work_stealing_scheduler() override;

  void start(turn_runner& runner) override;
  void stop() override;
  void schedule(process* p) override;
  void yield(process* p) override;
  std::size_t worker_count() const noexcept override { return workers_.size(); }
  bool on_worker_thread() const noexcept override;

  /// Number of workers parked right now (for idle tests and observability).
  std::size_t parked_workers() const noexcept { return sleepers_.load(); }
  /// Times any worker woke from parking.
  std::uint64_t wakeups() const noexcept { return wakeups_.load(); }

 private:
  struct worker {
    std::mutex lock;
    std::deque<process*> queue;
    std::atomic<std::size_t> size{0};
    process* next = nullptr;  // owner-only
    unsigned next_streak = 0;
    unsigned ticks = 0;
    std::thread thread;
  };

  void worker_main(std::size_t index);
  void blocking_main();
  process* find_work(worker& self, std::size_t index);
  process* steal(std::size_t thief);
  process* take_injected();
  bool any_queued() const noexcept;
  void push_local(worker& w, process* p);
  void inject(process* p);
  void notify_work();
  void park();
  worker* current_worker() const noexcept;

  turn_runner* runner_ = nullptr;
  std::vector<std::unique_ptr<worker>> workers_;
  std::mutex inject_lock_;
  std::deque<process*> injected_;
  std::atomic<std::size_t> injected_size_{0};
  std::atomic<std::uint32_t> epoch_{0};
  std::atomic<std::size_t> sleepers_{0};
  std::atomic<std::uint64_t> wakeups_{0};
  std::atomic<bool> stopping_{false};

  std::size_t blocking_count_;
  std::vector<std::thread> blocking_threads_;
  std::mutex blocking_lock_;
  std::condition_variable blocking_ready_;
  std::deque<process*> blocking_queue_;
  bool blocking_stopping_ = false;
};

}  // namespace bitactor::detail

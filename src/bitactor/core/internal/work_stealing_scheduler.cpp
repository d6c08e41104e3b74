#include "bitactor/core/internal/work_stealing_scheduler.hpp"

#include <chrono>

#include "bitactor/core/internal/process.hpp"
#include "bitactor/core/internal/spinlock.hpp"

namespace bitactor::detail {
namespace {

struct worker_identity {
  const void* scheduler = nullptr;
  void* worker = nullptr;
};
thread_local worker_identity tls_worker;

constexpr unsigned max_next_streak = 32;  // fairness cap for the LIFO "next" slot
// An idle worker keeps looking for work this long before it parks. Waking a parked worker
// costs the waker a futex call and the worker tens of microseconds on a virtual machine
// (its vCPU has halted), which a plain thread calling into the node pays twice per call
// (wake the worker, be woken by the reply). The BEAM's schedulers busy-wait for the same
// reason. Only work is followed by a spin: an idle node still parks and uses no CPU.
constexpr auto spin_before_park = std::chrono::microseconds(20);
constexpr int spins_between_clock_reads = 16;
// Every this many turns a worker looks at the shared injection queue first, so work sent
// from outside the workers is not starved by a worker whose own queue never empties (Go's
// scheduler does the same with its global run queue, every 61 ticks).
constexpr unsigned injection_check_interval = 61;

}  // namespace

work_stealing_scheduler::work_stealing_scheduler(std::size_t workers, std::size_t blocking_threads)
    : blocking_count_(blocking_threads) {
  for (std::size_t i = 0; i < workers; ++i) workers_.push_back(std::make_unique<worker>());
}

work_stealing_scheduler::~work_stealing_scheduler() { stop(); }

void work_stealing_scheduler::start(turn_runner& runner) {
  runner_ = &runner;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    workers_[i]->thread = std::thread([this, i] { worker_main(i); });
  }
  for (std::size_t i = 0; i < blocking_count_; ++i) {
    blocking_threads_.emplace_back([this] { blocking_main(); });
  }
}

void work_stealing_scheduler::stop() {
  if (stopping_.exchange(true)) return;
  epoch_.fetch_add(1);
  epoch_.notify_all();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
  {
    std::lock_guard guard(blocking_lock_);
    blocking_stopping_ = true;
  }
  blocking_ready_.notify_all();
  for (auto& t : blocking_threads_) t.join();
  blocking_threads_.clear();
}

work_stealing_scheduler::worker* work_stealing_scheduler::current_worker() const noexcept {
  return tls_worker.scheduler == this ? static_cast<worker*>(tls_worker.worker) : nullptr;
}

bool work_stealing_scheduler::on_worker_thread() const noexcept {
  return tls_worker.scheduler == this;
}

void work_stealing_scheduler::schedule(process* p) {
  if (p->on_blocking_pool) {
    {
      std::lock_guard guard(blocking_lock_);
      blocking_queue_.push_back(p);
    }
    blocking_ready_.notify_one();
    return;
  }
  worker* w = current_worker();
  if (w == nullptr) {
    inject(p);
    return;
  }
  // The newly runnable process runs next on this core; the one it displaces goes to the
  // stealable queue.
  process* displaced = w->next;
  w->next = p;
  if (displaced != nullptr) push_local(*w, displaced);
}

void work_stealing_scheduler::yield(process* p) {
  if (p->on_blocking_pool) {
    schedule(p);
    return;
  }
  if (worker* w = current_worker()) {
    push_local(*w, p);
  } else {
    inject(p);
  }
}

void work_stealing_scheduler::push_local(worker& w, process* p) {
  {
    std::lock_guard guard(w.lock);
    w.queue.push_back(p);
    w.size.store(w.queue.size(), std::memory_order_seq_cst);
  }
  notify_work();
}

void work_stealing_scheduler::inject(process* p) {
  {
    std::lock_guard guard(inject_lock_);
    injected_.push_back(p);
    injected_size_.store(injected_.size(), std::memory_order_seq_cst);
  }
  notify_work();
}

void work_stealing_scheduler::notify_work() {
  // Pairs with park(): the sleeper counts itself before re-checking the queues, we publish
  // the work before reading the count (both seq_cst), so one of us sees the other.
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    epoch_.notify_one();
  }
}

bool work_stealing_scheduler::any_queued() const noexcept {
  if (injected_size_.load(std::memory_order_seq_cst) > 0) return true;
  for (const auto& w : workers_) {
    if (w->size.load(std::memory_order_seq_cst) > 0) return true;
  }
  return false;
}

process* work_stealing_scheduler::steal(std::size_t thief) {
  std::size_t n = workers_.size();
  for (std::size_t k = 1; k < n; ++k) {
    worker& victim = *workers_[(thief + k) % n];
    if (victim.size.load(std::memory_order_relaxed) == 0) continue;
    std::unique_lock guard(victim.lock, std::try_to_lock);
    if (!guard.owns_lock() || victim.queue.empty()) continue;
    // Take half of the victim's queue: one to run now, the rest into our own queue.
    std::size_t take = (victim.queue.size() + 1) / 2;
    process* first = victim.queue.front();
    victim.queue.pop_front();
    std::vector<process*> rest;
    for (std::size_t i = 1; i < take; ++i) {
      rest.push_back(victim.queue.front());
      victim.queue.pop_front();
    }
    victim.size.store(victim.queue.size(), std::memory_order_seq_cst);
    guard.unlock();
    if (!rest.empty()) {
      worker& self = *workers_[thief];
      std::lock_guard own(self.lock);
      for (process* p : rest) self.queue.push_back(p);
      self.size.store(self.queue.size(), std::memory_order_seq_cst);
    }
    return first;
  }
  return nullptr;
}

process* work_stealing_scheduler::find_work(worker& self, std::size_t index) {
  if (++self.ticks % injection_check_interval == 0) {
    if (process* p = take_injected()) return p;
  }
  if (self.next != nullptr) {
    // The cap matters only when something else is waiting; otherwise pushing the process out
    // would just wake another worker to steal it and bounce a chain across cores.
    if (self.next_streak >= max_next_streak && self.size.load(std::memory_order_relaxed) == 0 &&
        injected_size_.load(std::memory_order_relaxed) == 0) {
      self.next_streak = 0;
    }
    if (self.next_streak < max_next_streak) {
      ++self.next_streak;
      process* p = self.next;
      self.next = nullptr;
      return p;
    }
    push_local(self, self.next);  // let queued processes run before the chatty pair goes on
    self.next = nullptr;
  }
  self.next_streak = 0;
  if (self.size.load(std::memory_order_relaxed) > 0) {
    std::lock_guard guard(self.lock);
    if (!self.queue.empty()) {
      process* p = self.queue.front();
      self.queue.pop_front();
      self.size.store(self.queue.size(), std::memory_order_seq_cst);
      return p;
    }
  }
  if (process* p = take_injected()) return p;
  return steal(index);
}

process* work_stealing_scheduler::take_injected() {
  if (injected_size_.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard guard(inject_lock_);
  if (injected_.empty()) return nullptr;
  process* p = injected_.front();
  injected_.pop_front();
  injected_size_.store(injected_.size(), std::memory_order_seq_cst);
  return p;
}

void work_stealing_scheduler::park() {
  std::uint32_t seen = epoch_.load(std::memory_order_seq_cst);
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  if (!any_queued() && !stopping_.load()) {
    epoch_.wait(seen, std::memory_order_seq_cst);
    wakeups_.fetch_add(1, std::memory_order_relaxed);
  }
  sleepers_.fetch_sub(1, std::memory_order_seq_cst);
}

void work_stealing_scheduler::worker_main(std::size_t index) {
  worker& self = *workers_[index];
  tls_worker = {this, &self};
  int idle_spins = 0;
  std::chrono::steady_clock::time_point idle_since;
  while (true) {
    if (process* p = find_work(self, index)) {
      idle_spins = 0;
      runner_->run_turn(p);
      continue;
    }
    if (stopping_.load()) break;
    if (idle_spins++ == 0) idle_since = std::chrono::steady_clock::now();
    if (idle_spins % spins_between_clock_reads != 0 ||
        std::chrono::steady_clock::now() - idle_since < spin_before_park) {
      cpu_relax();
      continue;
    }
    idle_spins = 0;
    park();
  }
  tls_worker = {};
}

void work_stealing_scheduler::blocking_main() {
  tls_worker = {this, nullptr};
  std::unique_lock guard(blocking_lock_);
  while (true) {
    blocking_ready_.wait(guard, [&] { return blocking_stopping_ || !blocking_queue_.empty(); });
    if (blocking_queue_.empty()) break;
    process* p = blocking_queue_.front();
    blocking_queue_.pop_front();
    guard.unlock();
    runner_->run_turn(p);
    guard.lock();
  }
  tls_worker = {};
}

}  // namespace bitactor::detail

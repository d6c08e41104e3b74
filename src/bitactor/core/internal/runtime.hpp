#pragma once
// Internal: the engine behind a node. Public code uses node and actor, whose out-of-line
// members call in here; the layers built with core reach it with runtime_of(node).
//
// Where things happen:
//  - deliver():    how a message or signal reaches a process (any thread)
//  - run_turn():   one scheduling turn of a process: take signals and messages out of the
//                  mailbox, apply signals, hand up to `batch` messages to the actor
//  - apply():      carries out Erlang's rules for link / unlink / exit / monitor / down
//                  signals (the rules themselves: signal_rules.hpp)
//  - terminate():  a process ends: links and monitors are told, the name is freed

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bitactor/core/actor.hpp"
#include "bitactor/core/error.hpp"
#include "bitactor/core/exit_reason.hpp"
#include "bitactor/core/internal/clock.hpp"
#include "bitactor/core/internal/long_handler_monitor.hpp"
#include "bitactor/core/internal/process.hpp"
#include "bitactor/core/internal/process_table.hpp"
#include "bitactor/core/internal/registry.hpp"
#include "bitactor/core/internal/remote_router.hpp"
#include "bitactor/core/internal/scheduler.hpp"
#include "bitactor/core/internal/sharded_counter.hpp"
#include "bitactor/core/internal/timer_service.hpp"
#include "bitactor/core/message.hpp"
#include "bitactor/core/node.hpp"
#include "bitactor/core/node_config.hpp"
#include "bitactor/core/pid.hpp"
#include "bitactor/core/process_info.hpp"
#include "bitactor/core/system_messages.hpp"

namespace bitactor::detail {

class signal;
class deterministic_scheduler;
class work_stealing_scheduler;

class runtime final : public turn_runner {
 public:
  runtime(node& owner, const node_config& config);
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  node& owner() noexcept { return owner_; }
  const node_config& config() const noexcept { return config_; }
  std::uint32_t node_index() const noexcept { return node_index_; }

  pid pid_of(const process& p) const noexcept {
    return pid{node_index_, p.slot + 1, p.serial(), config_.creation};
  }
  ref make_ref() noexcept;
  /// True while this thread runs the handler of a process that is not on the blocking pool:
  /// a thread-side wait (inbox receive, and so otp::call or start from a thread) would then
  /// hold a scheduler worker, or re-enter the deterministic scheduler, and deadlock.
  static bool in_scheduled_handler() noexcept;
  /// The process whose turn this thread is running, nullptr outside turns: the sender of what
  /// the turn hands to the remote router (the dist layer keeps each sender's order with it).
  static const process* running() noexcept;
  /// Called back with a function that makes the parked process runnable again (any thread).
  using park_fn = std::function<void(std::function<void()> resume)>;
  /// From inside a turn, on the thread running it: once the turn ends, the process is not run
  /// again until `park` has called the resume function it is given; messages and signals
  /// wait in its mailbox meanwhile (as BEAM suspends a process sending to a busy distribution
  /// port). Outside a turn, and for a process that ends in this turn, nothing happens. For
  /// the distribution's busy limit (dist_config::busy_limit_bytes).
  static void park_after_turn(park_fn park);

  /// Starts a process running `a` (which must not be attached yet). Throws system_limit at the
  /// process limit and node_stopped once the node is stopping.
  pid spawn(std::unique_ptr<actor> a, std::size_t actor_bytes, const spawn_options& options);
  /// spawn() of a new A(args...).
  template <class A, class... Args>
  pid spawn_as(spawn_options options, Args&&... args) {
    options.needs_start = has_on_start<A>;
    return spawn(std::make_unique<A>(std::forward<Args>(args)...), sizeof(A), options);
  }

  /// Hands m to the process `to` (any thread; takes ownership). To a dead or unknown pid it
  /// is dropped, as in Erlang; a link or monitor signal is answered with noproc instead.
  void deliver(const pid& to, message* m);

  /// Installs (or, with nullptr, removes) the router that takes messages and signals to pids
  /// of other nodes; without one they are dropped. The router must outlive every deliver()
  /// that may see it: remove it only once no process runs (after stop()).
  void set_remote_router(remote_router* r) noexcept { router_.store(r, std::memory_order_release); }

  // Operations of a process on itself; called only from that process's turn.
  void link(process& self, const pid& other);
  void unlink(process& self, const pid& other);
  ref monitor(process& self, const pid& other);
  /// erlang:monitor(process, {name, node}): on this node's own name the process registered as
  /// `name` (none: DOWN noproc at once), on another through the router (none: DOWN
  /// noconnection at once).
  ref monitor_name(process& self, std::string_view name, std::string_view node);
  /// `{name, node} ! msg`: on this node's own name a local send to the registered name
  /// (dropped when none has it), on another through the router.
  void send_named(const pid& from, std::string_view name, std::string_view node, term::term msg);
  bool demonitor(process& self, const ref& r, bool flush);
  /// The two halves of a monitor ended by a reply (actor::end_monitor_by, forget_monitor).
  static bool end_monitor_by(process& self, const pid& watcher, const ref& r);
  static bool forget_monitor(process& self, const ref& r);
  void add_link_locally(process& self, const pid& other);
  void add_monitor_locally(process& self, const ref& r, const pid& target);

  /// link()/monitor() for a process that is not the caller: an inbox, whose relations a plain
  /// thread sets up (they are guarded by the relations lock; its handler never touches them).
  void link_on_behalf(const pid& self, const pid& other);
  ref monitor_on_behalf(const pid& self, const pid& other);
  /// Records that `self` monitors `target` under `r` without sending the monitor signal: for
  /// the remote router, which sends a monitor of a name itself (`target` then stands for the
  /// name's node). A DOWN under `r` is then delivered, and a demonitor or the exit of `self`
  /// goes to `target`. badarg if `self` is not alive.
  void record_monitor(const pid& self, const ref& r, const pid& target);

  /// actor::stop(): `self` (running on this thread) ends with `reason` once its handler returns.
  void request_stop(process& self, exit_reason reason);

  /// exit/2: sends an exit signal; `from` may be no pid (a plain thread).
  void send_exit(const pid& from, const pid& to, exit_reason reason);

  /// Delivers m to `to` after delay. `stamp`, if given, writes the timer's ref into m before
  /// the timer can fire (start_timer's timeout_msg carries it).
  timer_ref send_after(std::chrono::milliseconds delay, const pid& to, message* m,
                       timer_service::stamp_fn stamp = nullptr);
  std::optional<std::chrono::milliseconds> cancel_timer(timer_ref r);

  void register_name(std::string_view name, const pid& p);
  void unregister_name(std::string_view name);
  std::optional<pid> whereis(std::string_view name) const { return registry_.find(name); }
  std::vector<std::string> registered() const { return registry_.names(); }

  std::vector<pid> processes() const;
  std::optional<process_info> info(const pid& p) const;
  bool is_alive(const pid& p) const noexcept;
  node_counters counters() const;

  /// Ends every process with reason shutdown, then stops the scheduler and timers.
  void stop();
  /// Marks the calling process as one that stops in order on a shutdown exit signal from its
  /// parent (the behaviours): node stop waits for it (see stop_in_order).
  static void mark_orderly(process& self) noexcept {
    self.orderly.store(true, std::memory_order_release);
  }
  bool stopping() const noexcept { return stopping_.load(); }

  // Deterministic policy only.
  deterministic_scheduler* deterministic() noexcept { return det_; }
  virtual_clock_source* virtual_clock() noexcept { return vclock_; }
  /// Runs turns, firing timers as virtual time reaches them, until nothing is runnable and
  /// no timer is due at or before `deadline_ms`. Returns true if `until()` became true.
  template <class Pred>
  bool run_deterministic(std::uint64_t deadline_ms, Pred until);
  void advance_time(std::chrono::milliseconds by);
  std::uint64_t now_ms() const noexcept { return clock_->now_ms(); }

  void run_turn(process* p) override;
  scheduler& sched() noexcept { return *scheduler_; }
  std::size_t parked_workers() const noexcept;

  /// node::monitor_long_handlers.
  void monitor_long_handlers(const pid& receiver, std::chrono::milliseconds threshold) {
    long_handlers_.set(receiver, threshold);
  }
  /// actor::yield_point(): takes in what arrived for `self` during its handler; an exit
  /// signal that ends it unwinds the handler from here.
  void yield_point(process& self);

 private:
  process* claim_slot();
  void undeliverable(message* m, const pid& to);
  void drain_dead(process& p);
  /// Applies a signal (signal_rules.hpp) and carries out what it asks; returns the reason the
  /// process must exit with, if it must.
  std::optional<exit_reason> apply(process& p, signal& s);
  void terminate(process& p, exit_reason reason);
  void end_turn(process& p);
  void release_turn(process& p);
  void stop_in_order();
  void orderly_exited();
  void take_in(process& p, std::optional<exit_reason>& dies);
  void handle_timed(process& p, message& m);  // a handler call, timed for the monitor

  node& owner_;
  node_config config_;
  std::uint32_t node_index_;
  std::unique_ptr<clock_source> clock_;
  virtual_clock_source* vclock_ = nullptr;
  std::unique_ptr<scheduler> scheduler_;
  deterministic_scheduler* det_ = nullptr;
  work_stealing_scheduler* ws_ = nullptr;
  process_table table_;
  registry registry_;
  timer_service timers_;

  std::atomic<remote_router*> router_{nullptr};
  std::atomic<std::uint64_t> next_ref_{1};
  std::atomic<std::size_t> alive_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> orderly_left_{0};  // roots stop() waits for (stop_in_order)
  bool stopped_ = false;
  std::mutex stop_lock_;
  // Processes parked after their turn (park_after_turn), and what resumes each.
  std::mutex parked_lock_;
  std::unordered_map<const process*, std::function<void()>> parked_;
  void wake_parked(const process* p);
  /// end_turn of a process that asked to park: parks it (true), or, when an exit signal had
  /// already come, lets it die of that (false).
  bool park_or_die(process& p, const park_fn& park);
  std::condition_variable all_exited_;

  sharded_counter spawned_;
  sharded_counter exited_;
  sharded_counter exited_abnormal_;
  sharded_counter crashed_;
  sharded_counter messages_;
  // Last: destroyed first, so its watchdog stops before anything it reports through.
  long_handler_monitor long_handlers_;
};

}  // namespace bitactor::detail

#include "bitactor/core/internal/deterministic_scheduler.hpp"

namespace bitactor::detail {

template <class Pred>
bool runtime::run_deterministic(std::uint64_t deadline_ms, Pred until) {
  while (true) {
    if (until()) return true;
    if (det_->step()) continue;
    timers_.fire_due();
    if (!det_->idle()) continue;
    auto next = timers_.next_wakeup();
    std::uint64_t now = vclock_->now_ms();
    if (!next || *next > deadline_ms) {
      if (deadline_ms != UINT64_MAX && deadline_ms > now) vclock_->advance_to(deadline_ms);
      return until();
    }
    if (*next > now) vclock_->advance_to(*next);
    timers_.fire_due();
  }
}

}  // namespace bitactor::detail

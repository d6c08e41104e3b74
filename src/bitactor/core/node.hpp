#pragma once
// A node: the schedulers, the process table, timers and the name registry, like one BEAM
// node. Construct it to start it; destroy it (or call stop()) to end every process with
// reason shutdown, run their destructors and join the threads.
//
//   bitactor::node n;                                   // one worker per hardware thread
//   bitactor::pid p = n.spawn<counter>();
//   n.send(p, increment{5});
//
// Everything here may be called from any thread, including from inside processes, except
// stop() (not from a process of this node) and the deterministic-policy functions (only from
// the thread that drives that node).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitactor/core/actor.hpp"
#include "bitactor/core/internal/runtime.hpp"
#include "bitactor/core/node_config.hpp"
#include "bitactor/core/process_info.hpp"

namespace bitactor {

class node {
 public:
  /// Starts the node. Throws config_error if the configuration is invalid.
  explicit node(node_config config = {});
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  const node_config& config() const noexcept { return rt_->config(); }
  /// This node's name, e.g. "nonode@nohost".
  const std::string& name() const noexcept { return rt_->config().name; }

  // --- processes ----------------------------------------------------------------------------

  /// Spawns a process running a new A(args...). Throws system_limit at max_processes and
  /// node_stopped once the node is stopping.
  template <class A, class... Args>
  requires std::derived_from<A, actor> pid spawn(Args&&... args) {
    return rt_->spawn_as<A>({}, std::forward<Args>(args)...);
  }
  /// Spawns a process running a callable `void(actor& self, message& m)`.
  template <process_function F>
  pid spawn(F&& f) {
    return rt_->spawn_as<function_actor<std::decay_t<F>>>({}, std::forward<F>(f));
  }
  /// Like spawn, but the process's turns run on the blocking pool, so its handlers may block
  /// (file or socket I/O, a C library call) without holding up scheduler workers.
  template <class A, class... Args>
  requires std::derived_from<A, actor> pid spawn_blocking(Args&&... args) {
    return rt_->spawn_as<A>(blocking_options(), std::forward<Args>(args)...);
  }
  template <process_function F>
  pid spawn_blocking(F&& f) {
    return rt_->spawn_as<function_actor<std::decay_t<F>>>(blocking_options(), std::forward<F>(f));
  }

  /// Moves msg into the mailbox of `to`; a no-op if `to` is dead or unknown (as in Erlang).
  template <class T>
  void send(const pid& to, T&& msg) {
    rt_->deliver(to, make_message<std::decay_t<T>>(std::forward<T>(msg)));
  }
  /// Sends to a registered name; throws badarg if nothing is registered under it.
  template <class T>
  void send(std::string_view name, T&& msg) {
    auto to = rt_->whereis(name);
    if (!to) throw badarg("send: no process registered as '" + std::string(name) + "'");
    send(*to, std::forward<T>(msg));
  }
  /// Sends an exit signal to `to` from no process (erlang:exit/2 from outside).
  void exit(const pid& to, exit_reason reason) { rt_->send_exit(pid{}, to, std::move(reason)); }

  // --- timers -------------------------------------------------------------------------------

  template <class T>
  timer_ref send_after(const pid& to, std::chrono::milliseconds delay, T&& msg) {
    return rt_->send_after(delay, to, make_message<std::decay_t<T>>(std::forward<T>(msg)));
  }
  std::optional<std::chrono::milliseconds> cancel_timer(timer_ref r) {
    return rt_->cancel_timer(r);
  }

  // --- registry -----------------------------------------------------------------------------

  /// Throws badarg if the name is taken, the pid is dead, or it already has a name.
  void register_name(std::string_view name, const pid& p) { rt_->register_name(name, p); }
  /// Throws badarg if the name is not registered.
  void unregister_name(std::string_view name) { rt_->unregister_name(name); }
  std::optional<pid> whereis(std::string_view name) const { return rt_->whereis(name); }
  /// Registered names, sorted.
  std::vector<std::string> registered() const { return rt_->registered(); }

  // --- introspection ------------------------------------------------------------------------

  std::vector<pid> processes() const { return rt_->processes(); }
  /// nullopt if p is not alive.
  std::optional<process_info> info(const pid& p) const { return rt_->info(p); }
  bool is_alive(const pid& p) const noexcept { return rt_->is_alive(p); }
  node_counters counters() const { return rt_->counters(); }
  /// Workers parked right now (production policy; 0 for deterministic).
  std::size_t parked_workers() const noexcept { return rt_->parked_workers(); }

  /// Ends every process with reason shutdown (trapping does not prevent it), waits for them,
  /// stops timers and joins the threads. Idempotent; the destructor calls it.
  void stop() { rt_->stop(); }

  // --- deterministic policy -----------------------------------------------------------------

  /// Runs turns (in seeded order) until no process is runnable; returns how many ran.
  std::size_t run_until_idle();
  /// Advances virtual time, firing due timers and running until idle after each.
  void advance_time(std::chrono::milliseconds by);
  /// Virtual (deterministic) or real milliseconds since the node started.
  std::chrono::milliseconds now() const { return std::chrono::milliseconds(rt_->now_ms()); }

  detail::runtime& runtime() noexcept { return *rt_; }

 private:
  static detail::spawn_options blocking_options() {
    detail::spawn_options o;
    o.blocking = true;
    return o;
  }
  std::unique_ptr<detail::runtime> rt_;
};

}  // namespace bitactor

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
#include "bitactor/core/error.hpp"
#include "bitactor/core/node_config.hpp"
#include "bitactor/core/process_info.hpp"

namespace bitactor {

namespace detail {
class runtime;
/// The engine behind a node, for the layers built with core (internal/runtime.hpp).
runtime& runtime_of(node& n) noexcept;
}  // namespace detail

class node {
 public:
  /// Starts the node. Throws config_error if the configuration is invalid.
  explicit node(node_config config = {});
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  const node_config& config() const noexcept;
  /// This node's name, e.g. "nonode@nohost".
  const std::string& name() const noexcept { return config().name; }

  // --- processes ----------------------------------------------------------------------------

  /// Spawns a process running a new A(args...). Throws system_limit at max_processes and
  /// node_stopped once the node is stopping.
  template <class A, class... Args>
  requires std::derived_from<A, actor> pid spawn(Args&&... args) {
    return spawn_new(detail::make_actor<A>(std::forward<Args>(args)...), false);
  }
  /// Spawns a process running a callable `void(actor& self, message& m)`.
  template <process_function F>
  pid spawn(F&& f) {
    return spawn<function_actor<std::decay_t<F>>>(std::forward<F>(f));
  }
  /// Like spawn, but the process's turns run on the blocking pool, so its handlers may block
  /// (file or socket I/O, a C library call) without holding up scheduler workers.
  template <class A, class... Args>
  requires std::derived_from<A, actor> pid spawn_blocking(Args&&... args) {
    return spawn_new(detail::make_actor<A>(std::forward<Args>(args)...), true);
  }
  template <process_function F>
  pid spawn_blocking(F&& f) {
    return spawn_blocking<function_actor<std::decay_t<F>>>(std::forward<F>(f));
  }

  /// Moves msg into the mailbox of `to`; a no-op if `to` is dead or unknown (as in Erlang).
  template <detail::message_value T>
  void send(const pid& to, T&& msg) {
    detail::deliver(*rt_, to, make_message<std::decay_t<T>>(std::forward<T>(msg)));
  }
  /// Sends a message that already has its envelope: no copy.
  void send(const pid& to, message_ptr m) { detail::deliver(*rt_, to, m.release()); }
  /// Sends to a registered name; throws badarg if nothing is registered under it.
  template <class T>
  void send(std::string_view name, T&& msg) {
    send(resolve(name), std::forward<T>(msg));
  }
  /// Sends an exit signal to `to` from no process (erlang:exit/2 from outside).
  void exit(const pid& to, exit_reason reason);

  /// A new reference, unique on this node (erlang:make_ref/0).
  ref make_ref() noexcept;

  // --- timers -------------------------------------------------------------------------------

  template <detail::message_value T>
  timer_ref send_after(const pid& to, std::chrono::milliseconds delay, T&& msg) {
    return send_after(to, delay, message_ptr(make_message<std::decay_t<T>>(std::forward<T>(msg))));
  }
  timer_ref send_after(const pid& to, std::chrono::milliseconds delay, message_ptr m);
  std::optional<std::chrono::milliseconds> cancel_timer(timer_ref r);

  // --- registry -----------------------------------------------------------------------------

  /// Throws badarg if the name is taken, the pid is dead, or it already has a name.
  void register_name(std::string_view name, const pid& p);
  /// Throws badarg if the name is not registered.
  void unregister_name(std::string_view name);
  std::optional<pid> whereis(std::string_view name) const;
  /// Registered names, sorted.
  std::vector<std::string> registered() const;

  // --- introspection ------------------------------------------------------------------------

  std::vector<pid> processes() const;
  /// nullopt if p is not alive.
  std::optional<process_info> info(const pid& p) const;
  bool is_alive(const pid& p) const noexcept;
  node_counters counters() const;
  /// The long-run monitor (erlang:system_monitor(Receiver, [{long_schedule, T}]) for
  /// handlers): every handler call that runs longer than `threshold` sends `receiver` a
  /// long_handler message (system_messages.hpp) when it returns, and on the threaded policy
  /// also once while it is still running past the threshold. One receiver per node; a zero
  /// threshold turns it off. Off by default; when on, each handler call reads the clock twice.
  void monitor_long_handlers(const pid& receiver, std::chrono::milliseconds threshold);
  /// Workers parked right now (production policy; 0 for deterministic).
  std::size_t parked_workers() const noexcept;

  /// Ends every process with reason shutdown (trapping does not prevent it), waits for them,
  /// stops timers and joins the threads. Idempotent; the destructor calls it.
  void stop();

  // --- deterministic policy -----------------------------------------------------------------

  /// Runs turns (in seeded order) until no process is runnable; returns how many ran.
  std::size_t run_until_idle();
  /// Advances virtual time, firing due timers and running until idle after each.
  void advance_time(std::chrono::milliseconds by);
  /// Virtual (deterministic) or real milliseconds since the node started.
  std::chrono::milliseconds now() const;

 private:
  friend detail::runtime& detail::runtime_of(node& n) noexcept;
  /// The out-of-line half of spawn and spawn_blocking.
  pid spawn_new(detail::new_actor a, bool blocking);
  pid resolve(std::string_view name) const;

  std::unique_ptr<detail::runtime> rt_;
};

}  // namespace bitactor

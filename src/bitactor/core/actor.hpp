#pragma once
// The base class of every process's behaviour. A process is an actor object plus a mailbox:
// the runtime calls on_start() once, then handle() for each message, one at a time, never
// concurrently. Between messages the process has no stack and no thread, only this object.
//
//   struct counter : bitactor::actor {
//     int n = 0;
//     void handle(bitactor::message& m) override {
//       if (auto* inc = m.get_if<increment>()) n += inc->by;
//       else if (auto* q = m.get_if<query>()) send(q->reply_to, n);
//     }
//   };
//
// The member functions below act for this process (self()): call them only from on_start()
// and handle() of this actor. An exception escaping on_start() or handle() ends the process
// with exit_reason::exception naming the exception's type and message; linked and monitoring
// processes are told, nothing else is affected.

#include <chrono>
#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "bitactor/core/error.hpp"
#include "bitactor/core/exit_reason.hpp"
#include "bitactor/core/message.hpp"
#include "bitactor/core/pid.hpp"
#include "bitactor/core/system_messages.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor {

class node;
class actor;

namespace detail {
class process;
class runtime;

/// True when A (or a base between it and actor) overrides on_start(): only then does a new
/// process need a first turn before its first message (spawning a million idle processes
/// then costs no scheduling at all).
template <class A>
constexpr bool has_on_start = !std::is_same_v<decltype(&A::on_start), void (actor::*)()>;

/// Thrown by actor::exit(reason) to end the calling process at once, as Erlang's exit/1 does.
/// Deliberately not a std::exception, so `catch (const std::exception&)` in user code does not
/// swallow it.
struct process_exit {
  exit_reason reason;
};

/// Thrown by actor::yield_point() when an exit signal that arrived during the handler ends the
/// process (a kill, or an exit it does not trap). It unwinds the handler without running any
/// behaviour's terminate, as OTP does for such exits; not a std::exception either.
struct ended_by_signal {
  exit_reason reason;
};

/// How a new process starts and what it is tied to; filled in by the spawn functions.
struct spawn_options {
  pid link_to;       // spawn_link: the parent
  pid monitored_by;  // spawn_monitor: the parent ...
  ref monitor_ref;   // ... under this ref
  bool blocking = false;
  bool trap_exit = false;
  bool needs_start = true;  // run on_start() in a first turn (false: wait for a message)
};

/// An actor made by a spawn template, on its way to the runtime's out-of-line spawn.
struct new_actor {
  std::unique_ptr<actor> behaviour;
  std::size_t bytes;  // sizeof the concrete type, for process_info's memory figure
  bool needs_start;
};

/// runtime::deliver for the send templates of actor and node: their one out-of-line call.
void deliver(runtime& rt, const pid& to, message* m);

template <class A, class... Args>
new_actor make_actor(Args&&... args) {
  return {std::make_unique<A>(std::forward<Args>(args)...), sizeof(A), has_on_start<A>};
}

/// A message type that the send templates build an envelope for (an envelope itself is sent
/// with the message_ptr overloads).
template <class T>
concept message_value = !std::same_as<std::remove_cvref_t<T>, message_ptr>;
}  // namespace detail

/// A callable usable as a process: `void(actor& self, message& m)`.
template <class F>
concept process_function = std::invocable<F&, actor&, message&>;

template <class F>
class function_actor;

class actor {
 public:
  actor() = default;
  virtual ~actor() = default;
  actor(const actor&) = delete;
  actor& operator=(const actor&) = delete;

  /// Called once, in the process, before the first message. self() is valid from here on
  /// (not in the constructor).
  virtual void on_start() {}
  /// Called for each message, in the order delivered. Messages not of interest are simply
  /// ignored (return without acting); there is no implicit selective receive.
  virtual void handle(message& m) = 0;

  pid self() const noexcept;
  bitactor::node& this_node() const noexcept;
  /// A new reference, unique on this node (erlang:make_ref/0).
  ref make_ref() const noexcept;

  // --- messages -------------------------------------------------------------------------

  /// Moves msg into the mailbox of `to`. To a dead pid this does nothing (as in Erlang).
  template <detail::message_value T>
  void send(const pid& to, T&& msg) {
    detail::deliver(*rt_, to, make_message<std::decay_t<T>>(std::forward<T>(msg)));
  }
  /// Sends a message that already has its envelope (one taken with keep(), say): no copy.
  void send(const pid& to, message_ptr m) { detail::deliver(*rt_, to, m.release()); }
  /// Sends to a registered name; throws badarg if no process has that name (erlang:send/2).
  template <class T>
  void send(std::string_view name, T&& msg) {
    send(resolve(name), std::forward<T>(msg));
  }
  /// `{name, node} ! msg` (erlang:send/2 to {Name, Node}): to the process registered as
  /// `name` on the node named `node` (alive@host), through the distribution; on this node's
  /// own name, to the local registered process. Dropped, as in Erlang, when nobody has the
  /// name or the node cannot be reached. Across nodes messages are terms.
  void send(std::string_view name, std::string_view node, term::term msg);
  /// Takes ownership of the message being handled (e.g. to postpone it); the runtime will
  /// not destroy it after handle() returns.
  /// `m` must be the message handle() was called with.
  message_ptr keep(message& m) noexcept;

  // --- processes --------------------------------------------------------------------------

  template <class A, class... Args>
  requires std::derived_from<A, actor> pid spawn(Args&&... args) {
    return spawn_child(detail::make_actor<A>(std::forward<Args>(args)...), child_tie::none).first;
  }
  template <process_function F>
  pid spawn(F&& f) {
    return spawn<function_actor<std::decay_t<F>>>(std::forward<F>(f));
  }

  /// Spawns a process linked to this one, atomically (no window in which it runs unlinked).
  template <class A, class... Args>
  requires std::derived_from<A, actor> pid spawn_link(Args&&... args) {
    return spawn_child(detail::make_actor<A>(std::forward<Args>(args)...), child_tie::link).first;
  }
  template <process_function F>
  pid spawn_link(F&& f) {
    return spawn_link<function_actor<std::decay_t<F>>>(std::forward<F>(f));
  }

  /// Spawns a process monitored by this one, atomically. Returns its pid and monitor ref.
  template <class A, class... Args>
  requires std::derived_from<A, actor> std::pair<pid, ref> spawn_monitor(Args&&... args) {
    return spawn_child(detail::make_actor<A>(std::forward<Args>(args)...), child_tie::monitor);
  }
  template <process_function F>
  std::pair<pid, ref> spawn_monitor(F&& f) {
    return spawn_monitor<function_actor<std::decay_t<F>>>(std::forward<F>(f));
  }

  /// Links this process and `other` (erlang:link/1). Linking a dead pid makes this process
  /// receive an exit signal with reason noproc.
  void link(const pid& other);
  /// Removes the link (erlang:unlink/1). No exit signal from the old link affects this
  /// process afterwards, even one already in flight (OTP 23+ unlink protocol).
  void unlink(const pid& other);
  /// Monitors `other` (erlang:monitor(process, Pid)); a down_msg arrives when it exits, with
  /// reason noproc if it is already dead. Each call creates an independent monitor.
  ref monitor(const pid& other);
  /// erlang:monitor(process, {Name, Node}): monitors whichever process has the name on that
  /// node now. Its down_msg comes when that process ends, with noproc at once when nobody has
  /// the name, with noconnection when the node cannot be reached or is lost; its `process` is
  /// then the null pid when no process was found.
  ref monitor(std::string_view name, std::string_view node);
  /// Removes a monitor; with flush, also removes its down_msg if already delivered. Returns
  /// false if the monitor was not active.
  bool demonitor(const ref& r, bool flush = false);
  /// For reply protocols (the monitor a call holds on its server, as otp's call does): ends
  /// the monitor `r` that `watcher` holds on this process, as the watcher's demonitor will
  /// when it arrives; true if it was active. Told so in the reply, the watcher ends its half
  /// with forget_monitor(r) instead of demonitor, and no demonitor signal travels back.
  bool end_monitor_by(const pid& watcher, const ref& r);
  /// Forgets monitor `r` this process holds without telling its target: for a monitor whose
  /// target has ended its half (end_monitor_by). False if it was not active.
  bool forget_monitor(const ref& r);

  /// Declares that this process stops in order when its parent sends it a shutdown exit
  /// signal (the behaviours do): node stop then waits for it to end (up to the node's
  /// stop_timeout) before ending the rest by force.
  void shuts_down_in_order() noexcept;

  /// With trapping on, exit signals arrive as exit_msg instead of ending this process
  /// (except exit(pid, kill), which is untrappable).
  void trap_exit(bool on) noexcept;
  bool trapping_exits() const noexcept;

  /// A point in a long-running handler where signals that arrived meanwhile take effect
  /// (a handler cannot be preempted: see docs/explanation/runtime.md). Links, monitors and
  /// exit signals are applied as between handlers; one that ends the process (a kill, or an
  /// exit signal it does not trap) unwinds the handler from here, running no terminate.
  /// Messages that arrived are queued for later handlers. Costs one atomic load when nothing
  /// arrived: call it every few thousand iterations of a long loop.
  void yield_point();
  /// Ends this process now with `reason` (erlang:exit/1). Does not return.
  [[noreturn]] void exit(exit_reason reason) { throw detail::process_exit{std::move(reason)}; }
  /// Ends this process with `reason` as soon as the running handler (or on_start) returns:
  /// the same end as exit(reason), without unwinding the stack. Prefer it when the handler
  /// has nothing left to do; it costs nanoseconds where a throw costs microseconds.
  void stop(exit_reason reason);
  /// Whether stop() was called in the running handler (the process ends when it returns).
  bool stop_pending() const noexcept;
  /// Sends an exit signal to `to` (erlang:exit/2).
  void exit(const pid& to, exit_reason reason);

  // --- timers -----------------------------------------------------------------------------

  /// Delivers msg to `to` after delay (erlang:send_after/3).
  template <detail::message_value T>
  timer_ref send_after(const pid& to, std::chrono::milliseconds delay, T&& msg) {
    return send_after(to, delay, message_ptr(make_message<std::decay_t<T>>(std::forward<T>(msg))));
  }
  timer_ref send_after(const pid& to, std::chrono::milliseconds delay, message_ptr m);
  /// Delivers timeout_msg<T>{ref, msg} to `to` after delay (erlang:start_timer/3).
  template <class T>
  timer_ref start_timer(const pid& to, std::chrono::milliseconds delay, T&& msg);
  /// Cancels a timer: the time it had left, or nullopt if it already fired or was cancelled.
  std::optional<std::chrono::milliseconds> cancel_timer(timer_ref r);

  // --- names ------------------------------------------------------------------------------

  /// Registers this process under name; throws badarg if taken or already named.
  void register_name(std::string_view name);
  std::optional<pid> whereis(std::string_view name) const;

 private:
  friend class detail::runtime;
  enum class child_tie : unsigned char { none, link, monitor };
  using stamp_fn = void (*)(message*, timer_ref);

  void attach(detail::process* p, detail::runtime* rt) noexcept {
    proc_ = p;
    rt_ = rt;
  }
  pid resolve(std::string_view name) const;
  /// The out-of-line half of spawn, spawn_link and spawn_monitor (the monitor ref is empty
  /// unless tie is monitor).
  std::pair<pid, ref> spawn_child(detail::new_actor a, child_tie tie);
  /// send_after() whose `stamp` writes the timer's ref into the message before it can fire.
  timer_ref start_stamped_timer(const pid& to, std::chrono::milliseconds delay, message_ptr m,
                                stamp_fn stamp);

  detail::process* proc_ = nullptr;
  detail::runtime* rt_ = nullptr;
};

/// Adapts a callable `void(actor&, message&)` (usually a lambda holding the state) to an actor.
template <class F>
class function_actor final : public actor {
 public:
  explicit function_actor(F f) : f_(std::move(f)) {}
  void handle(message& m) override { f_(*this, m); }

 private:
  F f_;
};

template <class T>
timer_ref actor::start_timer(const pid& to, std::chrono::milliseconds delay, T&& msg) {
  using payload = timeout_msg<std::decay_t<T>>;
  // The ref exists only once the timer does: the wheel stamps it in before it can fire.
  message_ptr m(new message_of<payload>(std::in_place, payload{timer_ref{}, std::forward<T>(msg)}));
  return start_stamped_timer(to, delay, std::move(m), [](message* sent, timer_ref r) {
    static_cast<message_of<payload>*>(sent)->value.timer = r;
  });
}

}  // namespace bitactor

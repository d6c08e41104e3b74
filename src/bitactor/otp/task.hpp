#pragma once
// Tasks: run one function in a process of its own and collect its result (Elixir's Task and
// Task.Supervisor, on OTP's primitives).
//
//   auto t = otp::async_task(node, [] { return expensive(); });   // runs concurrently
//   int v = otp::await(t, std::chrono::seconds(1));                // its result
//
// async_task(fn) spawns a process that runs fn() once and sends its value to the caller
// (with the call protocol's call_reply, so a late result is dropped like a late reply). The
// task is linked to the caller and monitored by it:
//  - await(task, timeout) returns the value; the task then has exited normally.
//  - If the task does not finish in time, await kills it and throws call_error with reason
//    `timeout` (the caller is unlinked first, so only the task dies).
//  - If fn throws, the task's process exits with that exception as its reason; the link
//    propagates it to the caller (a behaviour that does not trap exits dies with it, as an
//    Elixir process does), and await throws call_error carrying the reason.
//  - If the caller dies, the link takes the task with it. From a plain thread the caller is
//    a mailbox held by the task handle: dropping the handle unawaited kills the task.
// Each task is awaited once. A function returning void gives otp::ok_t.
//
// From inside a behaviour (gen_server, gen_statem, ...), start with async_task(*this, fn)
// and wait with `co_await otp::await(*this, task, timeout)` in an otp::async coroutine; the
// process waits without blocking a thread (behaviour.hpp).
//
// A task supervisor (Task.Supervisor) is a simple_one_for_one supervisor of temporary
// tasks: start_task(node, sup, fn) runs a fire-and-forget task under it (a crash is
// reported and not restarted); async_nolink(node, sup, fn) runs an awaitable task under it
// that is not linked to the caller: its crash reaches the caller only through await. Inside
// a behaviour: `auto r = co_await start_task(*this, sup, fn);` and
// `auto t = co_await async_nolink(*this, sup, fn);` then co_await await(...).
//
// Every function here exists both ways: taking the node (plain threads; they block) and
// taking the calling behaviour (awaited in its coroutine, or, for async_task, returning at
// once). Inside a coroutine, build a function that captures strings or other values with
// destructors in a named variable before the co_await (GCC 12, see behaviour::call).
//
// (The coroutine type of behaviours is called otp::async, hence async_task here.)

#include <chrono>
#include <concepts>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "bitactor/core/inbox.hpp"
#include "bitactor/otp/behaviour.hpp"
#include "bitactor/otp/call.hpp"
#include "bitactor/otp/supervisor.hpp"

namespace bitactor::otp {

/// What a task of function F yields: F's result, or ok_t for void.
template <class F>
using task_result_t =
    std::conditional_t<std::is_void_v<std::invoke_result_t<F&>>, ok_t, std::invoke_result_t<F&>>;

/// The handle of a running task. Movable, not copyable; await it once.
template <class T>
class task {
 public:
  task() = default;
  task(task&&) noexcept = default;
  task& operator=(task&&) noexcept = default;
  task(const task&) = delete;
  task& operator=(const task&) = delete;

  /// The task's process.
  const pid& process() const noexcept { return process_; }

 private:
  template <class U>
  friend U await(task<U>& t, std::chrono::milliseconds timeout);
  template <class U>
  friend class task_awaiter;
  template <class F>
  friend task<task_result_t<F>> async_task(node& n, F fn);
  template <class F>
  friend task<task_result_t<F>> async_task(behaviour& self, F fn);
  template <class F>
  friend task<task_result_t<F>> async_nolink(node& n, const pid& sup, F fn);
  template <class U>
  friend class nolink_awaiter;

  pid process_;
  ref tag_;      // the tag of the result's call_reply
  ref monitor_;  // the caller's monitor of the task
  node* node_ = nullptr;
  std::shared_ptr<inbox> box_;  // the caller's mailbox, for tasks started from a thread
};

namespace detail {

/// Tells a task's process to run its function: sent once the caller links and monitors it,
/// so even a task that fails at once is seen by the monitor (no noproc race).
struct task_go {};

/// The process of a task: runs the function once on task_go, sends the result, exits.
template <class F>
class task_process final : public actor {
 public:
  task_process(F fn, pid reply_to, ref tag) : fn_(std::move(fn)), reply_to_(reply_to), tag_(tag) {}
  void handle(message& m) override {
    if (!m.is<task_go>()) return;
    using R = task_result_t<F>;
    message_ptr value;
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      fn_();
      value = message_ptr(make_message<R>());
    } else {
      value = message_ptr(make_message<R>(fn_()));
    }
    send(reply_to_, call_reply{tag_, std::move(value)});
    exit(exit_reason::normal());
  }

 private:
  F fn_;
  pid reply_to_;
  ref tag_;
};

/// The start function of a fire-and-forget task under a task supervisor (start_task): the
/// result is dropped, and the task runs as soon as it is spawned.
template <class F>
start_fn start_task_fn(F fn) {
  return [fn](actor& parent) mutable -> child_start {
    auto run = [fn]() mutable {
      if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
        fn();
      } else {
        (void)fn();
      }
    };
    pid child = parent.spawn_link<task_process<decltype(run)>>(run, pid{}, ref{});
    parent.send(child, task_go{});
    return child_start{child, ref{}, {}};
  };
}

std::string describe_task(const pid& task);
/// The caller's side of await from a thread: the result message, or throws call_error.
message_ptr await_from_thread(node& n, inbox& box, const pid& task, const ref& tag,
                              const ref& monitor, std::chrono::milliseconds timeout);

}  // namespace detail

/// Starts fn() in a task linked to and monitored by a mailbox of the calling thread.
template <class F>
task<task_result_t<F>> async_task(node& n, F fn) {
  task<task_result_t<F>> t;
  t.node_ = &n;
  t.box_ = std::make_shared<inbox>(n);
  t.tag_ = n.make_ref();
  t.process_ = n.spawn<detail::task_process<F>>(std::move(fn), t.box_->self(), t.tag_);
  t.box_->link(t.process_);
  t.monitor_ = t.box_->monitor(t.process_);
  n.send(t.process_, detail::task_go{});
  return t;
}

/// Waits for a task started from a thread (Task.await/2). Throws call_error on timeout
/// (having killed the task) or with the task's exit reason if it failed.
template <class T>
T await(task<T>& t, std::chrono::milliseconds timeout = default_call_timeout) {
  message_ptr m =
      detail::await_from_thread(*t.node_, *t.box_, t.process_, t.tag_, t.monitor_, timeout);
  return take_reply<T>(m->get_if<call_reply>()->value, t.process_);
}

/// Starts fn() in a task linked to and monitored by the behaviour `self` (call from its
/// handler or coroutine).
template <class F>
task<task_result_t<F>> async_task(behaviour& self, F fn) {
  task<task_result_t<F>> t;
  t.node_ = &self.this_node();
  t.tag_ = self.make_ref();
  t.process_ = self.spawn_link<detail::task_process<F>>(std::move(fn), self.self(), t.tag_);
  t.monitor_ = self.monitor(t.process_);
  self.send(t.process_, detail::task_go{});
  return t;
}

/// co_await await(self, task, timeout) inside a behaviour: the task's value, or throws
/// call_error (timeout: the task is killed; or the task's exit reason).
template <class T>
class task_awaiter {
 public:
  task_awaiter(behaviour& self, task<T>& t, std::chrono::milliseconds timeout)
      : self_(self),
        task_(t),
        wait_(self.wait(
            bitactor::otp::detail::wait_spec{t.tag_, t.monitor_, pid{}, timeout, false})) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { wait_.await_suspend(h); }
  T await_resume() {
    auto outcome = wait_.await_resume();
    const std::string context = detail::describe_task(task_.process_);
    switch (outcome.kind) {
      case bitactor::otp::detail::wait_outcome::how::matched:
        self_.demonitor(task_.monitor_, true);
        return take_reply<T>(outcome.matched->template get_if<call_reply>()->value, task_.process_);
      case bitactor::otp::detail::wait_outcome::how::timeout:
        self_.unlink(task_.process_);
        self_.exit(task_.process_, exit_reason::kill());
        self_.demonitor(task_.monitor_, true);
        throw call_error(otp::detail::timeout_reason(), context);
      default:
        throw call_error(outcome.reason, context);
    }
  }

 private:
  behaviour& self_;
  task<T>& task_;
  behaviour::wait_awaiter wait_;
};

template <class T>
task_awaiter<T> await(behaviour& self, task<T>& t,
                      std::chrono::milliseconds timeout = default_call_timeout) {
  return task_awaiter<T>(self, t, timeout);
}

// --- task supervisor (Task.Supervisor) --------------------------------------------------------

/// Starts a task supervisor from a plain thread: simple_one_for_one, temporary children
/// killed at once on shutdown. `name` registers it when not empty.
start_result start_task_supervisor(node& n, std::string name = {});
/// The supervisor spec of a task supervisor, to make it a child of another supervisor.
supervisor_spec task_supervisor_spec();

/// Runs fn() as a temporary child of the task supervisor, for its effect only
/// (Task.Supervisor.start_child/2). Its result is dropped; a crash is reported, not
/// restarted. Returns the task's pid, or the supervisor's error.
template <class F>
supervisor_result<started_child> start_task(node& n, const pid& sup, F fn) {
  return start_child(n, sup, detail::start_task_fn(std::move(fn)));
}

/// co_await start_task(self, sup, fn) inside a behaviour: the same, waiting without blocking.
template <class F>
supervisor_call<started_child> start_task(behaviour& self, const pid& sup, F fn) {
  return start_child(self, sup, detail::start_task_fn(std::move(fn)));
}

/// Runs fn() as a child of the task supervisor, awaitable with await() but not linked to
/// the calling thread (Task.Supervisor.async_nolink/2). Throws call_error if the
/// supervisor is not alive.
template <class F>
task<task_result_t<F>> async_nolink(node& n, const pid& sup, F fn) {
  task<task_result_t<F>> t;
  t.node_ = &n;
  t.box_ = std::make_shared<inbox>(n);
  t.tag_ = n.make_ref();
  start_fn start = [fn, to = t.box_->self(), tag = t.tag_](actor& parent) -> child_start {
    return child_start{parent.spawn_link<detail::task_process<F>>(fn, to, tag), ref{}, {}};
  };
  auto r = start_child(n, sup, std::move(start));
  if (!r) throw call_error(r.error().as_exit_reason(), "async_nolink under " + sup.to_string());
  t.process_ = r->process;
  t.monitor_ = t.box_->monitor(t.process_);
  n.send(t.process_, detail::task_go{});
  return t;
}

/// co_await async_nolink(self, sup, fn) inside a behaviour: asks the task supervisor for the
/// task (a call), then monitors it; the result is a task to co_await await(self, task, t).
/// Throws call_error if the supervisor is not alive or refuses the child.
template <class T>
class nolink_awaiter {
 public:
  nolink_awaiter(behaviour& self, const pid& sup, start_fn start, ref tag)
      : self_(self), sup_(sup), tag_(tag), call_(start_child(self, sup, start, infinity)) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { call_.await_suspend(h); }
  task<T> await_resume() {
    supervisor_result<started_child> r = call_.await_resume();
    if (!r) throw call_error(r.error().as_exit_reason(), "async_nolink under " + sup_.to_string());
    task<T> t;
    t.node_ = &self_.this_node();
    t.tag_ = tag_;
    t.process_ = r->process;
    t.monitor_ = self_.monitor(t.process_);
    self_.send(t.process_, detail::task_go{});
    return t;
  }

 private:
  behaviour& self_;
  pid sup_;
  ref tag_;
  supervisor_call<started_child> call_;
};

/// Task.Supervisor.async_nolink/2 from inside a behaviour (see nolink_awaiter).
template <class F>
nolink_awaiter<task_result_t<F>> async_nolink(behaviour& self, const pid& sup, F fn) {
  ref tag = self.make_ref();
  start_fn start = [fn, to = self.self(), tag](actor& parent) -> child_start {
    return child_start{parent.spawn_link<detail::task_process<F>>(fn, to, tag), ref{}, {}};
  };
  return nolink_awaiter<task_result_t<F>>(self, sup, std::move(start), tag);
}

}  // namespace bitactor::otp

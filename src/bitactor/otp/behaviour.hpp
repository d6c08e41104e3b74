#pragma once
// The generic part every OTP behaviour shares (OTP: gen.erl + proc_lib): waiting for replies
// without blocking a thread, the start handshake, and exception-to-exit handling.
//
// Waiting. A handler that must wait for another process (a call, a child's start) is written
// as a coroutine returning otp::async and uses co_await:
//
//   otp::async refresh(otp::from caller) {
//     query q{};                                  // (a named request: see call() on GCC 12)
//     int v = co_await call(database, std::move(q));  // the process waits here ...
//     reply(caller, v);                           // ... and resumes when the reply arrives
//   }
//
// While any coroutine of the process waits, the process is in the same state as an Erlang
// process inside gen:call's receive: messages other than the awaited reply, DOWN or timeout
// are kept in arrival order and handled after the wait ends. No thread is blocked; the
// process simply has no turn until a message arrives. A coroutine's frame is owned by its
// process: it is destroyed when it finishes or when the process exits. An exception escaping
// a coroutine crashes the process like one escaping a handler.
//
// Start handshake (OTP: proc_lib:start_link / init_ack). A behaviour is spawned, then sent
// init_request{starter, tag, parent, name}; it registers the name, runs its init and answers
// init_ack{tag, status, reason}. The starter waits for the ack, or for the child's exit.

#include <any>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bitactor/core/actor.hpp"
#include "bitactor/core/node.hpp"
#include "bitactor/core/pooled_memory.hpp"
#include "bitactor/otp/call.hpp"
#include "bitactor/otp/message_queue.hpp"

namespace bitactor::otp {

class behaviour;

namespace detail {
/// What every coroutine a behaviour runs shares: it starts at once, its frame comes from the
/// message pool and belongs to the process whose handler created it, an exception escaping
/// it is kept for whoever awaits it (or crashes the process), and when it finishes it resumes
/// the coroutine awaiting it.
struct promise_base {
  // Frames come from the runtime's message pool: a supervisor starts one or two of these
  // coroutines per restart, and a server one per awaited call.
  static void* operator new(std::size_t size) { return bitactor::pooled_allocate(size); }
  static void operator delete(void* frame, std::size_t size) noexcept {
    bitactor::pooled_deallocate(frame, size);
  }
  std::suspend_never initial_suspend() noexcept { return {}; }
  /// At its end a coroutine resumes the one awaiting it, if any.
  struct resume_awaiting {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto next = h.promise().continuation;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  resume_awaiting final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }

  std::exception_ptr error;
  std::coroutine_handle<> continuation;  // the coroutine awaiting this one
  behaviour* owner = nullptr;            // the process the frame belongs to

 protected:
  /// Hands the frame to the behaviour whose handler runs on this thread; throws logic_error
  /// outside one.
  void attach(std::coroutine_handle<> frame);
};
}  // namespace detail

/// A coroutine run inside a behaviour's process. Starts at once; its frame belongs to the
/// process. Create one only from a handler of a behaviour (or another such coroutine). One
/// async may co_await another: it resumes when the inner one finishes.
class async {
 public:
  struct promise_type : detail::promise_base {
    async get_return_object() {
      auto h = std::coroutine_handle<promise_type>::from_promise(*this);
      attach(h);
      return async(h);
    }
    void return_void() noexcept {}
  };

  bool await_ready() const noexcept { return handle_.done(); }
  void await_suspend(std::coroutine_handle<> awaiting) noexcept {
    handle_.promise().continuation = awaiting;
  }
  /// Rethrows what escaped the awaited coroutine in the awaiting one.
  void await_resume() const {
    if (auto e = handle_.promise().error) {
      handle_.promise().error = nullptr;
      std::rethrow_exception(e);
    }
  }

 private:
  explicit async(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
  std::coroutine_handle<promise_type> handle_;  // not owning: the process owns the frame
};

/// How a behaviour's start ended (OTP: {ok, Pid} | ignore | {error, Reason}).
struct start_result {
  enum class status { started, ignore, error };
  status outcome = status::error;
  pid process;
  exit_reason reason;  // for error
  std::any info;       // for started: extra info of the start ({ok, Pid, Info}); often empty

  bool ok() const noexcept { return outcome == status::started; }
  bool ignored() const noexcept { return outcome == status::ignore; }
  static start_result started(pid p, std::any info = {}) {
    return {status::started, p, {}, std::move(info)};
  }
  static start_result ignore() { return {status::ignore, {}, {}, {}}; }
  static start_result failed(exit_reason r) { return {status::error, {}, std::move(r), {}}; }
  /// `{error, {already_started, Pid}}`: the name a behaviour was to register is held by `holder`.
  static start_result already_started(const pid& holder);
  std::string to_string() const;
};

/// The start handshake's messages (proc_lib). Internal to behaviours and their starters.
struct init_request {
  pid starter;
  ref tag;
  pid parent;  // exits from it end the behaviour (gen_server: {'EXIT', Parent, Reason})
  std::string name;
};
struct init_ack {
  ref tag;
  start_result result;
};

/// What a child start function hands back: the spawned process, and the tag of its
/// init_ack if it is a behaviour (an empty ref for a plain actor, which counts as started).
/// `info`, when set, is the start's extra info (OTP: a start returning {ok, Pid, Info}); it
/// reaches start_result::info.
struct child_start {
  pid child;
  ref ack_tag;
  std::any info;
};
/// Spawns a process linked to `parent` (from inside parent's handler); see start_link_fn.
using start_fn = std::function<child_start(actor& parent)>;

class behaviour : public actor {
 public:
  ~behaviour() override;

  // --- for handlers and coroutines ---------------------------------------------------------

  template <class T>
  class call_awaiter;

  /// co_await call(server, req[, timeout]): the reply, or throws call_error (timeout, noproc,
  /// the server's exit reason). A reply arriving after the timeout is dropped.
  // GCC 12 miscompiles a temporary with non-trivial members (e.g. a std::string) built
  // inside a co_await operand: build the request in a named variable first,
  //   slow_get req{key}; auto v = co_await call(server, std::move(req));
  template <class R, request Req = std::remove_cvref_t<R>>
  call_awaiter<reply_t<Req>> call(const pid& server, R&& req,
                                  std::chrono::milliseconds timeout = default_call_timeout);
  template <class R, request Req = std::remove_cvref_t<R>>
  call_awaiter<reply_t<Req>> call(std::string_view name, R&& req,
                                  std::chrono::milliseconds timeout = default_call_timeout);
  /// co_await call(server, term): a call in gen's term form (gen_server:call(Pid, Req)), for
  /// a server on an Erlang node or an otp behaviour here that answers terms. The reply is a
  /// term; failures throw call_error as for typed calls. Build the request in a named
  /// variable (the GCC 12 note above).
  class term_call_awaiter;
  term_call_awaiter call(const pid& server, term::term request,
                         std::chrono::milliseconds timeout = default_call_timeout);
  /// co_await call(name, node, term): gen_server:call({Name, Node}, Req) as gen.erl makes it:
  /// the name is monitored on that node for the call's length, so a name nobody holds fails
  /// with noproc at once, a server that ends mid-call with its reason, an unreachable or lost
  /// node with noconnection. On this node's own name, the local registered process.
  term_call_awaiter call(std::string_view name, std::string_view node, term::term request,
                         std::chrono::milliseconds timeout = default_call_timeout);
  /// Through a typed reference: a request S does not list in its `calls` does not compile.
  template <class S, class R, request Req = std::remove_cvref_t<R>>
  requires answers<S, Req> call_awaiter<reply_t<Req>> call(
      server_ref<S> server, R&& req, std::chrono::milliseconds timeout = default_call_timeout) {
    return call(server.process, std::forward<R>(req), timeout);
  }

  template <class T>
  void cast(const pid& server, T&& msg) {
    send(server, cast_request{message_ptr(make_message<std::decay_t<T>>(std::forward<T>(msg)))});
  }
  template <class T>
  void cast(std::string_view name, T&& msg) {
    if (auto p = whereis(name)) cast(*p, std::forward<T>(msg));
  }
  /// Answers a caller (gen_server:reply/2); `to` came from a deferred call.
  template <class T>
  void reply(const from& to, T&& value) {
    detail::send_reply(*this, to, std::forward<T>(value));
  }

  /// co_await wait(spec): the general wait under call and start (gen.erl's receive).
  class wait_awaiter {
   public:
    wait_awaiter(behaviour& b, detail::wait_spec s) : owner_(b), spec_(std::move(s)) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { owner_.park(spec_, &outcome_, h); }
    detail::wait_outcome await_resume() { return std::move(outcome_); }

   private:
    behaviour& owner_;
    detail::wait_spec spec_;
    detail::wait_outcome outcome_;
  };
  wait_awaiter wait(detail::wait_spec s) { return wait_awaiter(*this, std::move(s)); }

  /// co_await start_child(fn): runs a start function and waits for the child's init_ack
  /// (or its exit). For a plain actor (no ack) the result is ok at once.
  class start_awaiter;
  start_awaiter start_child_process(const start_fn& fn,
                                    std::chrono::milliseconds timeout = infinity);

  /// True while some coroutine of this process waits.
  bool waiting() const noexcept { return !pending_.empty(); }

  /// The process that started this behaviour linked (its supervisor); none if it was started
  /// unlinked from a plain thread.
  const pid& parent() const noexcept { return parent_; }

 protected:
  /// Called when the behaviour stops after a successful start: stop(R) from a callback, an
  /// exception escaping one, or its parent's exit while it traps exits. Not called when it is
  /// killed, does not trap exits, or failed in init (OTP). May co_await: the process ends
  /// when its coroutines finish.
  virtual void terminate(const exit_reason&) {}

  // --- the start handshake and the end of a behaviour (OTP: proc_lib) -----------------------

  /// If `m` is the init_request that starts this process, takes it and returns true: the
  /// starter and the parent are recorded, the process stops in order on its parent's
  /// shutdown, and the requested name is registered. The behaviour then runs its init and
  /// answers with ack_start. A name someone else holds answers `{error, {already_started,
  /// Pid}}` and ends the process normally (does not return).
  bool take_start_request(message& m) {
    return phase_ == phase::unstarted && accept_start_request(m);
  }
  /// Answers the starter. After ok the behaviour runs; after ignore or an error it must end.
  void ack_start(start_result r);
  /// Between take_start_request and ack_start.
  bool starting() const noexcept { return phase_ == phase::starting; }
  /// Started and not yet ending.
  bool running() const noexcept { return phase_ == phase::running; }
  /// terminate has run (or is still waiting): the process ends once it is done.
  bool terminating() const noexcept { return phase_ == phase::terminating; }
  /// The reason of an exit signal from the parent while this process traps exits; the
  /// behaviour must end with it (gen_server/gen_statem: {'EXIT', Parent, Reason}).
  const exit_reason* exit_from_parent(message& m) const noexcept;

  /// Handles a message that is not part of a wait. Called with the process's messages in
  /// order, except that messages arriving during a wait come after it.
  virtual void dispatch(message& m) = 0;
  /// Same, handing over the message (a behaviour that keeps messages, e.g. gen_statem's
  /// postponed events, overrides this one). The default calls dispatch.
  virtual void dispatch_owned(message_ptr m) { dispatch(*m); }
  /// Runs after each dispatch and after each resumed coroutine step.
  virtual void settle() {}
  /// The process must end with `reason` (an exception or exit() escaped a handler or a
  /// coroutine, or a behaviour stops). Called as a handler's last step, so it ends the
  /// process with stop() (no second throw). proc_lib's rules: during the start the starter
  /// gets `{error, Reason}` and terminate is not called; once running, terminate runs
  /// first (an exit or exception escaping it replaces the reason, keeping its type), then
  /// a crash report is logged unless the reason is normal or shutdown.
  void on_exit(exit_reason reason);

 private:
  // Behaviours own the messages they handle (to keep them during waits); a handler taking a
  // message with keep() would own it twice.
  using actor::keep;
  friend struct detail::promise_base;
  struct owned_frame {
    std::coroutine_handle<> frame;
    detail::promise_base* promise;
  };
  struct pending_wait {
    detail::wait_spec spec;
    detail::wait_outcome* out;
    std::coroutine_handle<> handle;
    timer_ref timer;
  };

  enum class phase : std::uint8_t { unstarted, starting, running, terminating, ended };

  void handle(message& m) final;
  void route(message_ptr m);
  /// After each callback step: ends a terminating process once no coroutine waits, else
  /// lets the behaviour settle.
  void after_step();
  void finish_terminate();
  bool accept_start_request(message& m);
  void complete(std::size_t index, detail::wait_outcome outcome);
  void park(const detail::wait_spec& s, detail::wait_outcome* out, std::coroutine_handle<> h);
  /// A call's wait is over: its monitor of the server ends (no DOWN of a finished call
  /// reaches the handlers), unless the DOWN was what ended it.
  void end_call_monitor(const ref& tag, const detail::wait_outcome& o);
  void adopt(std::coroutine_handle<> frame, detail::promise_base* p) {
    tasks_.push_back({frame, p});
  }
  void sweep_tasks();

  std::vector<pending_wait> pending_;
  detail::message_queue postponed_;
  std::vector<owned_frame> tasks_;
  // What only a starting or an ending behaviour needs, kept off the running one (a million
  // idle servers pay 8 bytes each for it instead of 56).
  struct transition {
    pid starter;         // while starting: who waits for the init_ack ...
    ref start_tag;       // ... and its tag
    exit_reason ending;  // while terminating: the reason it ends with
  };
  pid parent_;
  std::unique_ptr<transition> transition_;
  phase phase_ = phase::unstarted;
};

template <class T>
class behaviour::call_awaiter {
 public:
  call_awaiter(behaviour& b, pid server, message_ptr req, std::chrono::milliseconds timeout)
      : owner_(b),
        server_(server),
        request_type_(req->type()),
        request_(std::move(req)),
        timeout_(timeout) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    tag_ = owner_.monitor(server_);  // the monitor's ref doubles as the call tag (gen.erl)
    owner_.send(server_, call_request{from{owner_.self(), tag_}, std::move(request_)});
    owner_.park(detail::wait_spec{tag_, tag_, pid{}, timeout_, false}, &outcome_, h);
  }
  T await_resume() {
    owner_.end_call_monitor(tag_, outcome_);
    return otp::detail::call_result<T>(outcome_, server_, request_type_);
  }

 private:
  behaviour& owner_;
  pid server_;
  type_id request_type_;
  message_ptr request_;
  std::chrono::milliseconds timeout_;
  ref tag_;
  detail::wait_outcome outcome_;
};

class behaviour::term_call_awaiter {
 public:
  term_call_awaiter(behaviour& b, pid server, term::term request, std::chrono::milliseconds timeout)
      : owner_(b), server_(server), request_(std::move(request)), timeout_(timeout) {}
  /// To {name, node}.
  term_call_awaiter(behaviour& b, std::string_view name, std::string_view node, term::term request,
                    std::chrono::milliseconds timeout)
      : owner_(b), name_(name), node_(node), request_(std::move(request)), timeout_(timeout) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    // The monitor's ref doubles as the call tag (gen.erl).
    if (name_.empty()) {
      tag_ = owner_.monitor(server_);
      owner_.send(server_, detail::erlang_call_message(owner_.self(), tag_, std::move(request_)));
    } else {
      tag_ = owner_.monitor(name_, node_);
      owner_.send(name_, node_,
                  detail::erlang_call_message(owner_.self(), tag_, std::move(request_)));
    }
    owner_.park(detail::wait_spec{tag_, tag_, pid{}, timeout_, false}, &outcome_, h);
  }
  term::term await_resume() {
    owner_.end_call_monitor(tag_, outcome_);
    if (name_.empty()) return detail::erlang_call_result(outcome_, server_);
    return detail::erlang_call_result(outcome_, "call to {" + name_ + ", " + node_ + "}");
  }

 private:
  behaviour& owner_;
  pid server_;
  std::string name_;  // with node_: a call to {name_, node_}
  std::string node_;
  term::term request_;
  std::chrono::milliseconds timeout_;
  ref tag_;
  detail::wait_outcome outcome_;
};

class behaviour::start_awaiter {
 public:
  start_awaiter(behaviour& b, child_start started, std::chrono::milliseconds timeout)
      : owner_(b), started_(started), timeout_(timeout) {}
  bool await_ready() const noexcept { return !started_.ack_tag; }
  void await_suspend(std::coroutine_handle<> h) {
    owner_.park(detail::wait_spec{started_.ack_tag, ref{}, started_.child, timeout_, false},
                &outcome_, h);
  }
  start_result await_resume();

 private:
  behaviour& owner_;
  child_start started_;
  std::chrono::milliseconds timeout_;
  detail::wait_outcome outcome_;
};

template <class R, request Req>
behaviour::call_awaiter<reply_t<Req>> behaviour::call(const pid& server, R&& req,
                                                      std::chrono::milliseconds timeout) {
  return call_awaiter<reply_t<Req>>(*this, server,
                                    message_ptr(make_message<Req>(std::forward<R>(req))), timeout);
}

template <class R, request Req>
behaviour::call_awaiter<reply_t<Req>> behaviour::call(std::string_view name, R&& req,
                                                      std::chrono::milliseconds timeout) {
  // An unregistered name: monitoring the empty pid yields DOWN noproc, as gen:call exits.
  pid server = whereis(name).value_or(pid{});
  return call(server, std::forward<R>(req), timeout);
}

/// A start function for behaviour S (gen_server, supervisor, gen_statem): spawns S(args...)
/// linked to the parent and starts the handshake. Arguments are copied for each restart.
template <class S, class... Args>
start_fn start_link_fn(Args... args) {
  return [=](actor& parent) -> child_start {
    pid child = std::apply([&](const auto&... a) { return parent.template spawn_link<S>(a...); },
                           std::tuple<const Args&...>(args...));
    ref tag = parent.this_node().make_ref();
    parent.send(child, init_request{parent.self(), tag, parent.self(), {}});
    return child_start{child, tag, {}};
  };
}

/// Same, registering the child under `name` before its init runs.
template <class S, class... Args>
start_fn start_link_named_fn(std::string name, Args... args) {
  return [=](actor& parent) -> child_start {
    pid child = std::apply([&](const auto&... a) { return parent.template spawn_link<S>(a...); },
                           std::tuple<const Args&...>(args...));
    ref tag = parent.this_node().make_ref();
    parent.send(child, init_request{parent.self(), tag, parent.self(), name});
    return child_start{child, tag, {}};
  };
}

/// A start function for a plain actor A (no handshake: started as soon as spawned).
template <class A, class... Args>
start_fn spawn_link_fn(Args... args) {
  return [=](actor& parent) -> child_start {
    pid child = std::apply([&](const auto&... a) { return parent.template spawn_link<A>(a...); },
                           std::tuple<const Args&...>(args...));
    return child_start{child, ref{}, {}};
  };
}

struct start_options {
  std::string name;                              // registered name; empty for none
  std::chrono::milliseconds timeout = infinity;  // for init to finish
};

namespace detail {
/// A start's outcome (proc_lib): the init_ack's result, or {error, timeout | Reason}.
start_result start_result_of(wait_outcome& o);
/// A plain thread's side of the start handshake; kills a child that does not start in time.
start_result await_start(node& n, inbox& box, const pid& child, const ref& tag,
                         std::chrono::milliseconds timeout);
}  // namespace detail

/// Starts behaviour S(args...) unlinked from a plain thread and waits for its init
/// (gen_server:start/3,4). Returns ok with the pid, ignore, or error with the reason init
/// gave (or `{already_started, Pid}`-style text when the name is taken).
template <class S, class... Args>
start_result start(node& n, start_options opts, Args&&... args) {
  inbox box(n);
  pid child = n.spawn<S>(std::forward<Args>(args)...);
  ref tag = box.monitor(child);
  n.send(child, init_request{box.self(), tag, pid{}, opts.name});
  return detail::await_start(n, box, child, tag, opts.timeout);
}

}  // namespace bitactor::otp

#pragma once
// supervisor: a process that starts, watches and restarts children (OTP 25 supervisor(3)).
//
// Model. A supervisor holds an ordered list of child specifications. It starts the children
// in that order when it starts (a child whose start fails stops the supervisor's start with
// {shutdown,{failed_to_start_child,Id,Reason}}), and stops them in reverse order when it
// stops. It traps exits; when a child exits it applies the child's restart type:
//   permanent  always restarted
//   transient  restarted only after an abnormal exit (not normal, shutdown, {shutdown,_})
//   temporary  never restarted (and forgotten; nor is its start function kept once it runs)
// and its strategy:
//   one_for_one         restart the child that exited
//   one_for_all         stop all the others (reverse order), restart all (in order)
//   rest_for_one        stop the children started after it (reverse), restart them and it
//   simple_one_for_one  one child spec as a template; children are added with start_child
//                       and all restart as one_for_one; on shutdown they are stopped all
//                       at once, so N children with timeout T take T
// Restart intensity: more than `intensity` restarts within `period` make the supervisor
// stop its children and exit with `shutdown`; its own supervisor then reacts. The
// bookkeeping lives in one function, supervisor::add_restart (supervisor.erl: add_restart/1).
// A restart that fails is retried (a message to itself) and each retry counts as a restart;
// meanwhile the child is `restarting` (which_children), and under one_for_all / rest_for_one
// the children after it stay down until it starts. terminate_child ends such a loop.
//
// Start results: a child whose start returns ignore has no process; a temporary one (and a
// simple_one_for_one child, also on restart) is dropped, another keeps its spec.
//
// Checks (supervisor.erl check_flags, check_childspec): intensity < 0 or period <= 0 fails
// the start with {supervisor_data, E}; a child spec without a start function, with a
// negative shutdown timeout, or significant with permanent / auto_shutdown never fails it
// with {start_spec, E} (and start_child with {error, E}); the supervisor and its children
// are never harmed by a bad spec.
//
// Shutdown of a child: brutal_kill (exit(Child, kill)), a timeout (exit(Child, shutdown),
// then kill if it has not exited in time), or infinity (wait; the default for child
// supervisors). Significant children (transient or temporary) with auto_shutdown
// any_significant / all_significant make the supervisor exit with shutdown when any / all of
// them have exited and are not restarted (OTP 24+).
//
// Cost: children are held in start order with indexes by id and by pid, so a start, an exit,
// a stop or a removal is O(1) and N children start and stop in O(N).
//
//   otp::supervisor_spec spec{
//       .flags = {.strategy = otp::restart_strategy::one_for_one, .intensity = 3,
//                 .period = std::chrono::seconds(5)},
//       .children = {otp::child_spec::worker<kv>("kv"),
//                    otp::child_spec::worker<cache>("cache").with_restart(
//                        otp::restart_type::transient)}};
//   auto sup = otp::start_supervisor(node, spec, "top");
//   if (auto r = otp::start_child(node, sup.process, otp::child_spec::worker<kv>("kv2")); !r)
//     if (r.error().which() == otp::supervisor_error::code::already_present) ...
//
// Client functions (start_child, terminate_child, restart_child, delete_child, get_childspec,
// which_children, count_children) exist twice: taking the node, for plain threads (they
// block), and taking the calling behaviour, awaited inside its otp::async coroutine
// (`co_await otp::which_children(*this, sup)`); both give the same supervisor_result.
//
// Reports: a progress report for each started child, a supervisor report for each abnormal
// child exit, failed start and intensity overrun (report.hpp).

#include <any>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bitactor/otp/gen_server.hpp"
#include "bitactor/otp/supervisor_error.hpp"

namespace bitactor::otp {

enum class restart_strategy { one_for_one, one_for_all, rest_for_one, simple_one_for_one };
enum class restart_type { permanent, transient, temporary };
enum class auto_shutdown_policy { never, any_significant, all_significant };
enum class child_kind { worker, supervisor };

/// How a child is stopped (supervisor(3): shutdown).
struct shutdown_policy {
  enum class how { brutal_kill, timeout, forever } mode = how::timeout;
  std::chrono::milliseconds timeout = std::chrono::seconds(5);

  static shutdown_policy brutal_kill() { return {how::brutal_kill, {}}; }
  static shutdown_policy after(std::chrono::milliseconds t) { return {how::timeout, t}; }
  static shutdown_policy wait_forever() { return {how::forever, {}}; }
};

struct supervisor_spec;

struct child_spec {
  std::string id;
  start_fn start;
  restart_type restart = restart_type::permanent;
  shutdown_policy shutdown = shutdown_policy::after(std::chrono::seconds(5));
  child_kind kind = child_kind::worker;
  bool significant = false;
  /// Makes a start function that registers the child under a name; set by worker() and
  /// supervisor(), used by registered_as().
  std::function<start_fn(std::string)> start_registered_as = {};

  /// A worker running behaviour S(args...) (gen_server, gen_statem).
  template <class S, class... Args>
  static child_spec worker(std::string id, Args... args) {
    child_spec c{std::move(id), start_link_fn<S>(args...)};
    c.start_registered_as = [=](std::string name) {
      return start_link_named_fn<S>(std::move(name), args...);
    };
    return c;
  }
  /// A worker that is a plain actor A(args...) (started as soon as spawned).
  template <class A, class... Args>
  static child_spec plain_worker(std::string id, Args... args) {
    return child_spec{std::move(id), spawn_link_fn<A>(std::move(args)...)};
  }
  /// A child supervisor (shutdown infinity, as OTP recommends).
  static child_spec supervisor(std::string id, supervisor_spec spec);

  child_spec&& with_restart(restart_type r) && {
    restart = r;
    return std::move(*this);
  }
  child_spec&& with_shutdown(shutdown_policy s) && {
    shutdown = s;
    return std::move(*this);
  }
  child_spec&& as_significant() && {
    significant = true;
    return std::move(*this);
  }
  /// The child registers under `name` before its init runs, at every start and restart
  /// (OTP: a child spec whose start is {M, start_link, [{local, Name}, ...]}). For specs made
  /// by worker() and supervisor(); throws std::logic_error for a hand-written start.
  child_spec&& registered_as(std::string name) && {
    if (!start_registered_as) {
      throw std::logic_error("child_spec '" + id +
                             "': registered_as needs a spec made by worker() or supervisor()");
    }
    start = start_registered_as(std::move(name));
    return std::move(*this);
  }
};

struct supervisor_flags {
  restart_strategy strategy = restart_strategy::one_for_one;
  int intensity = 1;
  std::chrono::milliseconds period = std::chrono::seconds(5);
  auto_shutdown_policy auto_shutdown = auto_shutdown_policy::never;
};

struct supervisor_spec {
  supervisor_flags flags;
  std::vector<child_spec> children;
};

// --- what the client functions answer ---------------------------------------------------

/// What which_children says of a child (supervisor:which_children/1: Pid | restarting |
/// undefined).
enum class child_status { running, restarting, undefined };
struct child_info {
  std::string id;  // empty for a simple_one_for_one child (OTP: undefined)
  pid process;     // none unless running
  child_kind kind = child_kind::worker;
  child_status status = child_status::undefined;
};
/// supervisor:count_children/1. For simple_one_for_one: specs is 1 (the template) and
/// supervisors/workers count the dynamic children.
struct child_counts {
  std::size_t specs = 0, active = 0, supervisors = 0, workers = 0;
  friend bool operator==(const child_counts&, const child_counts&) = default;
};
/// A started child (OTP: {ok, Pid}); process is none when its start returned ignore
/// ({ok, undefined}). `info` is the start's extra info when it gave one ({ok, Pid, Info}).
struct started_child {
  pid process;
  std::any info;
};

namespace detail {
// The supervisor's call protocol: what its client functions send (supervisor.erl's
// {start_child, Spec}, which_children, ...). Use the client functions below, from a thread
// or with co_await inside a behaviour; these types may change.
struct which_children_request {
  using reply = supervisor_result<std::vector<child_info>>;
};
struct count_children_request {
  using reply = supervisor_result<child_counts>;
};
/// start_child: a new spec, or for simple_one_for_one the template with `start` replaced
/// by the given start function when it is set (OTP: extra arguments).
struct start_child_request {
  child_spec spec;
  using reply = supervisor_result<started_child>;
};
/// terminate_child: by id, or (when `process` is set) by the child's pid.
struct terminate_child_request {
  std::string id;
  pid process;
  using reply = supervisor_result<void>;
};
struct restart_child_request {
  std::string id;
  using reply = supervisor_result<started_child>;
};
struct delete_child_request {
  std::string id;
  using reply = supervisor_result<void>;
};
/// get_childspec: by id, or (when `process` is set) by the child's pid.
struct get_childspec_request {
  std::string id;
  pid process;
  using reply = supervisor_result<child_spec>;
};
}  // namespace detail

/// supervisor:check_childspecs/2: ok if every spec is valid (a start function, a shutdown
/// timeout >= 0, significant only with transient/temporary and, when `auto_shutdown` is
/// given, not with never; ids unique), else the first error (missing_start,
/// invalid_shutdown, bad_combination, duplicate_child_name).
supervisor_result<void> check_childspecs(
    const std::vector<child_spec>& specs,
    std::optional<auto_shutdown_policy> auto_shutdown = std::nullopt);

class supervisor : public gen_server {
 public:
  explicit supervisor(supervisor_spec spec);
  ~supervisor() override;

  /// The restart bookkeeping (supervisor.erl add_restart/1): records a restart at `now` in
  /// `restarts` (newest first), forgets those older than `period`, and says whether the
  /// intensity still allows it (false: the supervisor must shut down).
  static bool add_restart(std::deque<std::chrono::milliseconds>& restarts,
                          std::chrono::milliseconds now, int intensity,
                          std::chrono::milliseconds period);

 protected:
  void init() override;
  void handle_call(call_context& c) override;
  void handle_info(message& m) override;
  void terminate(const exit_reason& reason) override;

 private:
  struct state;  // the children and their indexes (supervisor.cpp)
  struct child;
  struct try_again_restart {
    std::uint64_t key;
  };

  async start_initial_children();
  void on_child_exit(const pid& who, const exit_reason& reason);
  async restart(std::uint64_t key);
  async shutdown_all();
  async stop_dynamic_children();
  async do_start_child(from caller, child_spec spec);
  async do_terminate_child(from caller, std::string id, pid process);
  async do_restart_child(from caller, std::string id);
  supervisor_result<void> do_delete_child(const std::string& id);
  supervisor_result<child_spec> do_get_childspec(const std::string& id, const pid& process);

  /// Starts the children with `keys` in order; stops at the first failure and returns its
  /// key (0 if all started). Started and ignored children are recorded.
  async start_in_order(const std::vector<std::uint64_t>& keys, std::uint64_t* failed,
                       exit_reason* why);
  /// Records a start's result on a child; false on error.
  bool record_start(child& c, const start_result& r);
  /// Stops the children with `keys` one after another, each per its shutdown policy.
  async stop_each(const std::vector<std::uint64_t>& keys);
  async stop_one(pid p, shutdown_policy how);
  bool should_auto_shutdown(const child& exited) const;
  void supervisor_report(const child& c, const pid& was, const exit_reason& reason,
                         const char* action);
  bool simple() const noexcept { return flags_.strategy == restart_strategy::simple_one_for_one; }

  supervisor_flags flags_;
  std::vector<child_spec> initial_;
  child_spec template_;  // simple_one_for_one
  std::unique_ptr<state> state_;
  std::deque<std::chrono::milliseconds> restarts_;
};

/// Starts a supervisor from a plain thread (supervisor:start_link without the link). A bad
/// flag fails it with {supervisor_data, Error}, a bad child spec with {start_spec, Error}
/// and a simple_one_for_one spec without exactly one child with {bad_start_spec, ...}.
start_result start_supervisor(node& n, supervisor_spec spec, std::string name = {});

// Client functions for plain threads (supervisor:start_child/2 and friends). Each is a call
// that waits up to `timeout` (OTP's default: infinity); a supervisor that is not alive, exits
// during the call or does not answer in time gives supervisor_error::call_failed with the
// reason (noproc, its exit reason, timeout) instead of an exception.

/// supervisor:start_child/2 with a child spec. Errors: already_started, already_present,
/// missing_start, invalid_shutdown, bad_combination, start_error. A temporary child whose
/// start returns ignore is not kept (ok with no pid).
supervisor_result<started_child> start_child(node& n, const pid& sup, child_spec spec,
                                             std::chrono::milliseconds timeout = infinity);
/// simple_one_for_one: starts a child from the template with its own start function; an
/// empty one starts the template as it is (OTP: start_child(Sup, [])).
supervisor_result<started_child> start_child(node& n, const pid& sup, start_fn start,
                                             std::chrono::milliseconds timeout = infinity);
/// Stops a child; a temporary one (and any simple_one_for_one child) is also forgotten.
/// Ends a failing restart loop. Errors: not_found, simple_one_for_one (by id).
supervisor_result<void> terminate_child(node& n, const pid& sup, const std::string& id,
                                        std::chrono::milliseconds timeout = infinity);
/// By pid; a pid that is no longer alive answers ok (OTP).
supervisor_result<void> terminate_child(node& n, const pid& sup, const pid& child,
                                        std::chrono::milliseconds timeout = infinity);
/// Errors: not_found, running, restarting, simple_one_for_one, start_error.
supervisor_result<started_child> restart_child(node& n, const pid& sup, const std::string& id,
                                               std::chrono::milliseconds timeout = infinity);
/// Errors: not_found, running, restarting, simple_one_for_one.
supervisor_result<void> delete_child(node& n, const pid& sup, const std::string& id,
                                     std::chrono::milliseconds timeout = infinity);
/// Errors: not_found. A temporary child's spec has no start function (OTP keeps none).
supervisor_result<child_spec> get_childspec(node& n, const pid& sup, const std::string& id,
                                            std::chrono::milliseconds timeout = infinity);
supervisor_result<child_spec> get_childspec(node& n, const pid& sup, const pid& child,
                                            std::chrono::milliseconds timeout = infinity);
supervisor_result<std::vector<child_info>> which_children(
    node& n, const pid& sup, std::chrono::milliseconds timeout = infinity);
supervisor_result<child_counts> count_children(node& n, const pid& sup,
                                               std::chrono::milliseconds timeout = infinity);

// Client functions for behaviours: the same functions, results and errors, taking the calling
// behaviour instead of the node and awaited in an otp::async coroutine (behaviour.hpp), so the
// process waits without holding a thread:
//
//   otp::async grow(otp::from caller) {
//     otp::child_spec spec = otp::child_spec::worker<kv>("kv2");  // named: GCC 12, see call()
//     otp::supervisor_result<otp::started_child> r =
//         co_await otp::start_child(*this, sup_, spec);
//     ...
//   }
//
// Ids are string_views so that a literal id builds no std::string inside the co_await
// operand (GCC 12 miscompiles such temporaries, see behaviour::call); a child spec or start
// function is best built in a named variable for the same reason.

/// A supervisor client call made from a behaviour: co_await it for the supervisor_result<T>.
/// A supervisor that is not alive, exits during the call or does not answer in time gives
/// supervisor_error::call_failed with the reason, as the thread-side functions do.
template <class T>
class [[nodiscard]] supervisor_call {
 public:
  template <class Req>
  supervisor_call(behaviour& self, const pid& sup, Req req, std::chrono::milliseconds timeout)
      : call_(self.call(sup, std::move(req), timeout)) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { call_.await_suspend(h); }
  supervisor_result<T> await_resume() {
    try {
      return call_.await_resume();
    } catch (const call_error& e) {
      return unexpected(supervisor_error::call_failed(e.reason()));
    }
  }

 private:
  behaviour::call_awaiter<supervisor_result<T>> call_;
};

/// supervisor:start_child/2 from a behaviour (see the thread-side start_child).
supervisor_call<started_child> start_child(behaviour& self, const pid& sup, const child_spec& spec,
                                           std::chrono::milliseconds timeout = infinity);
/// simple_one_for_one: a child from the template with its own start function (or, empty,
/// the template as it is).
supervisor_call<started_child> start_child(behaviour& self, const pid& sup, const start_fn& start,
                                           std::chrono::milliseconds timeout = infinity);
supervisor_call<void> terminate_child(behaviour& self, const pid& sup, std::string_view id,
                                      std::chrono::milliseconds timeout = infinity);
supervisor_call<void> terminate_child(behaviour& self, const pid& sup, const pid& child,
                                      std::chrono::milliseconds timeout = infinity);
supervisor_call<started_child> restart_child(behaviour& self, const pid& sup, std::string_view id,
                                             std::chrono::milliseconds timeout = infinity);
supervisor_call<void> delete_child(behaviour& self, const pid& sup, std::string_view id,
                                   std::chrono::milliseconds timeout = infinity);
supervisor_call<child_spec> get_childspec(behaviour& self, const pid& sup, std::string_view id,
                                          std::chrono::milliseconds timeout = infinity);
supervisor_call<child_spec> get_childspec(behaviour& self, const pid& sup, const pid& child,
                                          std::chrono::milliseconds timeout = infinity);
supervisor_call<std::vector<child_info>> which_children(
    behaviour& self, const pid& sup, std::chrono::milliseconds timeout = infinity);
supervisor_call<child_counts> count_children(behaviour& self, const pid& sup,
                                             std::chrono::milliseconds timeout = infinity);

}  // namespace bitactor::otp

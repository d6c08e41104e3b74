#pragma once
// The call protocol shared by every behaviour (OTP: gen.erl). One place holds how a request
// travels to a server and how its answer comes back, so gen_server, gen_statem and supervisor
// speak it the same way and a remote transport can later carry it unchanged.
//
// A call is a request value of a type that names its reply type:
//
//   struct get_value { std::string key; using reply = std::optional<int>; };
//
// The caller monitors the server and sends `call_request{from{caller, tag}, request}` where
// the tag is the monitor's ref (as gen.erl does). The server answers with
// `call_reply{tag, value}`. The caller waits for the reply, the server's DOWN, or its timeout:
//  - reply   -> the value (its type must be Req::reply, else call_error)
//  - DOWN    -> call_error with the server's exit reason (noproc if it was not alive)
//  - timeout -> call_error with reason `timeout`
// A reply that arrives after the caller gave up is never handed to the caller's handlers:
// blocking callers use a private mailbox that dies with the call, and behaviours drop replies
// whose tag is no longer pending (see behaviour.hpp).
//
// A cast is a fire-and-forget `cast_request{request}` (OTP: {'$gen_cast', Msg}); it never
// fails, even to a dead server.
//
// Functions here that take a node& are for plain threads (main, tests); inside a behaviour
// use its members (co_await call(...), cast(...), reply(...)). A blocking call from inside a
// process's handler throws would_block at once: it would hold the scheduler thread that the
// reply needs.

#include <chrono>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "bitactor/core/actor.hpp"
#include "bitactor/core/error.hpp"
#include "bitactor/core/exit_reason.hpp"
#include "bitactor/core/inbox.hpp"
#include "bitactor/core/message.hpp"
#include "bitactor/core/node.hpp"
#include "bitactor/core/pid.hpp"
#include "bitactor/term/codec.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::otp {

/// "Wait forever" for call and start timeouts (OTP: infinity). Large but finite, so deadlines
/// computed from it never overflow.
inline constexpr std::chrono::milliseconds infinity = std::chrono::hours(24 * 365 * 100);
/// gen_server:call/2's default timeout.
inline constexpr std::chrono::milliseconds default_call_timeout = std::chrono::seconds(5);

/// A request type usable with call(): it names the type of its reply.
template <class R>
concept request = requires {
  typename R::reply;
}
&&std::movable<typename R::reply>;

/// The reply type of a request.
template <request R>
using reply_t = typename R::reply;

/// The requests a server class answers, declared in the class so that calls through a
/// server_ref are checked when they compile:
///
///   class kv : public otp::gen_server {
///    public:
///     using calls = otp::calls<get, put>;
///     ...
///   };
///   otp::server_ref<kv> store{r.process};
///   otp::call(node, store, get{"a"});     // compiles
///   otp::call(node, store, rename{...});  // does not: kv does not answer rename
template <class... Requests>
struct calls {};

namespace detail {
template <class List, class Req>
inline constexpr bool listed_in = false;
template <class... Rs, class Req>
inline constexpr bool listed_in<calls<Rs...>, Req> = (std::is_same_v<Rs, Req> || ...);
}  // namespace detail

/// Whether server class S answers request Req: S lists Req in its `calls`, or declares no
/// list (then only the running server can tell, and a call it has no handler for fails with
/// `{unexpected_call, <<Type>>}`).
template <class S, class Req>
concept answers = !requires {
  typename S::calls;
}
|| detail::listed_in<typename S::calls, Req>;

/// A pid known to run server class S: calls through it are checked against S's `calls`.
template <class S>
struct server_ref {
  pid process;
  explicit server_ref(pid p) noexcept : process(p) {}
  friend bool operator==(const server_ref&, const server_ref&) = default;
};

/// An empty reply, for requests that only need an acknowledgement (OTP: `ok`).
struct ok_t {
  friend bool operator==(ok_t, ok_t) = default;
};
inline constexpr ok_t ok{};

/// Who is waiting for a reply (OTP: From = {Pid, Tag}). Keep it to reply later.
struct from {
  from() = default;
  from(pid who, ref call_tag) : caller(who), tag(call_tag) {}

  pid caller;
  ref tag;
  /// For a call that came as an Erlang term, `{'$gen_call', {Pid, Tag}, Req}` (from an
  /// Erlang node, or any process speaking gen's term protocol): Tag as it came (a ref,
  /// `[alias|Ref]`, ...). The reply is then the term `{Tag, Reply}` sent to Pid, as
  /// gen:reply/2 sends it. `[]` (the default) for calls of this runtime's own form.
  term::term erl_tag;
  bool from_erlang() const noexcept { return !erl_tag.is_nil(); }
  friend bool operator==(const from&, const from&) = default;
};

/// The wire form of a call: the request travels type-erased as a message of its own type.
struct call_request {
  from caller;
  message_ptr request;
};

/// The wire form of a reply: the value travels as a message of type reply_t<Req>.
struct call_reply {
  ref tag;
  message_ptr value;
  /// The server ended the caller's monitor on it as it replied (actor::end_monitor_by), so
  /// the caller forgets its half instead of sending a demonitor.
  bool monitor_ended = false;
};

/// The wire form of a cast.
struct cast_request {
  message_ptr request;
};

/// Why a call failed. Like gen:call's exit, it carries a reason a person can read:
/// `timeout`, `noproc`, or the server's own exit reason.
class call_error : public error {
 public:
  call_error(exit_reason reason, const std::string& context)
      : error(context + ": " + reason.to_string()), reason_(std::move(reason)) {}
  const exit_reason& reason() const noexcept { return reason_; }
  bool timed_out() const noexcept { return reason_.is("timeout"); }

 private:
  exit_reason reason_;
};

namespace detail {
std::string describe_call(const pid& server, std::string_view request_type);
[[noreturn]] void throw_bad_reply(const pid& server, std::string_view expected,
                                  std::string_view got);
exit_reason timeout_reason();
/// `{unexpected_message, <<TypeName>>}`.
exit_reason unexpected_message_reason(std::string_view type_name);
}  // namespace detail

namespace detail {
/// Reads `{'$gen_call', {Pid, Tag}, Req}`: true with the caller and the request taken out.
bool take_erlang_call(const term::term& message, from& caller, term::term& request);
/// Reads `{'$gen_cast', Req}`.
bool take_erlang_cast(const term::term& message, term::term& request);
[[noreturn]] void throw_not_a_term_reply(std::string_view type);
/// The reply to a call from Erlang must be a term or have one (term::codec); anything else is
/// a bug of the server, which fails with a logic_error naming the type.
template <class T>
term::term erlang_reply(T&& value) {
  if constexpr (std::is_constructible_v<term::term, T&&>) {
    return term::term(std::forward<T>(value));
  } else if constexpr (term::has_codec<std::decay_t<T>>) {
    return term::codec<std::decay_t<T>>::encode(value);
  } else {
    throw_not_a_term_reply(type_name(type_id_of<std::decay_t<T>>()));
  }
}
/// Sends `{Tag, Reply}` to the caller of a call from Erlang.
template <class Sender, class T>
void send_reply(Sender& sender, const from& to, T&& value) {
  if (to.from_erlang()) {
    sender.send(to.caller, term::tuple(to.erl_tag, erlang_reply(std::forward<T>(value))));
  } else {
    // A server replying from its own turn ends the caller's monitor on itself here: the
    // caller, which demonitors once the reply arrives (gen.erl), then sends no demonitor.
    bool ended = false;
    if constexpr (std::is_base_of_v<actor, Sender>) {
      ended = sender.end_monitor_by(to.caller, to.tag);
    }
    sender.send(
        to.caller,
        call_reply{to.tag, message_ptr(make_message<std::decay_t<T>>(std::forward<T>(value))),
                   ended});
  }
}
}  // namespace detail

/// Takes the typed value out of a reply message; throws call_error if it has another type.
template <class R>
R take_reply(message_ptr& value, const pid& server) {
  if (R* v = value->get_if<R>()) return std::move(*v);
  detail::throw_bad_reply(server, type_name(type_id_of<R>()), value->type_name());
}

namespace detail {
// Waiting for an answer (gen.erl's receive): a behaviour parks a coroutine on a wait_spec
// (behaviour::wait), a plain thread blocks its inbox on one (wait_on_thread); both end with a
// wait_outcome that call_result and start_result_of turn into what the caller sees.
/// A timer message that ends a wait.
struct wait_timeout {
  ref tag;
};
/// What ended a wait.
struct wait_outcome {
  enum class how { matched, down, exited, timeout } kind = how::timeout;
  message_ptr matched;  // the call_reply or init_ack
  exit_reason reason;   // for down / exited
  ref monitor;          // for down: the monitor that fired (for an any_down wait)
};
struct wait_spec {
  ref tag;        // call_reply / init_ack tag to wait for
  ref monitor;    // a DOWN with this ref ends the wait
  pid exit_from;  // an exit_msg from this pid ends the wait (linked start)
  std::chrono::milliseconds timeout = infinity;
  // A DOWN of any monitor that no other wait names ends the wait: one wait collects the
  // DOWNs of many processes stopped at once (supervisor.erl wait_dynamic_children).
  bool any_down = false;
};

/// The tag of a reply in gen's term form, `{Tag, Reply}` with Tag a ref; nullopt for any
/// other term.
std::optional<ref> erlang_reply_tag(const term::term& t);
/// `{'$gen_call', {Caller, Tag}, Request}`, the call gen_server:call sends.
term::term erlang_call_message(const pid& caller, const ref& tag, term::term request);
/// A term call's outcome: the Reply of `{Tag, Reply}`, or call_error as call_result.
term::term erlang_call_result(wait_outcome& o, const pid& server);
/// The same, describing the call as `what` in a call_error.
term::term erlang_call_result(wait_outcome& o, const std::string& what);

/// A plain thread's wait: receives from `box` until a call_reply or init_ack with spec.tag
/// (or a reply in term form, `{Tag, Reply}`, with that tag),
/// a DOWN of spec.monitor, an exit_msg from spec.exit_from, or the timeout. Other messages
/// are dropped: the box belongs to this one wait.
wait_outcome wait_on_thread(node& n, inbox& box, const wait_spec& spec);

/// A call's outcome as gen:call returns it: the reply, or call_error with `timeout`, the
/// server's exit reason (noproc if it was not alive) or bad_reply_type.
template <class T>
T call_result(wait_outcome& o, const pid& server, type_id request_type) {
  switch (o.kind) {
    case wait_outcome::how::matched:
      return take_reply<T>(o.matched->get_if<call_reply>()->value, server);
    case wait_outcome::how::timeout:
      throw call_error(timeout_reason(), describe_call(server, type_name(request_type)));
    default:
      throw call_error(o.reason, describe_call(server, type_name(request_type)));
  }
}
}  // namespace detail

/// Sends a reply to a waiting caller (gen_server:reply/2) from any thread.
template <class T>
void reply(node& n, const from& to, T&& value) {
  detail::send_reply(n, to, std::forward<T>(value));
}

/// Casts a request to a server (gen_server:cast/2); never fails.
template <class T>
void cast(node& n, const pid& server, T&& msg) {
  n.send(server, cast_request{message_ptr(make_message<std::decay_t<T>>(std::forward<T>(msg)))});
}
template <class T>
void cast(node& n, std::string_view name, T&& msg) {
  if (auto p = n.whereis(name)) cast(n, *p, std::forward<T>(msg));
}

/// Calls a server from a plain thread and waits for the reply (gen_server:call/3).
/// Throws call_error on timeout, if the server is not alive, or if it exits before replying.
template <request Req>
reply_t<Req> call(node& n, const pid& server, Req req,
                  std::chrono::milliseconds timeout = default_call_timeout) {
  // A mailbox of the call's own: a late reply goes to a dead process and is dropped.
  inbox box(n);
  ref tag = box.monitor(server);
  n.send(server,
         call_request{from{box.self(), tag}, message_ptr(make_message<Req>(std::move(req)))});
  detail::wait_outcome o = detail::wait_on_thread(n, box, {tag, tag, pid{}, timeout, false});
  return detail::call_result<reply_t<Req>>(o, server, type_id_of<Req>());
}

/// Calls a server through a typed reference: a request the server's class does not list in
/// its `calls` does not compile.
template <class S, request Req>
requires answers<S, Req> reply_t<Req> call(
    node& n, server_ref<S> server, Req req,
    std::chrono::milliseconds timeout = default_call_timeout) {
  return call(n, server.process, std::move(req), timeout);
}

/// Calls a server with a request in gen's term form, as gen_server:call(Server, Request)
/// does: for a server on an Erlang node, or an otp behaviour here that answers terms. The
/// reply is a term; failures are call_error as for typed calls (the server is monitored, on
/// another node too, so its death ends the call with its reason).
term::term call(node& n, const pid& server, term::term request,
                std::chrono::milliseconds timeout = default_call_timeout);

/// Calls a registered server; a name nobody holds fails with noproc (as gen_server:call).
template <request Req>
reply_t<Req> call(node& n, std::string_view name, Req req,
                  std::chrono::milliseconds timeout = default_call_timeout) {
  auto p = n.whereis(name);
  if (!p) throw call_error(exit_reason::noproc(), "call to '" + std::string(name) + "'");
  return call(n, *p, std::move(req), timeout);
}

}  // namespace bitactor::otp

#pragma once
// gen_server: the generic server behaviour (OTP 25 stdlib, gen_server(3)).
//
// A server is a class deriving from otp::gen_server that overrides the callbacks it needs:
//
//   struct get { std::string key; using reply = std::optional<int>; };
//   struct put { std::string key; int value; using reply = otp::ok_t; };
//
//   class kv : public otp::gen_server {
//     std::map<std::string, int> data_;
//     void handle_call(otp::call_context& c) override {
//       c.match([&](get& g) -> std::optional<int> { ... },      // the return value is the reply
//               [&](put& p) { data_[p.key] = p.value; return otp::ok; });
//     }
//   };
//   auto r = otp::start<kv>(node, {.name = "kv"});              // waits for init
//   int v = *otp::call(node, "kv", get{"a"});                   // from a plain thread
//
// Callbacks (all optional) and what they may do (members below):
//  init()                  runs in the new process before the starter gets its answer.
//                          ignore() -> start returns ignore; stop(R) or an exception -> start
//                          returns error R (terminate is not called, as in OTP).
//  handle_call(call_context&)  a call. Reply by returning a value from the matching handler,
//                          with c.reply(v), or later with reply(c.defer(), v) (noreply).
//                          A handler that must wait first returns an async_reply: a
//                          coroutine whose co_return value is the reply (see below).
//                          A call from an Erlang node (gen_server:call({Name, Node}, Req))
//                          arrives here too, its request a term::term: match it with a
//                          handler taking term::term& and reply with a term.
//  handle_cast(message&)   a cast (from Erlang: gen_server:cast, the request a term::term).
//  handle_info(message&)   everything else: plain messages, exit_msg, down_msg, timeouts.
//                          An exit_msg from the parent (the process that started it linked)
//                          while trapping exits ends the server with that reason instead.
//                          (Started with start() from a plain thread, its parent is "no
//                          process": node::exit(server, R) from outside stops it that way.)
//  handle_continue(message&)  work requested with continue_with(v), run right after the
//                          callback that asked, before any other message ({continue, C}).
//  terminate(reason)       called when the server stops: stop(R) from a callback, an
//                          exception escaping a callback, or its parent's exit while it traps
//                          exits. Not called when it is killed or not trapping (as in OTP).
// After each callback: set_timeout(t) arms the inactivity timeout (any message cancels it;
// when it fires handle_info gets otp::inactivity_timeout), stop(R) stops the server.
// A server that stops abnormally logs a crash report (report.hpp).

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "bitactor/otp/behaviour.hpp"
#include "bitactor/otp/call.hpp"

namespace bitactor::otp {

/// Delivered to handle_info when the inactivity timeout set with set_timeout fires.
struct inactivity_timeout {};

/// The reply to a call, computed by a coroutine (a handle_call that must itself wait, e.g.
/// for another server). Return one from a call_context::match handler:
///
///   otp::async_reply<int> lookup(get g) {            // a member function; takes the request
///     fetch q{g.key};                                // by value (the message is gone once
///     int v = co_await call(database, std::move(q)); // the handler returns)
///     co_return v;                                   // the reply
///   }
///   void handle_call(otp::call_context& c) override {
///     c.match([&](get& g) { return lookup(g); });
///   }
///
/// The caller gets the value the coroutine co_returns; the server waits meanwhile, as in
/// gen_server:call inside a callback. If the coroutine throws, the server crashes with that
/// reason and the caller gets it through its monitor. Write the coroutine as a member
/// function (or a free function): a lambda that is itself a coroutine must not capture,
/// because the lambda object dies when match returns while the frame lives on.
template <class T>
class async_reply {
 public:
  using value_type = T;
  struct promise_type : detail::promise_base {
    async_reply get_return_object() {
      auto h = std::coroutine_handle<promise_type>::from_promise(*this);
      attach(h);
      return async_reply(h);
    }
    template <class U>
    void return_value(U&& v) {
      value.emplace(std::forward<U>(v));
      deliver();
    }
    void deliver() {
      if (!value || !to) return;
      owner->reply(*to, std::move(*value));
      value.reset();
      to.reset();
    }
    std::optional<T> value;  // returned before anyone to answer was known
    std::optional<from> to;
  };

  /// Sends the reply to `caller` once the coroutine returns it (at once if it already has).
  void reply_to(const from& caller) {
    handle_.promise().to = caller;
    handle_.promise().deliver();
  }

 private:
  explicit async_reply(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
  std::coroutine_handle<promise_type> handle_;  // not owning: the process owns the frame
};

namespace detail {
template <class T>
inline constexpr bool is_async_reply = false;
template <class T>
inline constexpr bool is_async_reply<async_reply<T>> = true;
}  // namespace detail

/// A call as the server sees it: the request, who waits, and how to answer.
class call_context {
 public:
  /// `caller` and `req` must outlive the context (they are the call's message).
  call_context(behaviour& server, const from& caller, message& req)
      : server_(server), from_(caller), request_(req) {}

  message& request() noexcept { return request_; }
  template <class T>
  T* get_if() noexcept {
    return request_.get_if<T>();
  }
  const otp::from& caller() const noexcept { return from_; }

  /// Calls the handler whose parameter type is the request's type. A handler returning a
  /// value replies with it (converted to the request's reply type when it has one); a
  /// handler returning void does not reply (defer() first to reply later). Returns false if
  /// no handler matched. A call that no match of handle_call took and nobody answered
  /// crashes the server with `{unexpected_call, <<RequestType>>}` (OTP: a handle_call with no
  /// clause for it), so the caller fails at once with that reason instead of timing out.
  template <class... Handlers>
  bool match(Handlers&&... handlers);

  template <class T>
  void reply(T&& value) {
    replied_ = true;
    server_.reply(from_, std::forward<T>(value));
  }
  /// No reply now ({noreply, State}): keep the returned from and reply(from, v) later.
  otp::from defer() noexcept {
    deferred_ = true;
    return from_;
  }
  bool answered() const noexcept { return replied_ || deferred_; }
  /// match() was tried, no handler took the request, and it was not answered otherwise.
  bool unhandled() const noexcept { return matching_ == matching::missed && !answered(); }

 private:
  enum class matching : std::uint8_t { not_tried, missed, taken };
  behaviour& server_;
  const otp::from& from_;
  message& request_;
  bool replied_ = false;
  bool deferred_ = false;
  matching matching_ = matching::not_tried;
};

class gen_server : public behaviour {
 protected:
  virtual void init() {}
  virtual void handle_call(call_context& c);
  virtual void handle_cast(message&) {}
  virtual void handle_info(message&) {}
  virtual void handle_continue(message&) {}
  // terminate(const exit_reason&): see behaviour.

  /// Stops the server with `reason` once the current callback returns ({stop, Reason, _}).
  void stop(exit_reason reason) { more().stop = std::move(reason); }
  /// From init(): start returns ignore and the process exits normally.
  void ignore() { more().ignore = true; }
  /// Runs handle_continue(value) right after the current callback.
  template <class T>
  void continue_with(T&& value) {
    more().continuations.push_back(
        message_ptr(make_message<std::decay_t<T>>(std::forward<T>(value))));
  }
  /// Arms the inactivity timeout for after this callback (OTP: Timeout in the return tuple).
  void set_timeout(std::chrono::milliseconds t) { more().timeout = t; }

 private:
  void dispatch(message& m) final;
  void settle() final;
  bool acknowledge_init();  // false: init chose ignore, and the process is ending
  /// A call or cast in gen's term form (from an Erlang node): handled as handle_call or
  /// handle_cast with the request as a term::term. False for any other term.
  bool dispatch_erlang(const term::term& t);
  /// handle_call for one call, of either form; a call no handler took crashes the server.
  void serve_call(const from& caller, message& request);

  // What only a server that stops, continues, times out or is ending needs. Kept off the
  // idle server: a million of those pay 8 bytes each for it instead of ~200.
  struct extras {
    std::optional<exit_reason> stop;                   // stop() was called: end after this callback
    bool ignore = false;                               // init() chose ignore
    detail::message_queue continuations;               // continue_with() values, oldest first
    std::optional<std::chrono::milliseconds> timeout;  // set_timeout(), to arm after it
    timer_ref inactivity;
    ref inactivity_tag;  // tells the armed tick from a cancelled one that fired anyway
  };
  extras& more() {
    if (!extras_) extras_ = std::make_unique<extras>();
    return *extras_;
  }

  std::unique_ptr<extras> extras_;
};

struct inactivity_tick {
  ref tag;
};

namespace detail {
template <class F>
using handler_arg = typename bitactor::detail::handler_traits<F>::arg;

template <class F>
using handler_result =
    std::invoke_result_t<F&, std::add_lvalue_reference_t<handler_arg<std::remove_cvref_t<F>>>>;

template <class Req, class R>
auto as_reply(R&& value) {
  if constexpr (request<Req>) {
    return reply_t<Req>(std::forward<R>(value));
  } else {
    return std::decay_t<R>(std::forward<R>(value));
  }
}
}  // namespace detail

template <class... Handlers>
bool call_context::match(Handlers&&... handlers) {
  bool matched = false;
  auto try_one = [&](auto&& h) {
    using H = std::remove_cvref_t<decltype(h)>;
    using arg = detail::handler_arg<H>;
    if (matched || !request_.is<arg>()) return;
    matched = true;
    arg& value = *request_.get_if<arg>();
    using result = detail::handler_result<H>;
    if constexpr (std::is_void_v<result>) {
      h(value);
    } else if constexpr (detail::is_async_reply<result>) {
      if constexpr (otp::request<arg>) {
        static_assert(std::is_same_v<typename result::value_type, reply_t<arg>>,
                      "an async_reply handler must produce the request's reply type");
      }
      h(value).reply_to(defer());
    } else {
      reply(detail::as_reply<arg>(h(value)));
    }
  };
  (try_one(std::forward<Handlers>(handlers)), ...);
  if (matched) {
    matching_ = matching::taken;
  } else if (matching_ == matching::not_tried) {
    matching_ = matching::missed;
  }
  return matched;
}

}  // namespace bitactor::otp

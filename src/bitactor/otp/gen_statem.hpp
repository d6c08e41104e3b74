#pragma once
// gen_statem: the generic state machine behaviour (OTP 25 stdlib, gen_statem(3)).
//
// Model. A state machine is a class deriving from otp::gen_statem. Its state is a name
// (OTP's state is usually an atom; here a string) plus whatever members the class holds
// (OTP's Data). Each event is handed to one callback together with the current state:
//  - state functions mode: on_state("locked", &code_lock::locked) names the function that
//    handles events in that state (callback_mode state_functions);
//  - handle_event mode: override handle_event(event&) and read state() (callback_mode
//    handle_event_function). A state with no function of its own goes to handle_event too,
//    whose default crashes the machine with the unexpected event (as OTP does).
// With state_enter(true) (callback_mode [.., state_enter]) the callback of the new state is
// also called with an `enter` event after every state change, and for the initial state.
//
// Events (event::type()): call (reply with e.reply(v) or later with reply(e.caller(), v)),
// cast, info (any other message), internal (inserted with next_event), enter, and the three
// timeouts. What a callback decides is a set of transition actions, applied after it returns:
//   next_state(s)        go to state s (the same state is no change: no enter call, no retry
//                        of postponed events); repeat_state() re-runs the enter call
//   postpone()           keep this event; it is retried, in arrival order, after the next
//                        state change
//   next_event(v)        insert an internal event, handled before any queued event (several
//                        are handled in the order inserted, before the postponed ones)
//   event_timeout(t, v)  fires if no event arrives within t; any event cancels it
//   state_timeout(t, v)  fires after t unless the state changes first; setting it again
//                        restarts it, cancel_state_timeout() cancels it
//   generic_timeout(name, t, v)  one per name; survives events and state changes; set again
//                        to restart it, cancel_generic_timeout(name) to cancel
//   stop(reason) / stop_and_reply(reason, from, v)  end the machine (terminate runs first)
// A timeout's event carries the content given (v), or none (content() is nullptr).
//
//   class door : public otp::gen_statem {
//     void init() override {
//       state_enter(true);
//       on_state("closed", &door::closed);
//       on_state("open", &door::open);
//       start_in("closed");
//     }
//     void closed(otp::event& e) {
//       if (e.get_if<push>()) next_state("open");
//     }
//     void open(otp::event& e) {
//       if (e.is_enter()) state_timeout(std::chrono::seconds(10));
//       else if (e.type() == otp::event_type::state_timeout) next_state("closed");
//       else postpone();                    // retried once the door is closed again
//     }
//   };
//
// Starting and calling use the shared protocol: otp::start<S>(node, opts, args...),
// otp::start_link_fn<S>(...) as a child of a supervisor, otp::call / otp::cast from threads,
// co_await call(...) from behaviours. init() must pick the initial state with start_in();
// ignore() and stop(R) / an exception in init make start return ignore / error as for
// gen_server. A machine that stops abnormally logs a crash report (report.hpp).
//
// A callback that co_awaits (otp::async) must set its actions before its first suspension:
// actions set after it resumes belong to no transition and are ignored.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "bitactor/otp/behaviour.hpp"
#include "bitactor/otp/call.hpp"

namespace bitactor::otp {

using state_name = std::string;

enum class event_type {
  enter,            // state enter call: old_state() names where the machine came from
  call,             // {call, From}
  cast,             // cast
  info,             // any other message
  internal,         // inserted with next_event
  event_timeout,    // timeout
  state_timeout,    // state_timeout
  generic_timeout,  // {timeout, Name}: timeout_name() names it
};

const char* to_string(event_type t) noexcept;

class gen_statem;

/// One event as a state callback sees it.
class event {
 public:
  event(event_type t, message_ptr owner, message* content)
      : type_(t), owner_(std::move(owner)), content_(content) {}

  event_type type() const noexcept { return type_; }
  bool is_enter() const noexcept { return type_ == event_type::enter; }
  bool is_timeout() const noexcept {
    return type_ == event_type::event_timeout || type_ == event_type::state_timeout ||
           type_ == event_type::generic_timeout;
  }
  /// The event's value: the request of a call or cast, the message of an info, the value
  /// given to next_event or to a timeout. nullptr for enter and timeouts set without one.
  message* content() noexcept { return content_; }
  template <class T>
  T* get_if() noexcept {
    return content_ != nullptr ? content_->get_if<T>() : nullptr;
  }
  /// Calls the handler whose parameter type is the content's type (see message::match).
  template <class... Handlers>
  bool match(Handlers&&... handlers) {
    return content_ != nullptr && content_->match(std::forward<Handlers>(handlers)...);
  }

  /// For a call: who waits for the reply. Keep it to reply later (a deferred reply).
  const otp::from& caller() const noexcept { return from_; }
  /// For a generic timeout: its name.
  const std::string& timeout_name() const noexcept { return name_; }
  /// For an enter call: the state left (the initial state itself for the first enter call).
  const state_name& old_state() const noexcept { return name_; }

 private:
  friend class gen_statem;
  event_type type_;
  message_ptr owner_;  // owns content_ (directly, or inside a call/cast envelope)
  message* content_ = nullptr;
  otp::from from_;
  std::string name_;
  gen_statem* machine_ = nullptr;

 public:
  /// For a call: replies now ({reply, From, Reply} action).
  template <class T>
  void reply(T&& value);
};

class gen_statem : public behaviour {
 public:
  /// The current state.
  const state_name& state() const noexcept { return state_; }

 protected:
  /// Runs in the new process; must call start_in(initial state) unless it calls ignore()
  /// or stop(). May also set timeouts and next_event actions for the first state.
  virtual void init() {}
  /// Events of states that have no function of their own (handle_event_function mode).
  /// The default crashes the machine: an event nobody expects is a bug (OTP: undef).
  virtual void handle_event(event& e);
  // terminate(const exit_reason&): called when the machine stops (see behaviour).

  // --- set-up (from init) -------------------------------------------------------------------

  void start_in(state_name initial) { initial_ = std::move(initial); }
  /// Enables state enter calls (callback_mode [..., state_enter]).
  void state_enter(bool on) noexcept { state_enter_ = on; }
  void on_state(state_name s, std::function<void(event&)> fn) {
    functions_[std::move(s)] = std::move(fn);
  }
  template <class D>
  requires std::derived_from<D, gen_statem>
  void on_state(state_name s, void (D::*fn)(event&)) {
    D* self_ptr = static_cast<D*>(this);
    on_state(std::move(s), [self_ptr, fn](event& e) { (self_ptr->*fn)(e); });
  }
  /// From init(): start returns ignore and the process exits normally.
  void ignore() noexcept { ignore_ = true; }

  // --- transition actions (from a state callback) -------------------------------------------

  void next_state(state_name s) { actions_.next = std::move(s); }
  /// Stays in the state but makes the enter call again (repeat_state).
  void repeat_state() noexcept { actions_.repeat = true; }
  void postpone() noexcept { actions_.postpone = true; }
  template <class T>
  void next_event(T&& value) {
    actions_.inserted.push_back(wrap(std::forward<T>(value)));
  }
  void event_timeout(std::chrono::milliseconds t) { set_timeout(actions_.event, t, nullptr); }
  template <class T>
  void event_timeout(std::chrono::milliseconds t, T&& content) {
    set_timeout(actions_.event, t, wrap(std::forward<T>(content)));
  }
  void cancel_event_timeout() { actions_.event = timeout_action{}; }
  void state_timeout(std::chrono::milliseconds t) { set_timeout(actions_.state, t, nullptr); }
  template <class T>
  void state_timeout(std::chrono::milliseconds t, T&& content) {
    set_timeout(actions_.state, t, wrap(std::forward<T>(content)));
  }
  void cancel_state_timeout() { actions_.state = cancelled(); }
  void generic_timeout(const std::string& name, std::chrono::milliseconds t) {
    set_timeout(actions_.generic[name], t, nullptr);
  }
  template <class T>
  void generic_timeout(const std::string& name, std::chrono::milliseconds t, T&& content) {
    set_timeout(actions_.generic[name], t, wrap(std::forward<T>(content)));
  }
  void cancel_generic_timeout(const std::string& name) { actions_.generic[name] = cancelled(); }
  /// Stops the machine with `reason` once the callback returns ({stop, Reason}).
  void stop(exit_reason reason) { actions_.stop = std::move(reason); }
  /// Replies to `to`, then stops ({stop_and_reply, Reason, [{reply, From, Reply}]}).
  template <class T>
  void stop_and_reply(exit_reason reason, const from& to, T&& value) {
    reply(to, std::forward<T>(value));
    stop(std::move(reason));
  }

 private:
  struct timeout_action {
    enum class op { none, set, cancel } what = op::none;
    std::chrono::milliseconds after{0};
    message_ptr content;
  };
  struct actions {
    std::optional<state_name> next;
    bool repeat = false;
    bool postpone = false;
    std::vector<message_ptr> inserted;
    timeout_action event, state;
    std::map<std::string, timeout_action> generic;
    std::optional<exit_reason> stop;
  };
  struct running_timer {
    timer_ref timer;
    ref tag;
    message_ptr content;
  };

  static timeout_action cancelled() {
    timeout_action a;
    a.what = timeout_action::op::cancel;
    return a;
  }
  template <class T>
  static message_ptr wrap(T&& value) {
    return message_ptr(make_message<std::decay_t<T>>(std::forward<T>(value)));
  }
  static void set_timeout(timeout_action& a, std::chrono::milliseconds t, message_ptr content) {
    a.what = timeout_action::op::set;
    a.after = t;
    a.content = std::move(content);
  }

  void dispatch(message& m) final;
  void dispatch_owned(message_ptr m) final;
  void finish_init();
  std::optional<event> to_event(message_ptr m);
  void run(event e);
  void handle_one(event e);
  void invoke(event& e);
  actions take_actions();
  void transition(actions a, std::optional<event> handled);
  void enter_state(const state_name& old, actions& merged);
  void apply_timeouts(actions& a);
  void arm(std::optional<running_timer>& slot, timeout_action& a);
  void disarm(std::optional<running_timer>& slot);

  state_name state_;
  std::optional<state_name> initial_;
  bool state_enter_ = false;
  std::map<state_name, std::function<void(event&)>> functions_;
  actions actions_;
  std::deque<event> queue_;      // inserted and retried events, before the mailbox
  std::deque<event> postponed_;  // oldest first
  std::optional<running_timer> event_timer_, state_timer_;
  std::map<std::string, std::optional<running_timer>> generic_timers_;
  bool ignore_ = false;
};

template <class T>
void event::reply(T&& value) {
  machine_->reply(from_, std::forward<T>(value));
}

}  // namespace bitactor::otp

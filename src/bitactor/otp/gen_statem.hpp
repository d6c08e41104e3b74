#pragma once
// gen_statem: the generic state machine behaviour (OTP 25 stdlib, gen_statem(3)).
//
// Model. A state machine is a class deriving from otp::gen_statem. Its state is a value of
// an enum of the class's own (or a name: OTP's state is usually an atom) plus whatever
// members the class holds (OTP's Data). With an enum a misspelt state does not compile, and
// finding a state's callback is an array index (names are looked up once per state change,
// never per event). One machine uses one kind of state. Each event is handed to one
// callback together with the current state:
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
//   enum class door_state { closed, open };
//   const char* to_string(door_state s);   // optional: names the state in reports
//
//   class door : public otp::gen_statem {
//     void init() override {
//       state_enter(true);
//       on_state(door_state::closed, &door::closed);
//       on_state(door_state::open, &door::open);
//       start_in(door_state::closed);
//     }
//     void closed(otp::event& e) {
//       if (e.get_if<push>()) next_state(door_state::open);
//     }
//     void open(otp::event& e) {
//       if (e.is_enter()) state_timeout(std::chrono::seconds(10));
//       else if (e.type() == otp::event_type::state_timeout) next_state(door_state::closed);
//       else postpone();                    // retried once the door is closed again
//     }
//   };
//
// Enum values must lie in [0, max_enum_state]; state(), old_state() and reports name them
// with a to_string found for the enum (by argument-dependent lookup), else with the number.
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
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "bitactor/otp/behaviour.hpp"
#include "bitactor/otp/call.hpp"

namespace bitactor::otp {

using state_name = std::string;

/// The largest enum value a state may have (states index a table).
inline constexpr std::uint32_t max_enum_state = 1023;

/// A state enum: any enum type.
template <class E>
concept state_enum = std::is_enum_v<E>;

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
  const state_name& old_state() const noexcept;
  template <state_enum E>
  E old_state_as() const noexcept {
    return static_cast<E>(old_);
  }

 private:
  friend class gen_statem;
  event_type type_;
  message_ptr owner_;  // owns content_ (directly, or inside a call/cast envelope)
  message* content_ = nullptr;
  otp::from from_;
  std::string name_;
  std::uint32_t old_ = 0;  // for enter: the state left
  gen_statem* machine_ = nullptr;

 public:
  /// For a call: replies now ({reply, From, Reply} action).
  template <class T>
  void reply(T&& value);
};

class gen_statem : public behaviour {
 public:
  /// The current state's name.
  const state_name& state() const noexcept { return names_[current_]; }
  /// The current state of a machine whose states are the enum E.
  template <state_enum E>
  E state_as() const noexcept {
    return static_cast<E>(current_);
  }
  template <state_enum E>
  bool in(E s) const noexcept {
    return current_ == static_cast<std::uint32_t>(s);
  }

 protected:
  /// Runs in the new process; must call start_in(initial state) unless it calls ignore()
  /// or stop(). May also set timeouts and next_event actions for the first state.
  virtual void init() {}
  /// Events of states that have no function of their own (handle_event_function mode).
  /// The default crashes the machine: an event nobody expects is a bug (OTP: undef).
  virtual void handle_event(event& e);
  // terminate(const exit_reason&): called when the machine stops (see behaviour).

  // --- set-up (from init) -------------------------------------------------------------------

  void start_in(const state_name& initial) { initial_ = id_of(initial); }
  template <state_enum E>
  void start_in(E initial) {
    initial_ = id_of(initial);
  }
  /// Enables state enter calls (callback_mode [..., state_enter]).
  void state_enter(bool on) noexcept { state_enter_ = on; }
  void on_state(const state_name& s, std::function<void(event&)> fn) {
    set_function(id_of(s), std::move(fn));
  }
  template <state_enum E>
  void on_state(E s, std::function<void(event&)> fn) {
    set_function(id_of(s), std::move(fn));
  }
  template <class S, class D>
  requires std::derived_from<D, gen_statem> &&
      (std::is_enum_v<S> ||
       std::is_convertible_v<S, state_name>)void on_state(S s, void (D::*fn)(event&)) {
    D* self_ptr = static_cast<D*>(this);
    on_state(s, std::function<void(event&)>([self_ptr, fn](event& e) { (self_ptr->*fn)(e); }));
  }
  /// From init(): start returns ignore and the process exits normally.
  void ignore() noexcept { ignore_ = true; }

  // --- transition actions (from a state callback) -------------------------------------------

  void next_state(const state_name& s) { actions_.next = id_of(s); }
  template <state_enum E>
  void next_state(E s) {
    actions_.next = id_of(s);
  }
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
    std::optional<std::uint32_t> next;
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
  void enter_state(std::uint32_t old, actions& merged);
  // The state table: a state is an index into names_ and functions_. Names are interned
  // (name mode) or the enum's values (enum mode).
  enum class state_kind : std::uint8_t { unset, names, enumerated };
  void use_kind(state_kind k);
  std::uint32_t id_of(const state_name& s);
  template <state_enum E>
  std::uint32_t id_of(E s);
  void name_enum_state(std::uint32_t id, std::string name);
  void set_function(std::uint32_t id, std::function<void(event&)> fn);
  friend class event;
  void apply_timeouts(actions& a);
  void arm(std::optional<running_timer>& slot, timeout_action& a);
  void disarm(std::optional<running_timer>& slot);

  std::uint32_t current_ = 0;
  std::optional<std::uint32_t> initial_;
  bool state_enter_ = false;
  state_kind kind_ = state_kind::unset;
  std::vector<state_name> names_{state_name{}};
  std::vector<std::function<void(event&)>> functions_;
  std::map<state_name, std::uint32_t, std::less<>> ids_;  // name mode: name -> index
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

inline const state_name& event::old_state() const noexcept { return machine_->names_[old_]; }

namespace detail {
/// A state enum value's name: a to_string found for it by argument-dependent lookup, else
/// its number.
template <state_enum E>
std::string enum_state_name(E s) {
  if constexpr (requires { std::string(to_string(s)); }) {
    return std::string(to_string(s));
  } else {
    return std::to_string(static_cast<long long>(s));
  }
}
}  // namespace detail

template <state_enum E>
std::uint32_t gen_statem::id_of(E s) {
  const auto value = static_cast<long long>(s);
  if (value < 0 || value > max_enum_state) {
    throw std::out_of_range("gen_statem: enum state value " + std::to_string(value) +
                            " outside [0, " + std::to_string(max_enum_state) + "]");
  }
  const auto id = static_cast<std::uint32_t>(value);
  if (kind_ != state_kind::enumerated || id >= names_.size() || names_[id].empty()) {
    use_kind(state_kind::enumerated);
    name_enum_state(id, detail::enum_state_name(s));
  }
  return id;
}

}  // namespace bitactor::otp

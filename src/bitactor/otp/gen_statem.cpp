#include "bitactor/otp/gen_statem.hpp"

#include <stdexcept>

namespace bitactor::otp {
namespace {

// The message a gen_statem timer sends itself; the tag says which timer it was, so a timer
// cancelled or restarted after it fired is recognised as stale and dropped.
struct statem_tick {
  ref tag;
};

}  // namespace

const char* to_string(event_type t) noexcept {
  switch (t) {
    case event_type::enter:
      return "enter";
    case event_type::call:
      return "call";
    case event_type::cast:
      return "cast";
    case event_type::info:
      return "info";
    case event_type::internal:
      return "internal";
    case event_type::event_timeout:
      return "timeout";
    case event_type::state_timeout:
      return "state_timeout";
    case event_type::generic_timeout:
      return "generic_timeout";
  }
  return "unknown";
}

void gen_statem::handle_event(event& e) {
  // OTP: an event the callback module does not handle crashes the machine.
  std::string what = e.content() != nullptr ? e.content()->type_name() : std::string("none");
  exit(exit_reason::error(term::tuple(term::atom("unexpected_event"),
                                      term::atom(std::string(to_string(e.type()))),
                                      term::binary(what), term::binary(state()))));
}

void gen_statem::dispatch(message&) {
  // Every message arrives through dispatch_owned (events may be kept for later).
  throw std::logic_error("gen_statem::dispatch is not used");
}

void gen_statem::dispatch_owned(message_ptr m) {
  if (terminating()) return;  // terminate is waiting on a coroutine: nothing else runs
  if (take_start_request(*m)) {
    actions_ = actions{};
    init();
    finish_init();
    return;
  }
  if (const exit_reason* r = exit_from_parent(*m)) {
    actor::exit(*r);  // {'EXIT', Parent, Reason} terminates with Reason (as gen_server)
  }
  std::optional<event> ev = to_event(std::move(m));
  if (!ev) return;  // a stale timer
  if (!running()) {
    queue_.push_back(std::move(*ev));  // arrived before the start handshake: keep for later
    return;
  }
  run(std::move(*ev));
}

std::optional<event> gen_statem::to_event(message_ptr m) {
  if (auto* c = m->get_if<call_request>()) {
    message* content = c->request.get();
    otp::from caller = c->caller;
    event e(event_type::call, std::move(m), content);
    e.from_ = caller;
    return e;
  }
  if (auto* k = m->get_if<cast_request>()) {
    message* content = k->request.get();
    return event(event_type::cast, std::move(m), content);
  }
  if (auto* t = m->get_if<term::term>()) {
    // gen's term form, from an Erlang node: a call or cast whose content is the request term.
    from caller;
    term::term request;
    if (detail::take_erlang_call(*t, caller, request)) {
      message_ptr req(make_message<term::term>(std::move(request)));
      message* content = req.get();
      event e(event_type::call, std::move(req), content);
      e.from_ = std::move(caller);
      return e;
    }
    if (detail::take_erlang_cast(*t, request)) {
      message_ptr req(make_message<term::term>(std::move(request)));
      message* content = req.get();
      return event(event_type::cast, std::move(req), content);
    }
  }
  if (auto* t = m->get_if<timeout_msg<statem_tick>>()) {
    const ref tag = t->message.tag;
    auto fired = [&](std::optional<running_timer>& slot, event_type type,
                     const std::string& name) -> std::optional<event> {
      if (!slot || slot->tag != tag) return std::nullopt;
      message_ptr content = std::move(slot->content);
      slot.reset();
      message* raw = content.get();
      event e(type, std::move(content), raw);
      e.name_ = name;
      return e;
    };
    if (auto e = fired(event_timer_, event_type::event_timeout, {})) return e;
    if (auto e = fired(state_timer_, event_type::state_timeout, {})) return e;
    for (auto& [name, slot] : generic_timers_) {
      if (auto e = fired(slot, event_type::generic_timeout, name)) return e;
    }
    return std::nullopt;
  }
  message* raw = m.get();
  return event(event_type::info, std::move(m), raw);
}

void gen_statem::finish_init() {
  actions a = take_actions();
  if (ignore_) {
    ack_start(start_result::ignore());
    actor::exit(exit_reason::normal());
  }
  // An exit during the start answers the starter with {error, R} (behaviour::on_exit).
  if (a.stop) actor::exit(std::move(*a.stop));
  if (!initial_) actor::exit(exit_reason::error(term::atom("no_initial_state")));
  current_ = *initial_;
  ack_start(start_result::started(self()));
  // The initial state gets an enter call with itself as the old state (gen_statem(3)).
  a.repeat = true;
  a.next.reset();
  transition(std::move(a), std::nullopt);
  if (!queue_.empty()) {
    event first = std::move(queue_.front());
    queue_.pop_front();
    run(std::move(first));
  }
}

void gen_statem::use_kind(state_kind k) {
  if (kind_ == state_kind::unset) kind_ = k;
  if (kind_ != k) {
    throw std::logic_error("gen_statem: a machine's states are either names or one enum, not both");
  }
}

std::uint32_t gen_statem::id_of(const state_name& s) {
  use_kind(state_kind::names);
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(names_.size());
  names_.push_back(s);
  ids_.emplace(s, id);
  return id;
}

void gen_statem::name_enum_state(std::uint32_t id, std::string name) {
  if (id >= names_.size()) names_.resize(id + 1);
  names_[id] = std::move(name);
}

void gen_statem::set_function(std::uint32_t id, std::function<void(event&)> fn) {
  if (id >= functions_.size()) functions_.resize(id + 1);
  functions_[id] = std::move(fn);
}

gen_statem::actions gen_statem::take_actions() {
  actions a = std::move(actions_);
  actions_ = actions{};
  return a;
}

void gen_statem::run(event e) {
  handle_one(std::move(e));
  // Inserted and retried events come before anything still in the mailbox.
  while (!queue_.empty()) {
    event next = std::move(queue_.front());
    queue_.pop_front();
    handle_one(std::move(next));
  }
}

void gen_statem::invoke(event& e) {
  e.machine_ = this;
  actions_ = actions{};
  if (current_ < functions_.size() && functions_[current_]) {
    functions_[current_](e);
  } else {
    handle_event(e);
  }
}

void gen_statem::handle_one(event e) {
  disarm(event_timer_);  // any event cancels the event timeout (gen_statem(3): timeout())
  invoke(e);
  transition(take_actions(), std::move(e));
}

void gen_statem::transition(actions a, std::optional<event> handled) {
  if (a.stop) actor::exit(std::move(*a.stop));
  if (a.postpone && handled) postponed_.push_back(std::move(*handled));
  const std::uint32_t old = current_;
  const bool changed = a.next && *a.next != current_;
  if (a.next) current_ = *a.next;
  if (changed) {
    // A state change retries the postponed events, oldest first, before queued ones.
    while (!postponed_.empty()) {
      queue_.push_front(std::move(postponed_.back()));
      postponed_.pop_back();
    }
    // A state timeout is cancelled by a state change, unless this transition sets one.
    if (a.state.what == timeout_action::op::none) disarm(state_timer_);
  }
  // Inserted events go before everything, in the order they were inserted.
  for (auto it = a.inserted.rbegin(); it != a.inserted.rend(); ++it) {
    message* raw = it->get();
    queue_.push_front(event(event_type::internal, std::move(*it), raw));
  }
  if ((changed || a.repeat) && state_enter_) enter_state(old, a);
  apply_timeouts(a);
}

void gen_statem::enter_state(std::uint32_t old, actions& merged) {
  bool again = true;
  while (again) {
    event e(event_type::enter, nullptr, nullptr);
    e.old_ = old;
    invoke(e);
    actions a = take_actions();
    if (a.stop) actor::exit(std::move(*a.stop));
    if ((a.next && *a.next != current_) || a.postpone || !a.inserted.empty()) {
      // gen_statem(3): a state enter call may not change state, postpone or insert events.
      exit(exit_reason::error(
          term::tuple(term::atom("bad_state_enter_action"), term::binary(state()))));
    }
    again = a.repeat;
    if (a.event.what != timeout_action::op::none) merged.event = std::move(a.event);
    if (a.state.what != timeout_action::op::none) merged.state = std::move(a.state);
    for (auto& [name, t] : a.generic) merged.generic[name] = std::move(t);
  }
}

void gen_statem::apply_timeouts(actions& a) {
  if (a.state.what == timeout_action::op::set) {
    arm(state_timer_, a.state);
  } else if (a.state.what == timeout_action::op::cancel) {
    disarm(state_timer_);
  }
  for (auto& [name, t] : a.generic) {
    auto& slot = generic_timers_[name];
    if (t.what == timeout_action::op::set) {
      arm(slot, t);
    } else if (t.what == timeout_action::op::cancel) {
      disarm(slot);
    }
  }
  // An event timeout starts only when no event is already waiting to be handled: a queued
  // event would cancel it at once (gen_statem(3)).
  if (a.event.what == timeout_action::op::set && queue_.empty()) arm(event_timer_, a.event);
}

void gen_statem::arm(std::optional<running_timer>& slot, timeout_action& a) {
  disarm(slot);
  ref tag = make_ref();
  timer_ref t = start_timer(self(), a.after, statem_tick{tag});
  slot = running_timer{t, tag, std::move(a.content)};
}

void gen_statem::disarm(std::optional<running_timer>& slot) {
  if (!slot) return;
  cancel_timer(slot->timer);
  slot.reset();
}

}  // namespace bitactor::otp

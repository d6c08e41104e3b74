#include "bitactor/otp/call.hpp"

#include <bitactor/core/internal/deadline.hpp>
#include <stdexcept>

#include "bitactor/otp/behaviour.hpp"

namespace bitactor::otp::detail {

std::string describe_call(const pid& server, std::string_view request_type) {
  return "call to " + server.to_string() + " with " + std::string(request_type);
}

void throw_bad_reply(const pid& server, std::string_view expected, std::string_view got) {
  throw call_error(exit_reason::error(term::tuple(term::atom("bad_reply_type"), term::binary(got),
                                                  term::binary(expected))),
                   "call to " + server.to_string());
}

exit_reason timeout_reason() { return exit_reason::error(term::atom("timeout")); }

exit_reason unexpected_message_reason(std::string_view type_name) {
  return exit_reason::error(term::tuple(term::atom("unexpected_message"), term::binary(type_name)));
}

bool take_erlang_call(const term::term& message, from& caller, term::term& request) {
  if (!message.is_tuple() || message.size() != 3 || !message[0].is_atom("$gen_call")) {
    return false;
  }
  const term::term& who = message[1];
  if (!who.is_tuple() || who.size() != 2 || !who[0].is_pid() || who[1].is_nil()) return false;
  caller.caller = from_term_pid(who[0].as_pid());
  caller.erl_tag = who[1];
  request = message[2];
  return true;
}

bool take_erlang_cast(const term::term& message, term::term& request) {
  if (!message.is_tuple() || message.size() != 2 || !message[0].is_atom("$gen_cast")) {
    return false;
  }
  request = message[1];
  return true;
}

void throw_not_a_term_reply(std::string_view type) {
  throw std::logic_error("the reply to a call from Erlang must be a term, not " +
                         std::string(type));
}

std::optional<ref> erlang_reply_tag(const term::term& t) {
  if (!t.is_tuple() || t.size() != 2 || !t[0].is_reference()) return std::nullopt;
  return from_term_ref(t[0].as_reference());
}

term::term erlang_call_message(const pid& caller, const ref& tag, term::term request) {
  return term::tuple(term::atom("$gen_call"),
                     term::tuple(to_term_pid(caller), term::term(to_term_ref(tag))),
                     std::move(request));
}

term::term erlang_call_result(wait_outcome& o, const pid& server) {
  return erlang_call_result(o, describe_call(server, "a term"));
}

term::term erlang_call_result(wait_outcome& o, const std::string& what) {
  switch (o.kind) {
    case wait_outcome::how::matched:
      return (*o.matched->get_if<term::term>())[1];
    case wait_outcome::how::timeout:
      throw call_error(timeout_reason(), what);
    default:
      throw call_error(o.reason, what);
  }
}

wait_outcome wait_on_thread(node& n, inbox& box, const wait_spec& spec) {
  // Saturating: a timeout past the clock's range (milliseconds::max()) waits forever.
  auto now = [&n] { return static_cast<std::uint64_t>(n.now().count()); };
  const std::uint64_t deadline = bitactor::detail::deadline_after(now(), spec.timeout);
  while (true) {
    const std::uint64_t at = now();
    auto left = deadline == bitactor::detail::never_ms
                    ? std::chrono::milliseconds::max()
                    : bitactor::detail::as_duration(deadline > at ? deadline - at : 0);
    message_ptr m = box.receive_any(left);
    if (!m) return {wait_outcome::how::timeout, nullptr, {}, {}};
    if (auto* r = m->get_if<call_reply>(); r != nullptr && r->tag == spec.tag) {
      return {wait_outcome::how::matched, std::move(m), {}, {}};
    }
    if (auto* a = m->get_if<init_ack>(); a != nullptr && a->tag == spec.tag) {
      return {wait_outcome::how::matched, std::move(m), {}, {}};
    }
    if (auto* t = m->get_if<term::term>(); t != nullptr && erlang_reply_tag(*t) == spec.tag) {
      return {wait_outcome::how::matched, std::move(m), {}, {}};
    }
    if (auto* d = m->get_if<down_msg>(); d != nullptr && d->monitor == spec.monitor) {
      return {wait_outcome::how::down, nullptr, d->reason, d->monitor};
    }
    if (auto* e = m->get_if<exit_msg>();
        e != nullptr && spec.exit_from && e->from == spec.exit_from) {
      return {wait_outcome::how::exited, nullptr, e->reason, {}};
    }
  }
}

}  // namespace bitactor::otp::detail

namespace bitactor::otp {

term::term call(node& n, const pid& server, term::term request, std::chrono::milliseconds timeout) {
  inbox box(n);
  ref tag = box.monitor(server);
  n.send(server, detail::erlang_call_message(box.self(), tag, std::move(request)));
  detail::wait_outcome o = detail::wait_on_thread(n, box, {tag, tag, pid{}, timeout, false});
  return detail::erlang_call_result(o, server);
}

}  // namespace bitactor::otp

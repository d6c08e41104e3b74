#include "bitactor/otp/gen_server.hpp"

#include "bitactor/otp/report.hpp"

namespace bitactor::otp {

void gen_server::handle_call(call_context& c) {
  // OTP's default handle_call crashes the server: an unexpected call is a caller's bug.
  exit(exit_reason::error(
      term::tuple(term::atom("unexpected_call"), term::binary(c.request().type_name()))));
}

void gen_server::begin_init(init_request& r) {
  starter_ = r.starter;
  start_tag_ = r.tag;
  parent_ = r.parent;
  shuts_down_in_order();
  initialising_ = true;
  if (!r.name.empty()) {
    if (auto holder = whereis(r.name)) {
      // gen_server:start with a taken name: {error, {already_started, Pid}}; exit normally.
      initialising_ = false;
      send(starter_, init_ack{start_tag_, start_result::already_started(*holder)});
      actor::exit(exit_reason::normal());
    }
    register_name(r.name);
  }
  init();
}

void gen_server::dispatch(message& m) {
  if (starter_ == pid{} && !initialising_ && !terminating_) {
    if (auto* r = m.get_if<init_request>()) {
      begin_init(*r);
      return;
    }
  }
  if (extras_ && extras_->inactivity) {
    cancel_timer(extras_->inactivity);
    extras_->inactivity = {};
  }
  if (auto* c = m.get_if<call_request>()) {
    call_context ctx(*this, c->caller, *c->request);
    handle_call(ctx);
  } else if (auto* k = m.get_if<cast_request>()) {
    handle_cast(*k->request);
  } else if (auto* t = m.get_if<timeout_msg<inactivity_tick>>()) {
    if (extras_ && t->message.tag == extras_->inactivity_tag) {
      message_ptr tick(make_message<inactivity_timeout>());
      handle_info(*tick);
    }
  } else if (auto* e = m.get_if<exit_msg>();
             e != nullptr && e->from == parent_ && trapping_exits()) {
    // Started unlinked from a plain thread, the server's parent is "no process": an exit
    // signal sent from outside any process (node::exit) stops it like a parent's would.
    stop(e->reason);  // gen_server: {'EXIT', Parent, Reason} terminates with Reason
  } else {
    handle_info(m);
  }
}

void gen_server::settle() {
  if (waiting()) return;  // a coroutine of the callback is still running
  if (terminating_) {
    finish_exit();
    return;
  }
  if (!extras_) {  // the common case: nothing to stop, continue or arm
    if (initialising_) acknowledge_init();
    return;
  }
  if (extras_->stop) {
    exit_reason r = std::move(*extras_->stop);
    extras_->stop.reset();
    on_exit(std::move(r));  // runs terminate, then ends the process
    return;
  }
  if (initialising_ && !acknowledge_init()) return;
  if (!extras_->continuations.empty()) {
    message_ptr next = extras_->continuations.pop_front();
    handle_continue(*next);
    settle();  // the continuation is a callback of its own (it may wait, stop, continue)
    return;
  }
  if (extras_->timeout) {
    extras_->inactivity_tag = make_ref();
    extras_->inactivity =
        start_timer(self(), *extras_->timeout, inactivity_tick{extras_->inactivity_tag});
    extras_->timeout.reset();
  }
}

bool gen_server::acknowledge_init() {
  initialising_ = false;
  if (ignore_) {
    send(starter_, init_ack{start_tag_, start_result::ignore()});
    actor::stop(exit_reason::normal());
    return false;
  }
  send(starter_, init_ack{start_tag_, start_result::started(self())});
  return true;
}

void gen_server::on_exit(exit_reason reason) {
  if (initialising_) {
    // init failed ({stop, R} or an exception): the starter gets {error, R}; no terminate.
    initialising_ = false;
    send(starter_, init_ack{start_tag_, start_result::failed(reason)});
    actor::stop(std::move(reason));
    return;
  }
  if (terminating_) {  // failed again while terminating
    actor::stop(std::move(reason));
    return;
  }
  terminating_ = true;
  exit_reason& ending = more().ending;
  ending = std::move(reason);
  try {
    terminate(ending);
  } catch (bitactor::detail::process_exit& e) {
    ending = std::move(e.reason);
  } catch (const std::exception& e) {
    ending = exit_reason::from_exception(e);
  }
  if (!waiting()) finish_exit();
}

void gen_server::finish_exit() {
  const exit_reason& ending = more().ending;
  if (!ending.is_clean()) log_crash_report(*this, ending);
  actor::stop(ending);  // callers return straight to the end of the handler
}

}  // namespace bitactor::otp

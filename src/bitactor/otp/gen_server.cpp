#include "bitactor/otp/gen_server.hpp"

namespace bitactor::otp {

namespace {
exit_reason unexpected_call(message& request) {
  return exit_reason::error(
      term::tuple(term::atom("unexpected_call"), term::binary(request.type_name())));
}
}  // namespace

void gen_server::handle_call(call_context& c) {
  // OTP's default handle_call crashes the server: an unexpected call is a caller's bug.
  exit(unexpected_call(c.request()));
}

void gen_server::dispatch(message& m) {
  if (take_start_request(m)) {
    init();
    return;
  }
  if (extras_ && extras_->inactivity) {
    cancel_timer(extras_->inactivity);
    extras_->inactivity = {};
  }
  if (auto* c = m.get_if<call_request>()) {
    serve_call(c->caller, *c->request);
  } else if (auto* k = m.get_if<cast_request>()) {
    handle_cast(*k->request);
  } else if (auto* t = m.get_if<timeout_msg<inactivity_tick>>()) {
    if (extras_ && t->message.tag == extras_->inactivity_tag) {
      message_ptr tick(make_message<inactivity_timeout>());
      handle_info(*tick);
    }
  } else if (auto* erl = m.get_if<term::term>(); erl != nullptr && dispatch_erlang(*erl)) {
    return;
  } else if (const exit_reason* r = exit_from_parent(m)) {
    stop(*r);  // gen_server: {'EXIT', Parent, Reason} terminates with Reason
  } else {
    handle_info(m);
  }
}

void gen_server::serve_call(const from& caller, message& request) {
  call_context ctx(*this, caller, request);
  handle_call(ctx);
  if (ctx.unhandled()) exit(unexpected_call(request));
}

bool gen_server::dispatch_erlang(const term::term& t) {
  from caller;
  term::term request;
  if (detail::take_erlang_call(t, caller, request)) {
    message_ptr req(make_message<term::term>(std::move(request)));
    serve_call(caller, *req);
    return true;
  }
  if (detail::take_erlang_cast(t, request)) {
    message_ptr req(make_message<term::term>(std::move(request)));
    handle_cast(*req);
    return true;
  }
  return false;
}

void gen_server::settle() {
  if (waiting()) return;  // a coroutine of the callback is still running
  if (!extras_) {         // the common case: nothing to stop, continue or arm
    if (starting()) acknowledge_init();
    return;
  }
  if (extras_->stop) {
    exit_reason r = std::move(*extras_->stop);
    extras_->stop.reset();
    on_exit(std::move(r));  // runs terminate, then ends the process
    return;
  }
  if (starting() && !acknowledge_init()) return;
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
  if (extras_ && extras_->ignore) {
    ack_start(start_result::ignore());
    actor::stop(exit_reason::normal());
    return false;
  }
  ack_start(start_result::started(self()));
  return true;
}

}  // namespace bitactor::otp

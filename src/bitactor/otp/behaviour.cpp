#include "bitactor/otp/behaviour.hpp"

#include "bitactor/otp/report.hpp"

namespace bitactor::otp {
namespace {

// The behaviour whose handler is running on this thread: coroutines created in a handler
// attach to it. A process's turn runs on one thread, so a thread-local is exact.
thread_local behaviour* current = nullptr;

struct current_scope {
  behaviour* saved;
  explicit current_scope(behaviour* b) : saved(current) { current = b; }
  ~current_scope() { current = saved; }
  current_scope(const current_scope&) = delete;
  current_scope& operator=(const current_scope&) = delete;
};

}  // namespace

namespace detail {
void promise_base::attach(std::coroutine_handle<> frame) {
  if (current == nullptr) {
    throw std::logic_error("a behaviour's coroutine started outside a behaviour's handler");
  }
  owner = current;
  current->adopt(frame, this);
}
}  // namespace detail

start_result start_result::already_started(const pid& holder) {
  return failed(
      exit_reason::error(term::tuple(term::atom("already_started"), to_term_pid(holder))));
}

std::string start_result::to_string() const {
  switch (outcome) {
    case status::started:
      return "{ok," + process.to_string() + "}";
    case status::ignore:
      return "ignore";
    case status::error:
      break;
  }
  return "{error," + reason.to_string() + "}";
}

behaviour::~behaviour() {
  for (auto& t : tasks_) t.frame.destroy();
}

void behaviour::handle(message& m) {
  current_scope scope(this);
  std::optional<exit_reason> ends;
  try {
    route(keep(m));
    // Messages that waited behind a finished wait are handled now, in arrival order, until
    // a new wait begins.
    while (pending_.empty() && !postponed_.empty() && !stop_pending()) {
      route(postponed_.pop_front());
    }
  } catch (bitactor::detail::ended_by_signal&) {
    throw;  // an exit signal taken at a yield point: no terminate (a kill, as in OTP)
  } catch (bitactor::detail::process_exit& e) {
    ends = std::move(e.reason);
  } catch (const std::exception& e) {
    ends = exit_reason::from_exception(e);
  } catch (...) {
    ends = exit_reason::from_unknown_exception();
  }
  if (ends) on_exit(std::move(*ends));  // the last step: on_exit may stop() the process
}

void behaviour::route(message_ptr m) {
  auto find = [&](auto pred) -> std::size_t {
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      if (pred(pending_[i].spec)) return i;
    }
    return pending_.size();
  };
  if (auto* r = m->get_if<call_reply>()) {
    std::size_t i = find([&](const detail::wait_spec& s) { return s.tag == r->tag; });
    if (i == pending_.size()) return;  // a late reply: the caller gave up on it (gen.erl)
    complete(i, {detail::wait_outcome::how::matched, std::move(m), {}, {}});
    return;
  }
  if (auto* a = m->get_if<init_ack>()) {
    std::size_t i = find([&](const detail::wait_spec& s) { return s.tag == a->tag; });
    if (i == pending_.size()) return;
    complete(i, {detail::wait_outcome::how::matched, std::move(m), {}, {}});
    return;
  }
  if (auto* t = m->get_if<timeout_msg<detail::wait_timeout>>()) {
    std::size_t i = find([&](const detail::wait_spec& s) { return s.tag == t->message.tag; });
    if (i == pending_.size()) return;  // the wait ended before its timer fired
    pending_[i].timer = {};
    complete(i, {detail::wait_outcome::how::timeout, nullptr, {}, {}});
    return;
  }
  if (!pending_.empty()) {
    if (auto* t = m->get_if<term::term>()) {
      // A reply in gen's term form, {Tag, Reply}, to a call made with a term request. Without
      // a pending call of that tag it is an ordinary message (gen.erl without aliases).
      if (auto tag = detail::erlang_reply_tag(*t)) {
        std::size_t i = find([&](const detail::wait_spec& s) { return s.tag == *tag; });
        if (i != pending_.size()) {
          complete(i, {detail::wait_outcome::how::matched, std::move(m), {}, {}});
          return;
        }
      }
    }
    if (auto* d = m->get_if<down_msg>()) {
      std::size_t i = find([&](const detail::wait_spec& s) { return s.monitor == d->monitor; });
      if (i == pending_.size()) i = find([](const detail::wait_spec& s) { return s.any_down; });
      if (i != pending_.size()) {
        complete(i, {detail::wait_outcome::how::down, nullptr, d->reason, d->monitor});
        return;
      }
    }
    if (auto* e = m->get_if<exit_msg>()) {
      std::size_t i = find([&](const detail::wait_spec& s) {
        return static_cast<bool>(s.exit_from) && s.exit_from == e->from;
      });
      if (i != pending_.size()) {
        complete(i, {detail::wait_outcome::how::exited, nullptr, e->reason, {}});
        return;
      }
    }
    postponed_.push_back(std::move(m));
    return;
  }
  dispatch_owned(std::move(m));
  sweep_tasks();
  after_step();
}

void behaviour::park(const detail::wait_spec& s, detail::wait_outcome* out,
                     std::coroutine_handle<> h) {
  timer_ref timer;
  if (s.timeout < infinity) {
    timer = start_timer(self(), s.timeout, detail::wait_timeout{s.tag});
  }
  pending_.push_back(pending_wait{s, out, h, timer});
}

void behaviour::end_call_monitor(const ref& tag, const detail::wait_outcome& o) {
  using how = detail::wait_outcome::how;
  if (o.kind == how::down) return;
  if (o.kind == how::matched) {
    auto* r = o.matched->get_if<call_reply>();
    if (r != nullptr && r->monitor_ended) {
      forget_monitor(tag);
      return;
    }
  }
  demonitor(tag, true);
}

void behaviour::complete(std::size_t index, detail::wait_outcome outcome) {
  pending_wait w = std::move(pending_[index]);
  pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(index));
  if (w.timer) cancel_timer(w.timer);
  *w.out = std::move(outcome);
  w.handle.resume();
  sweep_tasks();
  after_step();
}

void behaviour::after_step() {
  if (phase_ == phase::terminating) {
    if (!waiting()) finish_terminate();
    return;
  }
  settle();
}

bool behaviour::accept_start_request(message& m) {
  auto* r = m.get_if<init_request>();
  if (r == nullptr) return false;
  transition_ = std::make_unique<transition>(transition{r->starter, r->tag, {}});
  parent_ = r->parent;
  phase_ = phase::starting;
  shuts_down_in_order();
  if (!r->name.empty()) {
    if (auto holder = whereis(r->name)) {
      // gen_server:start with a taken name: {error, {already_started, Pid}}; exit normally.
      ack_start(start_result::already_started(*holder));
      actor::exit(exit_reason::normal());
    }
    register_name(r->name);
  }
  return true;
}

void behaviour::ack_start(start_result r) {
  if (phase_ != phase::starting) return;
  phase_ = r.ok() ? phase::running : phase::ended;
  std::unique_ptr<transition> started = std::move(transition_);
  send(started->starter, init_ack{started->start_tag, std::move(r)});
}

const exit_reason* behaviour::exit_from_parent(message& m) const noexcept {
  // Started unlinked from a plain thread, the parent is "no process": an exit signal sent
  // from outside any process (node::exit) stops the behaviour like a parent's would.
  auto* e = m.get_if<exit_msg>();
  if (e == nullptr || e->from != parent_ || !trapping_exits()) return nullptr;
  return &e->reason;
}

void behaviour::on_exit(exit_reason reason) {
  switch (phase_) {
    case phase::starting:
      // init failed ({stop, R} or an exception): the starter gets {error, R}; no terminate.
      ack_start(start_result::failed(reason));
      actor::stop(std::move(reason));
      return;
    case phase::running:
      break;
    default:  // never started, ended, or failed again while terminating
      actor::stop(std::move(reason));
      return;
  }
  phase_ = phase::terminating;
  transition_ = std::make_unique<transition>();
  exit_reason& ending = transition_->ending;
  ending = std::move(reason);
  try {
    terminate(ending);
  } catch (bitactor::detail::ended_by_signal&) {
    throw;
  } catch (bitactor::detail::process_exit& e) {
    ending = std::move(e.reason);
  } catch (const std::exception& e) {
    ending = exit_reason::from_exception(e);
  } catch (...) {
    ending = exit_reason::from_unknown_exception();
  }
  if (!waiting()) finish_terminate();
}

void behaviour::finish_terminate() {
  phase_ = phase::ended;
  exit_reason ending = std::move(transition_->ending);
  transition_.reset();
  if (!ending.is_clean()) log_crash_report(*this, ending);
  actor::stop(std::move(ending));  // callers return straight to the end of the handler
}

void behaviour::sweep_tasks() {
  std::exception_ptr failed;
  for (std::size_t i = 0; i < tasks_.size();) {
    owned_frame t = tasks_[i];
    if (!t.frame.done()) {
      ++i;
      continue;
    }
    if (t.promise->error && !failed) failed = t.promise->error;
    t.frame.destroy();
    tasks_.erase(tasks_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  if (failed) std::rethrow_exception(failed);
}

behaviour::term_call_awaiter behaviour::call(const pid& server, term::term request,
                                             std::chrono::milliseconds timeout) {
  return term_call_awaiter(*this, server, std::move(request), timeout);
}

behaviour::term_call_awaiter behaviour::call(std::string_view name, std::string_view node,
                                             term::term request,
                                             std::chrono::milliseconds timeout) {
  return term_call_awaiter(*this, name, node, std::move(request), timeout);
}

behaviour::start_awaiter behaviour::start_child_process(const start_fn& fn,
                                                        std::chrono::milliseconds timeout) {
  return start_awaiter(*this, fn(*this), timeout);
}

start_result behaviour::start_awaiter::await_resume() {
  if (!started_.ack_tag) return start_result::started(started_.child, std::move(started_.info));
  if (outcome_.kind == detail::wait_outcome::how::timeout) {
    // proc_lib:start_link: a child that did not start in time is killed.
    owner_.unlink(started_.child);
    owner_.exit(started_.child, exit_reason::kill());
  }
  start_result r = detail::start_result_of(outcome_);
  if (r.ok() && !r.info.has_value()) r.info = std::move(started_.info);
  return r;
}

namespace detail {

start_result start_result_of(wait_outcome& o) {
  switch (o.kind) {
    case wait_outcome::how::matched:
      return std::move(o.matched->get_if<init_ack>()->result);
    case wait_outcome::how::timeout:
      return start_result::failed(otp::detail::timeout_reason());
    default:
      return start_result::failed(o.reason);
  }
}

start_result await_start(node& n, inbox& box, const pid& child, const ref& tag,
                         std::chrono::milliseconds timeout) {
  wait_outcome o = wait_on_thread(n, box, {tag, tag, pid{}, timeout, false});
  if (o.kind == wait_outcome::how::timeout) n.exit(child, exit_reason::kill());
  return start_result_of(o);
}

}  // namespace detail
}  // namespace bitactor::otp

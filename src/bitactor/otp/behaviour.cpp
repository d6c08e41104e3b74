#include "bitactor/otp/behaviour.hpp"

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

async::promise_type::promise_type() {
  if (current == nullptr) {
    throw std::logic_error("otp::async coroutine started outside a behaviour's handler");
  }
  current->adopt(std::coroutine_handle<promise_type>::from_promise(*this));
}

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
  for (auto h : tasks_) h.destroy();
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
  settle();
}

void behaviour::park(const detail::wait_spec& s, detail::wait_outcome* out,
                     std::coroutine_handle<> h) {
  timer_ref timer;
  if (s.timeout < infinity) {
    timer = start_timer(self(), s.timeout, detail::wait_timeout{s.tag});
  }
  pending_.push_back(pending_wait{s, out, h, timer});
}

void behaviour::complete(std::size_t index, detail::wait_outcome outcome) {
  pending_wait w = std::move(pending_[index]);
  pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(index));
  if (w.timer) cancel_timer(w.timer);
  *w.out = std::move(outcome);
  w.handle.resume();
  sweep_tasks();
  settle();
}

void behaviour::sweep_tasks() {
  std::exception_ptr failed;
  for (std::size_t i = 0; i < tasks_.size();) {
    auto h = tasks_[i];
    if (!h.done()) {
      ++i;
      continue;
    }
    if (h.promise().error && !failed) failed = h.promise().error;
    h.destroy();
    tasks_.erase(tasks_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  if (failed) std::rethrow_exception(failed);
}

behaviour::start_awaiter behaviour::start_child_process(const start_fn& fn,
                                                        std::chrono::milliseconds timeout) {
  return start_awaiter(*this, fn(*this), timeout);
}

start_result behaviour::start_awaiter::await_resume() {
  if (!started_.ack_tag) return start_result::started(started_.child, std::move(started_.info));
  switch (outcome_.kind) {
    case detail::wait_outcome::how::matched: {
      start_result r = std::move(outcome_.matched->get_if<init_ack>()->result);
      if (r.ok() && !r.info.has_value()) r.info = std::move(started_.info);
      return r;
    }
    case detail::wait_outcome::how::timeout:
      // proc_lib:start_link: a child that did not start in time is killed.
      owner_.unlink(started_.child);
      owner_.exit(started_.child, exit_reason::kill());
      return start_result::failed(otp::detail::timeout_reason());
    default:
      return start_result::failed(outcome_.reason);
  }
}

namespace detail {

start_result await_start(node& n, inbox& box, const pid& child, const ref& tag,
                         std::chrono::milliseconds timeout) {
  while (true) {
    message_ptr m = box.receive_any(timeout);
    if (!m) {
      n.exit(child, exit_reason::kill());
      return start_result::failed(otp::detail::timeout_reason());
    }
    if (auto* a = m->get_if<init_ack>(); a != nullptr && a->tag == tag) return a->result;
    if (auto* d = m->get_if<down_msg>(); d != nullptr && d->monitor == tag) {
      return start_result::failed(d->reason);
    }
  }
}

}  // namespace detail
}  // namespace bitactor::otp

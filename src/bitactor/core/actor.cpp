#include "bitactor/core/actor.hpp"

#include <string>

#include "bitactor/core/error.hpp"
#include "bitactor/core/internal/process.hpp"
#include "bitactor/core/internal/runtime.hpp"

namespace bitactor {

pid actor::self() const noexcept { return rt_->pid_of(*proc_); }

node& actor::this_node() const noexcept { return rt_->owner(); }

ref actor::make_ref() const noexcept { return rt_->make_ref(); }

message_ptr actor::keep(message& m) noexcept {
  proc_->kept_current = true;
  return message_ptr(&m);
}

pid actor::resolve(std::string_view name) const {
  auto to = rt_->whereis(name);
  if (!to) throw badarg("send: no process registered as '" + std::string(name) + "'");
  return *to;
}

std::pair<pid, ref> actor::spawn_child(detail::new_actor a, child_tie tie) {
  detail::spawn_options options;
  options.needs_start = a.needs_start;
  if (tie == child_tie::link) options.link_to = self();
  if (tie == child_tie::monitor) {
    options.monitored_by = self();
    options.monitor_ref = rt_->make_ref();
  }
  // The child holds its half of the link or monitor from birth; ours is added before this
  // process handles anything else, so neither side ever sees the other unrelated.
  pid child = rt_->spawn(std::move(a.behaviour), a.bytes, options);
  if (tie == child_tie::link) rt_->add_link_locally(*proc_, child);
  if (tie == child_tie::monitor) rt_->add_monitor_locally(*proc_, options.monitor_ref, child);
  return {child, options.monitor_ref};
}

void actor::link(const pid& other) { rt_->link(*proc_, other); }

void actor::unlink(const pid& other) { rt_->unlink(*proc_, other); }

ref actor::monitor(const pid& other) { return rt_->monitor(*proc_, other); }

ref actor::monitor(std::string_view name, std::string_view node) {
  return rt_->monitor_name(*proc_, name, node);
}

void actor::send(std::string_view name, std::string_view node, term::term msg) {
  rt_->send_named(self(), name, node, std::move(msg));
}

bool actor::demonitor(const ref& r, bool flush) { return rt_->demonitor(*proc_, r, flush); }

bool actor::end_monitor_by(const pid& watcher, const ref& r) {
  return detail::runtime::end_monitor_by(*proc_, watcher, r);
}

bool actor::forget_monitor(const ref& r) { return detail::runtime::forget_monitor(*proc_, r); }

void actor::shuts_down_in_order() noexcept { detail::runtime::mark_orderly(*proc_); }

void actor::trap_exit(bool on) noexcept { proc_->trap_exit.store(on, std::memory_order_relaxed); }

bool actor::trapping_exits() const noexcept {
  return proc_->trap_exit.load(std::memory_order_relaxed);
}

void actor::stop(exit_reason reason) { rt_->request_stop(*proc_, std::move(reason)); }

bool actor::stop_pending() const noexcept { return proc_->stop_requested; }

void actor::yield_point() { rt_->yield_point(*proc_); }

void actor::exit(const pid& to, exit_reason reason) {
  rt_->send_exit(self(), to, std::move(reason));
}

timer_ref actor::send_after(const pid& to, std::chrono::milliseconds delay, message_ptr m) {
  return rt_->send_after(delay, to, m.release());
}

timer_ref actor::start_stamped_timer(const pid& to, std::chrono::milliseconds delay, message_ptr m,
                                     stamp_fn stamp) {
  return rt_->send_after(delay, to, m.release(), stamp);
}

std::optional<std::chrono::milliseconds> actor::cancel_timer(timer_ref r) {
  return rt_->cancel_timer(r);
}

void actor::register_name(std::string_view name) { rt_->register_name(name, self()); }

std::optional<pid> actor::whereis(std::string_view name) const { return rt_->whereis(name); }

const char* to_string(process_status s) noexcept {
  switch (s) {
    case process_status::waiting:
      return "waiting";
    case process_status::runnable:
      return "runnable";
    case process_status::running:
      return "running";
    case process_status::exiting:
      return "exiting";
    case process_status::suspended:
      return "suspended";
  }
  return "?";
}

}  // namespace bitactor

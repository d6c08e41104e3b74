#include "bitactor/core/node.hpp"

#include <string>

#include "bitactor/core/error.hpp"
#include "bitactor/core/internal/deadline.hpp"
#include "bitactor/core/internal/deterministic_scheduler.hpp"
#include "bitactor/core/internal/runtime.hpp"

namespace bitactor {

namespace detail {
runtime& runtime_of(node& n) noexcept { return *n.rt_; }
}  // namespace detail

node::node(node_config config) : rt_(std::make_unique<detail::runtime>(*this, config)) {}

node::~node() { rt_->stop(); }

const node_config& node::config() const noexcept { return rt_->config(); }

pid node::spawn_new(detail::new_actor a, bool blocking) {
  detail::spawn_options options;
  options.needs_start = a.needs_start;
  options.blocking = blocking;
  return rt_->spawn(std::move(a.behaviour), a.bytes, options);
}

pid node::resolve(std::string_view name) const {
  auto to = rt_->whereis(name);
  if (!to) throw badarg("send: no process registered as '" + std::string(name) + "'");
  return *to;
}

void node::exit(const pid& to, exit_reason reason) { rt_->send_exit(pid{}, to, std::move(reason)); }

ref node::make_ref() noexcept { return rt_->make_ref(); }

timer_ref node::send_after(const pid& to, std::chrono::milliseconds delay, message_ptr m) {
  return rt_->send_after(delay, to, m.release());
}

std::optional<std::chrono::milliseconds> node::cancel_timer(timer_ref r) {
  return rt_->cancel_timer(r);
}

void node::register_name(std::string_view name, const pid& p) { rt_->register_name(name, p); }

void node::unregister_name(std::string_view name) { rt_->unregister_name(name); }

std::optional<pid> node::whereis(std::string_view name) const { return rt_->whereis(name); }

std::vector<std::string> node::registered() const { return rt_->registered(); }

std::vector<pid> node::processes() const { return rt_->processes(); }

std::optional<process_info> node::info(const pid& p) const { return rt_->info(p); }

bool node::is_alive(const pid& p) const noexcept { return rt_->is_alive(p); }

node_counters node::counters() const { return rt_->counters(); }

std::size_t node::parked_workers() const noexcept { return rt_->parked_workers(); }

void node::stop() { rt_->stop(); }

std::size_t node::run_until_idle() {
  auto* det = rt_->deterministic();
  if (det == nullptr) throw error("run_until_idle: needs scheduling_policy::deterministic");
  return det->run_until_idle();
}

void node::advance_time(std::chrono::milliseconds by) {
  auto* det = rt_->deterministic();
  if (det == nullptr) throw error("advance_time: needs scheduling_policy::deterministic");
  std::uint64_t target = detail::deadline_after(rt_->now_ms(), by);
  rt_->run_deterministic(target, [] { return false; });
}

std::chrono::milliseconds node::now() const { return std::chrono::milliseconds(rt_->now_ms()); }

void node::monitor_long_handlers(const pid& receiver, std::chrono::milliseconds threshold) {
  rt_->monitor_long_handlers(receiver, threshold);
}

}  // namespace bitactor

#include "bitactor/core/node.hpp"

#include "bitactor/core/internal/deadline.hpp"
#include "bitactor/core/internal/deterministic_scheduler.hpp"

namespace bitactor {

node::node(node_config config) : rt_(std::make_unique<detail::runtime>(*this, config)) {}

node::~node() { rt_->stop(); }

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

}  // namespace bitactor

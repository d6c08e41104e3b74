#include "bitactor/core/internal/deterministic_scheduler.hpp"

#include <utility>

namespace bitactor::detail {

bool deterministic_scheduler::step() {
  if (runnable_.empty()) return false;
  std::size_t pick = static_cast<std::size_t>(rng_() % runnable_.size());
  std::swap(runnable_[pick], runnable_.back());
  process* p = runnable_.back();
  runnable_.pop_back();
  running_ = true;
  runner_->run_turn(p);
  running_ = false;
  return true;
}

std::size_t deterministic_scheduler::run_until_idle(std::size_t max_turns) {
  std::size_t turns = 0;
  while (turns < max_turns && step()) ++turns;
  return turns;
}

}  // namespace bitactor::detail

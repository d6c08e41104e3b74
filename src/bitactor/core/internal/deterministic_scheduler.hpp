#pragma once
// Internal: the test policy. Everything runs on the thread that drives the node; the next
// process to run is drawn from the runnable set by a seeded generator, so the same seed gives
// the same interleaving, and a failing test can be replayed from its seed. Time is virtual
// (see node::advance_time), so timeouts need no waiting.

#include <cstdint>
#include <random>
#include <vector>

#include "bitactor/core/internal/scheduler.hpp"

namespace bitactor::detail {

class deterministic_scheduler final : public scheduler {
 public:
  explicit deterministic_scheduler(std::uint64_t seed) : rng_(seed) {}

  void start(turn_runner& runner) override { runner_ = &runner; }
  void stop() override {}
  void schedule(process* p) override { runnable_.push_back(p); }
  void yield(process* p) override { runnable_.push_back(p); }
  std::size_t worker_count() const noexcept override { return 1; }
  bool on_worker_thread() const noexcept override { return running_; }

  /// Runs one turn of a randomly chosen runnable process; false if none was runnable.
  bool step();
  /// Runs turns until nothing is runnable; returns how many ran.
  std::size_t run_until_idle(std::size_t max_turns = SIZE_MAX);
  bool idle() const noexcept { return runnable_.empty(); }

 private:
  turn_runner* runner_ = nullptr;
  std::mt19937_64 rng_;
  std::vector<process*> runnable_;
  bool running_ = false;
};

}  // namespace bitactor::detail

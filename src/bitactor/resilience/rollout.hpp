#pragma once
// A rollout plan: a feature switched on step by step. Each phase is a set of flag values;
// the plan moves forward one phase at a time (advance) and back one at a time (back), and
// says where it stands (current_phase).
//
//   resilience::rollout_plan plan(flags, "checkout", {
//       {.name = "canary", .flags = {{"new_checkout", 1}}},
//       {.name = "tenth", .flags = {{"new_checkout", 10}}},
//       {.name = "all", .flags = {{"new_checkout", 100}}}});
//   plan.advance();  // canary: 1 % of ids
//   plan.back();     // before the plan: the values the flags had when the plan was made
//
// Before its first phase a plan stands at its baseline: the values that the flags named by
// any phase had when the plan was made. back() from the first phase restores them. A flag a
// phase does not name keeps the value the phase before gave it (phases are cumulative as
// written: give every phase the full set if that is easier to read).
//
// Thread-safe. Each move is applied to the flags as one step (feature_flags::apply), then
// told to subscribers and emitted as the event {bitactor, rollout, phase_changed} with
// metadata `plan`, `from`, `to` (phase names, "baseline" before the first), `direction`
// (advance / back) and `reason`, and measurement `phase` (the new index, -1 for baseline).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bitactor/resilience/feature_flags.hpp"

namespace bitactor::resilience {

struct rollout_phase {
  std::string name{};
  std::vector<flag_setting> flags{};
};

/// What subscribers are told on each move. Phases are indexes into phases(); nullopt is the
/// baseline.
struct phase_change {
  std::string plan{};
  std::optional<std::size_t> from{};
  std::optional<std::size_t> to{};
  bool forward = true;
  std::string reason{};  // "manual" unless the mover says why (the rollback guard does)
};

class rollout_plan {
 public:
  using subscription_id = std::uint64_t;
  using callback = std::function<void(const phase_change&)>;

  /// Throws flag_error if a phase names a flag that `flags` does not define, or gives one a
  /// value its type does not take, or if there are no phases. `flags` must outlive the plan.
  rollout_plan(feature_flags& flags, std::string name, std::vector<rollout_phase> phases);
  rollout_plan(const rollout_plan&) = delete;
  rollout_plan& operator=(const rollout_plan&) = delete;

  /// Moves to the next phase and applies it; false (nothing changes) at the last phase.
  bool advance(const std::string& reason = "manual");
  /// Moves to the previous phase (or the baseline) and applies it; false at the baseline.
  bool back(const std::string& reason = "manual");

  /// The phase in force; nullopt at the baseline.
  std::optional<std::size_t> current_phase() const;
  /// The phase's name, or "baseline".
  std::string current_phase_name() const;
  const std::vector<rollout_phase>& phases() const noexcept { return phases_; }
  const std::string& name() const noexcept { return name_; }

  /// Calls `cb` after each move, on the moving thread, in the order of the moves; it must
  /// not throw. It may read the plan, not move it.
  subscription_id subscribe(callback cb);
  void unsubscribe(subscription_id id);

 private:
  // The full set of flag values at a position: the baseline with every phase up to it laid
  // over it, so a move applies one complete set.
  std::vector<flag_setting> values_at(std::optional<std::size_t> phase) const;
  bool move(bool forward, const std::string& reason);
  std::string phase_name(std::optional<std::size_t> phase) const;

  feature_flags& flags_;
  const std::string name_;
  const std::vector<rollout_phase> phases_;
  std::map<std::string, double> baseline_;

  std::mutex move_lock_;     // moves are one at a time
  mutable std::mutex lock_;  // position_ and subscribers_; held only briefly
  std::optional<std::size_t> position_;
  std::map<subscription_id, callback> subscribers_;
  subscription_id next_id_ = 1;
};

}  // namespace bitactor::resilience

#include "bitactor/resilience/rollout.hpp"

#include <utility>

#include "bitactor/resilience/events.hpp"

namespace bitactor::resilience {

rollout_plan::rollout_plan(feature_flags& flags, std::string name,
                           std::vector<rollout_phase> phases)
    : flags_(flags), name_(std::move(name)), phases_(std::move(phases)) {
  if (phases_.empty()) throw flag_error("rollout plan '" + name_ + "' has no phases");
  for (const rollout_phase& p : phases_) {
    for (const flag_setting& s : p.flags) {
      const feature_flag f = flags_.flag(s.flag);  // throws if it is not defined
      if (!(s.percent >= 0 && s.percent <= 100) ||
          (f.type() == flag_type::boolean && s.percent != 0 && s.percent != 100)) {
        throw flag_error("rollout plan '" + name_ + "', phase '" + p.name + "': flag '" + s.flag +
                         "' cannot be set to " + std::to_string(s.percent));
      }
      baseline_.try_emplace(s.flag, f.percent());
    }
  }
}

std::vector<flag_setting> rollout_plan::values_at(std::optional<std::size_t> phase) const {
  std::map<std::string, double> values = baseline_;
  if (phase) {
    for (std::size_t i = 0; i <= *phase; ++i) {
      for (const flag_setting& s : phases_[i].flags) values[s.flag] = s.percent;
    }
  }
  std::vector<flag_setting> out;
  out.reserve(values.size());
  for (auto& [flag, percent] : values) out.push_back({.flag = flag, .percent = percent});
  return out;
}

bool rollout_plan::advance(const std::string& reason) { return move(true, reason); }
bool rollout_plan::back(const std::string& reason) { return move(false, reason); }

bool rollout_plan::move(bool forward, const std::string& reason) {
  // Moves are one at a time (move_lock_), so the target found here is still one step from
  // where the plan stands when it is applied. lock_ is not held while the flags change: a
  // flag-change handler may read the plan.
  std::lock_guard moving(move_lock_);
  std::optional<std::size_t> to;
  {
    std::lock_guard guard(lock_);
    if (forward) {
      const std::size_t next = position_ ? *position_ + 1 : 0;
      if (next >= phases_.size()) return false;
      to = next;
    } else {
      if (!position_) return false;
      if (*position_ > 0) to = *position_ - 1;
    }
  }
  phase_change change{.plan = name_, .from = {}, .to = to, .forward = forward, .reason = reason};
  std::vector<callback> told;
  flags_.apply(values_at(to));
  {
    std::lock_guard guard(lock_);
    change.from = position_;
    position_ = to;
    told.reserve(subscribers_.size());
    for (const auto& [id, cb] : subscribers_) told.push_back(cb);
  }
  for (const callback& cb : told) cb(change);
  emit_with([&] {
    return event{.name = {"bitactor", "rollout", "phase_changed"},
                 .measurements = {{"phase", to ? static_cast<double>(*to) : -1.0}},
                 .metadata = {{"plan", name_},
                              {"from", phase_name(change.from)},
                              {"to", phase_name(to)},
                              {"direction", forward ? "advance" : "back"},
                              {"reason", reason}}};
  });
  return true;
}

std::optional<std::size_t> rollout_plan::current_phase() const {
  std::lock_guard guard(lock_);
  return position_;
}

std::string rollout_plan::current_phase_name() const { return phase_name(current_phase()); }

std::string rollout_plan::phase_name(std::optional<std::size_t> phase) const {
  return phase ? phases_[*phase].name : std::string("baseline");
}

rollout_plan::subscription_id rollout_plan::subscribe(callback cb) {
  std::lock_guard guard(lock_);
  const subscription_id id = next_id_++;
  subscribers_.emplace(id, std::move(cb));
  return id;
}

void rollout_plan::unsubscribe(subscription_id id) {
  std::lock_guard guard(lock_);
  subscribers_.erase(id);
}

}  // namespace bitactor::resilience

#include "bitactor/resilience/rollback_guard.hpp"

#include <algorithm>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/report.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "bitactor/resilience/events.hpp"

namespace bitactor::resilience {

namespace detail {

// What the guard's process, its owner, its report sink and its plan subscription share: each
// may outlive another by a little (a report being written, a tick already queued).
struct guard_state {
  guard_state(node& on, rollout_plan& p, rollback_guard_config c)
      : n(on), plan(p), config(std::move(c)) {}

  node& n;
  rollout_plan& plan;
  const rollback_guard_config config;

  // Held for a whole check and by the destructor: once `stopped` is set no check touches the
  // plan, which may then be destroyed.
  std::mutex check_lock;
  bool stopped = false;

  // The windows, the hold and the subscribers. Never held while calling out (the plan, a
  // gauge, a subscriber), so the plan's callback, which takes it, cannot deadlock a check.
  mutable std::mutex data_lock;
  // Outcomes counted in buckets of a twentieth of the window: a window of a minute is judged
  // in steps of three seconds, and a million outcomes cost twenty buckets, not a million
  // entries.
  struct bucket {
    std::int64_t start = 0;
    std::size_t errors = 0;
    std::size_t successes = 0;
  };
  std::deque<bucket> outcomes;
  std::deque<std::int64_t> restarts;  // node::now() of each, within the last minute
  bool holding = false;
  std::optional<rollback> last;
  std::map<rollback_guard::subscription_id, rollback_guard::callback> subscribers;
  rollback_guard::subscription_id next_id = 1;

  std::optional<std::size_t> sink_id;  // the restart-counting report sink, if restarts are watched
  rollout_plan::subscription_id plan_subscription = 0;

  static constexpr std::int64_t minute_ms = 60000;

  std::int64_t now_ms() const { return n.now().count(); }
  std::int64_t bucket_ms() const {
    return std::max<std::int64_t>(1, config.error_window.count() / 20);
  }

  void prune(std::int64_t now) {
    while (!outcomes.empty() &&
           outcomes.front().start + bucket_ms() <= now - config.error_window.count()) {
      outcomes.pop_front();
    }
    while (!restarts.empty() && restarts.front() <= now - minute_ms) restarts.pop_front();
  }

  void record(bool failed) {
    std::lock_guard guard(data_lock);
    const std::int64_t now = now_ms();
    if (outcomes.empty() || outcomes.back().start + bucket_ms() <= now) {
      outcomes.push_back({.start = now - now % bucket_ms(), .errors = 0, .successes = 0});
    }
    ++(failed ? outcomes.back().errors : outcomes.back().successes);
    prune(now);
  }

  void record_restart() {
    std::lock_guard guard(data_lock);
    const std::int64_t now = now_ms();
    restarts.push_back(now);
    prune(now);
  }

  // Under data_lock.
  std::pair<std::size_t, std::size_t> counts() const {
    std::size_t errors = 0, total = 0;
    for (const bucket& b : outcomes) {
      errors += b.errors;
      total += b.errors + b.successes;
    }
    return {errors, total};
  }

  void on_plan_move(const phase_change& c) {
    std::lock_guard guard(data_lock);
    if (c.forward) {
      // A new phase is judged on its own outcomes.
      outcomes.clear();
      restarts.clear();
      holding = false;
    } else {
      holding = true;
    }
  }

  // One poll: on the guard's process.
  void check() {
    std::lock_guard checking(check_lock);
    if (stopped) return;
    std::optional<rollback> verdict;
    {
      std::lock_guard guard(data_lock);
      if (holding) return;
      prune(now_ms());
      const auto [errors, total] = counts();
      if (total > 0 && total >= config.min_outcomes) {
        const double rate = static_cast<double>(errors) / static_cast<double>(total);
        if (rate > config.max_error_rate) {
          verdict = rollback{.metric = "error_rate", .value = rate, .limit = config.max_error_rate};
        }
      }
      if (!verdict && config.max_restarts_per_minute &&
          restarts.size() > *config.max_restarts_per_minute) {
        verdict = rollback{.metric = "restarts_per_minute",
                           .value = static_cast<double>(restarts.size()),
                           .limit = static_cast<double>(*config.max_restarts_per_minute)};
      }
    }
    for (const gauge_limit& g : config.gauges) {
      if (verdict) break;
      const double v = g.read();
      if (v > g.limit)
        verdict = rollback{.metric = "gauge." + g.name, .value = v, .limit = g.limit};
    }
    if (!verdict) return;
    const std::optional<std::size_t> from = plan.current_phase();
    if (!from) return;  // at the baseline: nothing to roll back to
    if (!plan.back("rollback_guard: " + verdict->metric)) return;
    verdict->plan = plan.name();
    verdict->from = from;
    verdict->to = plan.current_phase();
    std::vector<rollback_guard::callback> told;
    {
      std::lock_guard guard(data_lock);
      holding = true;  // also set by the plan's callback; set here in case another moved it
      last = verdict;
      for (const auto& [id, cb] : subscribers) told.push_back(cb);
    }
    announce(*verdict);
    for (const auto& cb : told) cb(*verdict);
  }

  std::string phase_name(std::optional<std::size_t> p) const {
    return p ? plan.phases()[*p].name : std::string("baseline");
  }

  void announce(const rollback& r) const {
    if (otp::report_wanted(otp::report_level::warning)) {
      otp::report rep;
      rep.type = otp::report::kind::application;
      rep.level = otp::report_level::warning;
      rep.add("application", otp::name_term(r.plan))
          .add("status", term::atom("rolled_back"))
          .add("from", otp::name_term(phase_name(r.from)))
          .add("to", otp::name_term(phase_name(r.to)))
          .add("reason",
               term::tuple(otp::name_term(r.metric), term::term(r.value), term::term(r.limit)));
      otp::log_report(rep);
    }
    emit_with([&] {
      return event{.name = {"bitactor", "rollback_guard", "rolled_back"},
                   .measurements = {{"value", r.value}, {"limit", r.limit}},
                   .metadata = {{"plan", r.plan},
                                {"metric", r.metric},
                                {"from", phase_name(r.from)},
                                {"to", phase_name(r.to)}}};
    });
  }
};

}  // namespace detail

namespace {

struct guard_tick {};

// The guard's process: one check per tick.
class guard_server : public otp::gen_server {
 public:
  explicit guard_server(std::shared_ptr<detail::guard_state> s) : state_(std::move(s)) {}

 protected:
  void init() override { arm(); }
  void handle_info(message& m) override {
    if (!m.is<guard_tick>()) return;
    state_->check();
    arm();
  }

 private:
  void arm() { this_node().send_after(self(), state_->config.poll_interval, guard_tick{}); }
  std::shared_ptr<detail::guard_state> state_;
};

bool is_restart_report(const otp::report& r) {
  if (r.type != otp::report::kind::supervisor) return false;
  const term::term* action = r.find("action");
  return action != nullptr &&
         (action->is_atom("restarting") || action->is_atom("child_terminated"));
}

}  // namespace

rollback_guard::rollback_guard(node& n, rollout_plan& plan, rollback_guard_config config)
    : node_(n) {
  if (config.poll_interval.count() <= 0) {
    throw std::invalid_argument("rollback_guard: poll_interval must be positive");
  }
  if (config.error_window.count() <= 0) {
    throw std::invalid_argument("rollback_guard: error_window must be positive");
  }
  if (!(config.max_error_rate >= 0 && config.max_error_rate <= 1)) {
    throw std::invalid_argument("rollback_guard: max_error_rate must be within 0..1");
  }
  for (const gauge_limit& g : config.gauges) {
    if (!g.read) throw std::invalid_argument("rollback_guard: gauge '" + g.name + "' has no read");
  }
  state_ = std::make_shared<detail::guard_state>(n, plan, std::move(config));
  std::weak_ptr<detail::guard_state> weak = state_;
  state_->plan_subscription = plan.subscribe([weak](const phase_change& c) {
    if (auto s = weak.lock()) s->on_plan_move(c);
  });
  if (state_->config.max_restarts_per_minute) {
    state_->sink_id = otp::add_report_sink(
        [weak](const otp::report& r) {
          if (!is_restart_report(r)) return;
          if (auto s = weak.lock()) s->record_restart();
        },
        otp::report_level::error);
  }
  otp::start_result r = otp::start<guard_server>(n, {}, state_);
  if (!r.ok()) {
    if (state_->sink_id) otp::remove_report_sink(*state_->sink_id);
    plan.unsubscribe(state_->plan_subscription);
    throw std::runtime_error("rollback_guard: process did not start: " + r.to_string());
  }
  process_ = r.process;
}

rollback_guard::~rollback_guard() {
  {
    std::lock_guard checking(state_->check_lock);
    state_->stopped = true;
  }
  state_->plan.unsubscribe(state_->plan_subscription);
  if (state_->sink_id) otp::remove_report_sink(*state_->sink_id);
  if (node_.is_alive(process_)) node_.exit(process_, exit_reason::shutdown());
}

void rollback_guard::record_success() { state_->record(false); }
void rollback_guard::record_error() { state_->record(true); }

bool rollback_guard::holding() const {
  std::lock_guard guard(state_->data_lock);
  return state_->holding;
}

std::optional<rollback> rollback_guard::last_rollback() const {
  std::lock_guard guard(state_->data_lock);
  return state_->last;
}

double rollback_guard::error_rate() const {
  std::lock_guard guard(state_->data_lock);
  state_->prune(state_->now_ms());
  const auto [errors, total] = state_->counts();
  return total == 0 ? 0.0 : static_cast<double>(errors) / static_cast<double>(total);
}

std::size_t rollback_guard::restarts_last_minute() const {
  std::lock_guard guard(state_->data_lock);
  state_->prune(state_->now_ms());
  return state_->restarts.size();
}

rollback_guard::subscription_id rollback_guard::subscribe(callback cb) {
  std::lock_guard guard(state_->data_lock);
  const subscription_id id = state_->next_id++;
  state_->subscribers.emplace(id, std::move(cb));
  return id;
}

void rollback_guard::unsubscribe(subscription_id id) {
  std::lock_guard guard(state_->data_lock);
  state_->subscribers.erase(id);
}

}  // namespace bitactor::resilience

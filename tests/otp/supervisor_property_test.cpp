// Property: the supervisor's restart intensity (supervisor(3): "if more than MaxR restarts
// occur within MaxT seconds, the supervisor terminates all the child processes and then
// itself") matches a model that simply counts crashes in the sliding period, for random
// sequences of child crashes at random virtual times.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <bitactor/otp/supervisor.hpp>
#include <vector>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;

namespace {

struct die {};

class crashable : public gen_server {
 protected:
  void handle_cast(message& m) override {
    if (m.is<die>()) throw std::runtime_error("crash");
  }
};

/// The model: every crash is a restart; the supervisor survives a crash at `now` while the
/// crashes in [now - period, now] number at most `intensity`.
bool model_survives(const std::vector<std::int64_t>& crash_times, std::int64_t now,
                    std::int64_t period, int intensity) {
  int in_period = 0;
  for (auto t : crash_times) {
    if (t >= now - period) ++in_period;
  }
  return in_period <= intensity;
}

}  // namespace

TEST(supervisor_property, restart_intensity_matches_the_sliding_window_model) {
  bool passed = rc::check("restart intensity", [] {
    const int intensity = *rc::gen::inRange(0, 5);
    const std::int64_t period_ms = *rc::gen::inRange(1, 10) * 1000;
    const auto gaps = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 4000));
    node n(node_config::deterministic(*rc::gen::arbitrary<std::uint64_t>()));
    auto sup = start_supervisor(
        n, supervisor_spec{{.intensity = intensity, .period = std::chrono::milliseconds(period_ms)},
                           {child_spec::worker<crashable>("c")}});
    RC_ASSERT(sup.ok());
    std::vector<std::int64_t> crashes;
    for (int gap : gaps) {
      n.advance_time(std::chrono::milliseconds(gap));
      pid child = which_children(n, sup.process).value().at(0).process;
      RC_ASSERT(static_cast<bool>(child));
      const std::int64_t now = n.now().count();
      crashes.push_back(now);
      cast(n, child, die{});
      n.run_until_idle();
      const bool expected = model_survives(crashes, now, period_ms, intensity);
      RC_ASSERT(n.is_alive(sup.process) == expected);
      if (!expected) break;
    }
  });
  EXPECT_TRUE(passed);
}

TEST(supervisor_property, add_restart_keeps_only_restarts_within_the_period) {
  bool passed = rc::check("add_restart", [](const std::vector<std::uint16_t>& gaps) {
    const int intensity = *rc::gen::inRange(0, 6);
    const auto period = std::chrono::milliseconds(*rc::gen::inRange(1, 5000));
    std::deque<std::chrono::milliseconds> restarts;
    std::vector<std::int64_t> all;
    std::chrono::milliseconds now{0};
    for (auto g : gaps) {
      now += std::chrono::milliseconds(g);
      all.push_back(now.count());
      bool allowed = supervisor::add_restart(restarts, now, intensity, period);
      RC_ASSERT(allowed == model_survives(all, now.count(), period.count(), intensity));
    }
  });
  EXPECT_TRUE(passed);
}

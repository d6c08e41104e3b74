// The rollback guard: a phase that makes things worse is rolled back by the guard alone, once,
// on the deterministic scheduler's virtual time.
#include <gtest/gtest.h>

#include <atomic>
#include <bitactor/core/node.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <bitactor/resilience/events.hpp>
#include <bitactor/resilience/rollback_guard.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace otp = bitactor::otp;
namespace resilience = bitactor::resilience;
using namespace std::chrono_literals;
using bitactor::message;
using bitactor::node;
using bitactor::node_config;
using resilience::feature_flag;
using resilience::feature_flags;
using resilience::rollback_guard;
using resilience::rollout_plan;

namespace {

struct checkout {};

// The code path under the flag: with the new path on, every request crashes the server.
class checkout_server : public otp::gen_server {
 public:
  checkout_server(feature_flag new_path, std::shared_ptr<std::atomic<int>> served)
      : new_path_(std::move(new_path)), served_(std::move(served)) {}

 protected:
  void handle_cast(message& m) override {
    if (!m.is<checkout>()) return;
    if (new_path_.enabled()) throw std::runtime_error("new checkout path: null basket");
    ++*served_;
  }

 private:
  feature_flag new_path_;
  std::shared_ptr<std::atomic<int>> served_;
};

std::size_t restart_reports(const otp::report_capture& seen) {
  std::size_t n = 0;
  for (const otp::report& r : seen.of_kind(otp::report::kind::supervisor)) {
    if (r.find("action") != nullptr && r.find("action")->is_atom("restarting")) ++n;
  }
  return n;
}

// The flags exist before the plan that names them: a base is built before the members.
struct checkout_flags {
  checkout_flags() {
    flags.define_boolean("new_checkout", false);
    flags.define_percentage("new_checkout_audience", 0);
  }
  feature_flags flags;
};

struct guarded_rollout : ::testing::Test, checkout_flags {
  guarded_rollout() {
    otp::set_default_sink_level(otp::report_level::none);  // the crashes are expected
  }
  ~guarded_rollout() override { otp::set_default_sink_level(otp::report_level::info); }

  node n{node_config::deterministic(7)};
  rollout_plan plan{
      flags,
      "checkout",
      {{.name = "audience", .flags = {{.flag = "new_checkout_audience", .percent = 5}}},
       {.name = "new_path", .flags = {resilience::on("new_checkout")}}}};
};

TEST_F(guarded_rollout, a_phase_whose_flagged_path_crashes_is_rolled_back_with_no_manual_step) {
  otp::report_capture seen;
  auto served = std::make_shared<std::atomic<int>>(0);
  otp::supervisor_spec spec{
      .flags = {.strategy = otp::restart_strategy::one_for_one, .intensity = 1000, .period = 60s},
      .children = {
          otp::child_spec::worker<checkout_server>("checkout", flags.flag("new_checkout"), served)
              .registered_as("checkout")}};
  ASSERT_TRUE(otp::start_supervisor(n, spec, "shop").ok());
  rollback_guard guard(n, plan, {.poll_interval = 1s, .max_restarts_per_minute = 5});
  std::vector<resilience::rollback> told;
  guard.subscribe([&](const resilience::rollback& r) { told.push_back(r); });

  auto one_second_of_traffic = [&] {
    for (int i = 0; i < 3; ++i) {
      otp::cast(n, "checkout", checkout{});
      n.run_until_idle();  // the crash and its restart happen before the next request
    }
    n.advance_time(1s);
  };
  plan.advance();
  plan.advance();
  ASSERT_EQ(plan.current_phase_name(), "new_path");
  for (int s = 0; s < 5; ++s) one_second_of_traffic();

  // Rolled back by the guard alone, to the phase before, and only once.
  EXPECT_EQ(plan.current_phase_name(), "audience");
  EXPECT_FALSE(flags.enabled("new_checkout"));
  EXPECT_DOUBLE_EQ(flags.flag("new_checkout_audience").percent(), 5.0);
  EXPECT_TRUE(guard.holding());
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].metric, "restarts_per_minute");
  EXPECT_GT(told[0].value, 5.0);
  EXPECT_EQ(told[0].from, 1u);
  EXPECT_EQ(told[0].to, 0u);

  // The report says why.
  bool reported = false;
  for (const otp::report& r : seen.of_kind(otp::report::kind::application)) {
    if (r.find("status") != nullptr && r.find("status")->is_atom("rolled_back")) {
      reported = true;
      EXPECT_TRUE(r.find("from")->is_atom("new_path"));
      EXPECT_TRUE(r.find("to")->is_atom("audience"));
      EXPECT_EQ(r.level, otp::report_level::warning);
    }
  }
  EXPECT_TRUE(reported);

  // After the rollback the failures stop: the same traffic is served and nothing restarts.
  const std::size_t restarts = restart_reports(seen);
  EXPECT_GT(restarts, 5u);
  const int served_before = served->load();
  for (int s = 0; s < 10; ++s) one_second_of_traffic();
  EXPECT_EQ(restart_reports(seen), restarts);
  EXPECT_EQ(served->load(), served_before + 30);
  EXPECT_EQ(plan.current_phase_name(), "audience");  // and it holds there
  EXPECT_EQ(told.size(), 1u);
}

TEST_F(guarded_rollout, an_error_rate_over_the_limit_rolls_back_and_one_under_it_does_not) {
  rollback_guard guard(
      n, plan,
      {.poll_interval = 1s, .max_error_rate = 0.2, .error_window = 10s, .min_outcomes = 10});
  plan.advance();
  plan.advance();
  for (int i = 0; i < 8; ++i) guard.record_success();
  guard.record_error();
  guard.record_error();  // 20 %: at the limit, not over it
  n.advance_time(3s);
  EXPECT_EQ(plan.current_phase_name(), "new_path");
  EXPECT_DOUBLE_EQ(guard.error_rate(), 0.2);
  guard.record_error();  // 3 in 11
  n.advance_time(1s);
  EXPECT_EQ(plan.current_phase_name(), "audience");
  ASSERT_TRUE(guard.last_rollback().has_value());
  EXPECT_EQ(guard.last_rollback()->metric, "error_rate");
  EXPECT_NEAR(guard.last_rollback()->value, 3.0 / 11.0, 1e-9);
}

TEST_F(guarded_rollout, errors_older_than_the_window_no_longer_count) {
  // The first poll comes at 30 s; by then the errors of 0 s have left the 10 s window.
  rollback_guard guard(
      n, plan,
      {.poll_interval = 30s, .max_error_rate = 0.5, .error_window = 10s, .min_outcomes = 4});
  plan.advance();
  for (int i = 0; i < 4; ++i) guard.record_error();
  EXPECT_DOUBLE_EQ(guard.error_rate(), 1.0);
  n.advance_time(20s);
  EXPECT_DOUBLE_EQ(guard.error_rate(), 0.0);
  n.advance_time(10s);
  EXPECT_EQ(plan.current_phase_name(), "audience");
  EXPECT_FALSE(guard.last_rollback().has_value());
}

TEST_F(guarded_rollout, too_few_outcomes_give_no_verdict) {
  rollback_guard guard(n, plan, {.poll_interval = 1s, .max_error_rate = 0.1, .min_outcomes = 10});
  plan.advance();
  for (int i = 0; i < 9; ++i) guard.record_error();
  n.advance_time(5s);
  EXPECT_EQ(plan.current_phase_name(), "audience");
  guard.record_error();
  n.advance_time(1s);
  EXPECT_EQ(plan.current_phase_name(), "baseline");
}

TEST_F(guarded_rollout, after_a_rollback_it_holds_until_the_plan_advances_again) {
  rollback_guard guard(n, plan, {.poll_interval = 1s, .max_error_rate = 0.5, .min_outcomes = 2});
  plan.advance();
  plan.advance();
  guard.record_error();
  guard.record_error();
  n.advance_time(1s);
  ASSERT_EQ(plan.current_phase_name(), "audience");
  // Still failing: a guard that flapped would go on to the baseline.
  for (int i = 0; i < 10; ++i) guard.record_error();
  n.advance_time(10s);
  EXPECT_EQ(plan.current_phase_name(), "audience");
  EXPECT_TRUE(guard.holding());

  plan.advance();  // told to try again: watching resumes, on a clean window
  EXPECT_FALSE(guard.holding());
  EXPECT_DOUBLE_EQ(guard.error_rate(), 0.0);
  n.advance_time(5s);
  EXPECT_EQ(plan.current_phase_name(), "new_path");
  guard.record_error();
  guard.record_error();
  n.advance_time(1s);
  EXPECT_EQ(plan.current_phase_name(), "audience");
}

TEST_F(guarded_rollout, a_gauge_over_its_limit_rolls_back) {
  double queue_depth = 10;
  rollback_guard guard(
      n, plan,
      {.poll_interval = 1s,
       .gauges = {{.name = "queue_depth", .read = [&] { return queue_depth; }, .limit = 500}}});
  std::vector<std::string> events;
  const auto id =
      resilience::attach({"bitactor", "rollback_guard"},
                         [&](const resilience::event& e) { events.push_back(*e.meta("metric")); });
  plan.advance();
  n.advance_time(3s);
  EXPECT_EQ(plan.current_phase_name(), "audience");
  queue_depth = 900;
  n.advance_time(1s);
  resilience::detach(id);
  EXPECT_EQ(plan.current_phase_name(), "baseline");
  EXPECT_EQ(guard.last_rollback()->metric, "gauge.queue_depth");
  EXPECT_DOUBLE_EQ(guard.last_rollback()->value, 900.0);
  EXPECT_EQ(events, (std::vector<std::string>{"gauge.queue_depth"}));
}

TEST_F(guarded_rollout, a_bad_configuration_is_refused) {
  EXPECT_THROW(rollback_guard(n, plan, {.poll_interval = 0ms}), std::invalid_argument);
  EXPECT_THROW(rollback_guard(n, plan, {.max_error_rate = 1.5}), std::invalid_argument);
  EXPECT_THROW(rollback_guard(n, plan, {.gauges = {{.name = "g", .read = {}, .limit = 1}}}),
               std::invalid_argument);
}

}  // namespace

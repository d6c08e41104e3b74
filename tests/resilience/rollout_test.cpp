// Rollout plans: phases applied forward and back, the baseline, and what observers are told.
#include <gtest/gtest.h>

#include <atomic>
#include <bitactor/resilience/events.hpp>
#include <bitactor/resilience/rollout.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace resilience = bitactor::resilience;
using resilience::feature_flags;
using resilience::rollout_plan;

namespace {

// The flags exist before the plan that names them: a base is built before the members.
struct checkout_flags {
  checkout_flags() {
    flags.define_percentage("new_checkout", 0);
    flags.define_boolean("new_checkout_banner", false);
  }
  feature_flags flags;
};

struct checkout_rollout : ::testing::Test, checkout_flags {
  rollout_plan plan{
      flags,
      "checkout",
      {{.name = "canary", .flags = {{.flag = "new_checkout", .percent = 1}}},
       {.name = "tenth",
        .flags = {{.flag = "new_checkout", .percent = 10}, resilience::on("new_checkout_banner")}},
       {.name = "all", .flags = {{.flag = "new_checkout", .percent = 100}}}}};
  double checkout() const { return flags.flag("new_checkout").percent(); }
  bool banner() const { return flags.enabled("new_checkout_banner"); }
};

TEST_F(checkout_rollout, starts_at_the_baseline_and_changes_nothing_until_advanced) {
  EXPECT_EQ(plan.current_phase(), std::nullopt);
  EXPECT_EQ(plan.current_phase_name(), "baseline");
  EXPECT_DOUBLE_EQ(checkout(), 0.0);
}

TEST_F(checkout_rollout, advance_applies_each_phase_in_turn_and_stops_at_the_last) {
  ASSERT_TRUE(plan.advance());
  EXPECT_EQ(plan.current_phase_name(), "canary");
  EXPECT_DOUBLE_EQ(checkout(), 1.0);
  EXPECT_FALSE(banner());
  ASSERT_TRUE(plan.advance());
  EXPECT_DOUBLE_EQ(checkout(), 10.0);
  EXPECT_TRUE(banner());
  ASSERT_TRUE(plan.advance());
  EXPECT_EQ(plan.current_phase(), 2u);
  EXPECT_DOUBLE_EQ(checkout(), 100.0);
  EXPECT_TRUE(banner());  // the last phase does not name it: it keeps the tenth's value
  EXPECT_FALSE(plan.advance());
  EXPECT_EQ(plan.current_phase(), 2u);
}

TEST_F(checkout_rollout, back_restores_the_previous_phase_then_the_baseline) {
  plan.advance();
  plan.advance();
  ASSERT_TRUE(plan.back());
  EXPECT_EQ(plan.current_phase_name(), "canary");
  EXPECT_DOUBLE_EQ(checkout(), 1.0);
  EXPECT_FALSE(banner());  // the tenth turned it on; going back below it turns it off
  ASSERT_TRUE(plan.back());
  EXPECT_EQ(plan.current_phase(), std::nullopt);
  EXPECT_DOUBLE_EQ(checkout(), 0.0);
  EXPECT_FALSE(plan.back());
}

TEST_F(checkout_rollout, the_baseline_is_the_values_the_flags_had_when_the_plan_was_made) {
  feature_flags f;
  f.define_percentage("x", 5);
  rollout_plan p(f, "x", {{.name = "more", .flags = {{.flag = "x", .percent = 50}}}});
  p.advance();
  p.back();
  EXPECT_DOUBLE_EQ(f.flag("x").percent(), 5.0);
}

TEST_F(checkout_rollout, subscribers_and_events_see_each_move_with_its_reason) {
  std::vector<resilience::phase_change> told;
  plan.subscribe([&](const resilience::phase_change& c) { told.push_back(c); });
  std::vector<std::string> events;
  const auto id = resilience::attach({"bitactor", "rollout"}, [&](const resilience::event& e) {
    events.push_back(*e.meta("from") + "->" + *e.meta("to") + " " + *e.meta("reason"));
  });
  plan.advance();
  plan.back("too many errors");
  resilience::detach(id);
  ASSERT_EQ(told.size(), 2u);
  EXPECT_TRUE(told[0].forward);
  EXPECT_EQ(told[0].from, std::nullopt);
  EXPECT_EQ(told[0].to, 0u);
  EXPECT_FALSE(told[1].forward);
  EXPECT_EQ(told[1].reason, "too many errors");
  EXPECT_EQ(events, (std::vector<std::string>{"baseline->canary manual",
                                              "canary->baseline too many errors"}));
}

TEST(rollout_plan, a_phase_naming_an_unknown_flag_or_a_bad_value_is_refused) {
  feature_flags flags;
  flags.define_boolean("b", false);
  EXPECT_THROW(rollout_plan(flags, "p", {{.name = "x", .flags = {{.flag = "nope", .percent = 1}}}}),
               resilience::flag_error);
  EXPECT_THROW(rollout_plan(flags, "p", {{.name = "x", .flags = {{.flag = "b", .percent = 50}}}}),
               resilience::flag_error);
  EXPECT_THROW(rollout_plan(flags, "p", {}), resilience::flag_error);
}

}  // namespace

namespace {

TEST(rollout_plan, concurrent_moves_each_take_one_step_from_where_the_plan_stands) {
  feature_flags flags;
  flags.define_percentage("f", 0);
  rollout_plan plan(flags, "p",
                    {{.name = "one", .flags = {{.flag = "f", .percent = 1}}},
                     {.name = "two", .flags = {{.flag = "f", .percent = 2}}},
                     {.name = "three", .flags = {{.flag = "f", .percent = 3}}}});
  std::atomic<int> moved{0};
  std::vector<std::thread> movers;
  for (int t = 0; t < 4; ++t) {
    movers.emplace_back([&] {
      for (int i = 0; i < 100; ++i) moved += plan.advance() ? 1 : 0;
    });
  }
  for (auto& m : movers) m.join();
  EXPECT_EQ(moved.load(), 3);  // three phases: three steps in all, however the threads raced
  EXPECT_EQ(plan.current_phase(), 2u);
  EXPECT_DOUBLE_EQ(flags.flag("f").percent(), 3.0);
}

}  // namespace

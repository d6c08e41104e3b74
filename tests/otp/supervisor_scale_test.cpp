// A supervisor's cost grows linearly with its children: 100,000 static children start and
// stop, and dynamic children are removed one by one, each in O(1). No timing is asserted
// (the machine is shared); the times are printed.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "supervisor_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr std::size_t many = 10'000;  // sanitizers run ~10x slower
#else
constexpr std::size_t many = 100'000;
#endif

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Progress reports of 100,000 children would measure the log, not the supervisor.
class supervisor_scale : public ::testing::TestWithParam<scheduling_policy> {
 protected:
  void SetUp() override {
    saved_ = default_sink_level();
    set_default_sink_level(report_level::warning);
  }
  void TearDown() override { set_default_sink_level(saved_); }

 private:
  report_level saved_ = report_level::info;
};
INSTANTIATE_TEST_SUITE_P(policies, supervisor_scale, both_policies, policy_name);

}  // namespace

TEST_P(supervisor_scale, static_children_start_and_stop_in_linear_time) {
  node n(config_for(GetParam()));
  inbox box(n);
  supervisor_spec spec;
  spec.children.reserve(many);
  for (std::size_t i = 0; i < many; ++i) {
    spec.children.push_back(child_spec::worker<idle>("c" + std::to_string(i)));
  }
  auto t0 = std::chrono::steady_clock::now();
  auto sup = start_supervisor(n, std::move(spec));
  ASSERT_TRUE(sup.ok()) << sup.to_string();
  const double start_s = seconds_since(t0);
  EXPECT_EQ(count_children(n, sup.process).value().active, many);
  ref m = box.monitor(sup.process);
  t0 = std::chrono::steady_clock::now();
  n.exit(sup.process, exit_reason::shutdown());
  auto d = box.receive<down_msg>(120s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  const double stop_s = seconds_since(t0);
  std::printf("[ figures  ] %zu static children: start %.3f s, stop %.3f s\n", many, start_s,
              stop_s);
}

TEST_P(supervisor_scale, dynamic_children_terminated_one_by_one_in_linear_time) {
  node n(config_for(GetParam()));
  auto sup = start_supervisor(
      n, supervisor_spec{{.strategy = restart_strategy::simple_one_for_one},
                         {child_spec::worker<idle>("t").with_restart(restart_type::temporary)}});
  ASSERT_TRUE(sup.ok());
  const std::size_t count = many / 5;  // each start and stop is a call from this thread
  std::vector<pid> kids;
  kids.reserve(count);
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    auto r = start_child(n, sup.process, start_fn{});
    ASSERT_TRUE(r);
    kids.push_back(r->process);
  }
  const double start_s = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  for (const pid& k : kids) ASSERT_TRUE(terminate_child(n, sup.process, k));
  const double stop_s = seconds_since(t0);
  EXPECT_EQ(count_children(n, sup.process).value(),
            (child_counts{.specs = 1, .active = 0, .supervisors = 0, .workers = 0}));
  std::printf("[ figures  ] %zu dynamic children: start_child %.3f s, terminate_child %.3f s\n",
              count, start_s, stop_s);
}

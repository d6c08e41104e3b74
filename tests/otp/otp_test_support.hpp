#pragma once
// Small pieces shared by the OTP tests.

#include <gtest/gtest.h>

#include <bitactor/core/inbox.hpp>
#include <bitactor/core/node.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace bitactor::otp::test {

using namespace std::chrono_literals;

inline node_config deterministic(std::uint64_t seed = 1) {
  return node_config::deterministic(seed);
}

/// A node configuration for either scheduler policy, for suites that run every case under
/// both (INSTANTIATE_TEST_SUITE_P over both_policies, named by policy_name).
inline node_config config_for(scheduling_policy p) {
  if (p == scheduling_policy::deterministic) return deterministic();
  node_config c;
  c.workers = 2;
  return c;
}
inline const auto both_policies =
    ::testing::Values(scheduling_policy::deterministic, scheduling_policy::work_stealing);
inline std::string policy_name(const ::testing::TestParamInfo<scheduling_policy>& info) {
  return info.param == scheduling_policy::deterministic ? "deterministic" : "work_stealing";
}

/// A message asking a plain process to run a step on its own behalf.
struct run_step {
  std::function<void(actor&)> step;
};

/// A plain process that runs run_step messages and ignores everything else (a stand-in
/// parent for linked starts).
inline pid spawn_stepper(node& n, bool trap = false) {
  pid p = n.spawn([](actor& self, message& m) {
    if (auto* s = m.get_if<run_step>()) s->step(self);
  });
  if (trap) n.send(p, run_step{[](actor& self) { self.trap_exit(true); }});
  return p;
}

/// What observed processes tell the test.
struct note {
  std::string text;
};

}  // namespace bitactor::otp::test

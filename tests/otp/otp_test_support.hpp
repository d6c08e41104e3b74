#pragma once
// Small pieces shared by the OTP tests.

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

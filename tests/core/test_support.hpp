#pragma once
// Small pieces shared by the core tests.

#include <gtest/gtest.h>

#include <bitactor/core/inbox.hpp>
#include <bitactor/core/node.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "common/wait.hpp"

namespace bitactor::test {

using namespace std::chrono_literals;

/// A message asking a process to run a step on its own behalf (link, monitor, exit, ...).
struct run_step {
  std::function<void(actor&)> step;
};

/// A process that does whatever run_step messages tell it, and forwards every other message
/// to `observer` wrapped in `seen` so tests can watch its mailbox.
struct seen {
  pid by;
  std::string what;
};

class puppet : public actor {
 public:
  explicit puppet(pid observer = {}, bool trap = false) : observer_(observer), trap_(trap) {}
  void on_start() override { trap_exit(trap_); }
  void handle(message& m) override {
    if (auto* s = m.get_if<run_step>()) {
      s->step(*this);
    } else if (auto* e = m.get_if<exit_msg>()) {
      report("EXIT " + e->reason.to_string());
    } else if (auto* d = m.get_if<down_msg>()) {
      report("DOWN " + d->reason.to_string());
    } else if (auto* t = m.get_if<std::string>()) {
      report(*t);
    }
  }

 private:
  void report(std::string what) {
    if (observer_) send(observer_, seen{self(), std::move(what)});
  }
  pid observer_;
  bool trap_;
};

/// Asks a puppet to run f in its own turn.
inline void on(node& n, const pid& p, std::function<void(actor&)> f) {
  n.send(p, run_step{std::move(f)});
}

/// What sync_with() and sync_through() wait for.
struct synced {
  pid by;
};

/// Returns once the puppet `p` has handled what this thread sent it before the call: messages
/// and signals from one sender to one process keep their order. Under the deterministic policy
/// the node runs meanwhile. False when `p` did not answer within `limit` (dead, or stuck).
inline bool sync_with(node& n, inbox& box, const pid& p,
                      std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  on(n, p, [to = box.self()](actor& self) { self.send(to, synced{self.self()}); });
  return box.receive<synced>(limit).has_value();
}

/// Returns once the puppet `via` has handled what this thread sent it, and the puppet `p` has
/// handled what `via` sent it until then (the link or monitor signal of a step, say).
inline bool sync_through(node& n, inbox& box, const pid& via, const pid& p,
                         std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  on(n, via, [p, to = box.self()](actor& self) {
    self.send(p, run_step{[to](actor& last) { last.send(to, synced{last.self()}); }});
  });
  return box.receive<synced>(limit).has_value();
}

inline node_config deterministic(std::uint64_t seed = 1) {
  return node_config::deterministic(seed);
}

inline node_config threaded(std::size_t workers = 2) {
  node_config c;
  c.workers = workers;
  return c;
}

/// A node configuration for either scheduler policy, for suites whose every case runs under
/// both: `class suite : public policy_test {};` then INSTANTIATE_TEST_SUITE_P(policies, suite,
/// both_policies, policy_name).
inline node_config config_for(scheduling_policy p) {
  return p == scheduling_policy::deterministic ? deterministic() : threaded();
}
class policy_test : public ::testing::TestWithParam<scheduling_policy> {
 protected:
  static node_config config() { return config_for(GetParam()); }
  static bool deterministic_policy() { return GetParam() == scheduling_policy::deterministic; }
};
inline const auto both_policies =
    ::testing::Values(scheduling_policy::deterministic, scheduling_policy::work_stealing);
inline std::string policy_name(const ::testing::TestParamInfo<scheduling_policy>& info) {
  return info.param == scheduling_policy::deterministic ? "deterministic" : "work_stealing";
}

}  // namespace bitactor::test

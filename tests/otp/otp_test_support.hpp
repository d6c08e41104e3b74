#pragma once
// Small pieces shared by the OTP tests.

#include <gtest/gtest.h>

#include <bitactor/core/inbox.hpp>
#include <bitactor/core/node.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

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

/// A suite whose cases run under both policies: `class suite : public policy_test {};`, then
/// INSTANTIATE_TEST_SUITE_P(policies, suite, both_policies, policy_name); a case builds its
/// node from config().
class policy_test : public ::testing::TestWithParam<scheduling_policy> {
 protected:
  static node_config config() { return config_for(GetParam()); }
  static bool deterministic_policy() { return GetParam() == scheduling_policy::deterministic; }
};

/// Waits until pred() holds or `limit` passes, and returns pred(): for state the runtime
/// finishes updating just after an event the test can wait on (the node counts a process as
/// exited after its DOWN has gone out). Under the deterministic policy nothing runs the node
/// meanwhile, so it runs it until idle first.
template <class Pred>
bool holds_within(node& n, std::chrono::milliseconds limit, Pred pred) {
  if (n.config().policy == scheduling_policy::deterministic) {
    n.run_until_idle();
    return pred();
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::yield();
  }
  return true;
}

/// What flush() sends the inbox.
struct flush_marker {};

/// Returns once `box` has taken in every message sent to it before the call (its process
/// queues arrivals in its own turn, so one just sent may not be receivable yet); after it, a
/// receive with a zero timeout sees them all. False if the marker did not come back in time.
inline bool flush(node& n, inbox& box, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  n.send(box.self(), flush_marker{});
  return box.receive<flush_marker>(limit).has_value();
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

/// What the processes of a test did, in order, from any thread; shared with the test (held
/// by a shared_ptr) because the node may be gone when the test reads it.
struct shared_journal {
  std::mutex lock;
  std::vector<std::string> lines;
  void add(std::string s) {
    std::lock_guard guard(lock);
    lines.push_back(std::move(s));
  }
  std::vector<std::string> read() {
    std::lock_guard guard(lock);
    return lines;
  }
};

/// The one worker of each test application: tells the observer when it starts and stops.
class app_worker : public gen_server {
 public:
  app_worker(pid observer, std::string app) : observer_(observer), app_(std::move(app)) {}

 protected:
  void init() override {
    trap_exit(true);  // so terminate runs when its supervisor shuts it down
    send(observer_, note{"start " + app_});
  }
  void terminate(const exit_reason&) override { send(observer_, note{"stop " + app_}); }

 private:
  pid observer_;
  std::string app_;
};

/// A supervised child that traps exits and ignores the shutdown its supervisor sends.
struct stubborn_child : actor {
  void on_start() override { trap_exit(true); }
  void handle(message&) override {}
};

}  // namespace bitactor::otp::test

// Durable workflows: the five-step workflow (three parallel steps, then two sequential ones)
// completes with five results, each step's effect applied once, after its coordinator and a
// worker are killed mid-run. (The OS-process kill: crash_harness_test.cpp.)
#include "bitactor/persist/workflow.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <set>

#include "account.hpp"
#include "bitactor/otp/supervisor.hpp"
#include "bitactor/persist/memory_storage.hpp"

namespace bitactor::persist::testing {
namespace {

using namespace std::chrono_literals;

// What the steps did, and a gate that holds the first stage's steps until the test opens it.
struct step_log {
  std::mutex mutex;
  std::condition_variable changed;
  std::multiset<std::string> started;
  bool open = false;
  bool fail_d_once = true;

  void note_start(const std::string& step) {
    std::lock_guard lock(mutex);
    started.insert(step);
    changed.notify_all();
  }
  bool wait_started(std::size_t count, std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, limit, [&] { return started.size() >= count; });
  }
  bool wait_open(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, limit, [&] { return open; });
  }
  std::size_t runs(const std::string& step = {}) {
    std::lock_guard lock(mutex);
    return step.empty() ? started.size() : started.count(step);
  }
  void open_gate() {
    std::lock_guard lock(mutex);
    open = true;
    changed.notify_all();
  }
};

// Each step deposits its own amount into the ledger account with its step key, so the
// ledger's journal shows how often each effect happened.
workflow_spec five_steps(node& n, step_log& log) {
  auto deposit_step = [&n, &log](std::int64_t amount, bool gated) {
    return [&n, &log, amount, gated](const step_context& ctx) {
      log.note_start(ctx.step);
      if (gated && !log.wait_open(10s)) throw std::runtime_error("gate never opened");
      keyed<deposit> d{ctx.key(), {amount}};
      std::int64_t balance = otp::call(n, "ledger", std::move(d), 5s);
      if (ctx.step == "d") {
        std::lock_guard lock(log.mutex);
        // The worker dies after its effect and before it reports: the step runs again.
        if (std::exchange(log.fail_d_once, false)) throw std::runtime_error("worker died");
      }
      return ctx.step + ":" + std::to_string(balance);
    };
  };
  return {.id = "five",
          .stages = {{{"a", deposit_step(1, true)},
                      {"b", deposit_step(2, true)},
                      {"c", deposit_step(4, true)}},
                     {{"d", deposit_step(8, false)}},
                     {{"e", deposit_step(16, false)}}}};
}

TEST(workflow, five_steps_complete_once_each_after_the_coordinator_and_a_worker_are_killed) {
  node_config cfg;
  cfg.workers = 2;
  cfg.blocking_threads = 6;
  node n(cfg);
  memory_storage memory;
  persistence p(memory);
  step_log log;
  persistent_options ledger;
  ledger.persistence_id = "ledger";
  ASSERT_TRUE(otp::start<account>(n, {.name = "ledger"}, std::ref(p), ledger).ok());

  otp::supervisor_spec spec{
      .flags = {.strategy = otp::restart_strategy::one_for_one, .intensity = 5, .period = 5s},
      .children = {otp::child_spec::worker<workflow>("wf", std::ref(p), five_steps(n, log))
                       .registered_as("wf")}};
  ASSERT_TRUE(otp::start_supervisor(n, spec).ok());

  // The first stage is running (its three steps wait at the gate): kill the coordinator.
  ASSERT_TRUE(log.wait_started(3, 5s));
  pid first = *n.whereis("wf");
  n.exit(first, exit_reason::kill());
  // Its restart runs the first stage's steps again (none had completed).
  ASSERT_TRUE(log.wait_started(6, 5s));
  log.open_gate();

  std::map<std::string, std::string> results;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    try {
      results = otp::call(n, "wf", await_workflow{}, 5s);
      break;
    } catch (const otp::call_error&) {
      // The first coordinator's orphaned workers may still be finishing; the name moves to
      // the restarted one.
      ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    }
  }
  ASSERT_EQ(results.size(), 5u);
  for (const char* step : {"a", "b", "c", "d", "e"}) EXPECT_TRUE(results.contains(step)) << step;
  EXPECT_EQ(results["e"], "e:31");  // every effect once: 1 + 2 + 4 + 8 + 16
  EXPECT_EQ(otp::call(n, "ledger", balance{}, 5s), 31);
  EXPECT_EQ(memory.highest_sequence("ledger"), 5u);
  EXPECT_EQ(log.runs("d"), 2u);  // run again after its worker died

  // The journal holds the results: a new coordinator answers at once, running nothing.
  n.exit(*n.whereis("wf"), exit_reason::kill());
  std::size_t runs = log.runs();
  std::map<std::string, std::string> again;
  for (;;) {
    try {
      again = otp::call(n, "wf", await_workflow{}, 5s);
      break;
    } catch (const otp::call_error&) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    }
  }
  EXPECT_EQ(again, results);
  EXPECT_EQ(log.runs(), runs);
  n.stop();
}

}  // namespace
}  // namespace bitactor::persist::testing

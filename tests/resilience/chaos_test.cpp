// The chaos monkey: seeded faults on a supervision tree or a set of processes, on the
// deterministic scheduler's virtual time; the tree heals after each.
#include <gtest/gtest.h>

#include <bitactor/core/node.hpp>
#include <bitactor/core/system_messages.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <bitactor/resilience/chaos.hpp>
#include <bitactor/resilience/events.hpp>
#include <bitactor/term/print.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "resident_memory.hpp"

namespace otp = bitactor::otp;
namespace resilience = bitactor::resilience;
using namespace std::chrono_literals;
using bitactor::message;
using bitactor::node;
using bitactor::node_config;
using bitactor::pid;
using bitactor::test::freed_memory_leaves_the_process;
using bitactor::test::resident_bytes;
using resilience::chaos_config;
using resilience::chaos_monkey;
using resilience::fault_kind;

namespace {

class idle_worker : public otp::gen_server {};

// Counts the flood's messages it gets.
class flood_counter : public bitactor::actor {
 public:
  explicit flood_counter(std::shared_ptr<std::size_t> seen) : seen_(std::move(seen)) {}
  void handle(message& m) override {
    if (m.is<resilience::chaos_flood>()) ++*seen_;
  }

 private:
  std::shared_ptr<std::size_t> seen_;
};

otp::child_spec worker(const std::string& name) {
  return otp::child_spec::worker<idle_worker>(name).registered_as(name);
}

otp::supervisor_spec tree_of(std::vector<otp::child_spec> children) {
  return {
      .flags = {.strategy = otp::restart_strategy::one_for_one, .intensity = 100000, .period = 1s},
      .children = std::move(children)};
}

struct chaos_on_a_tree : ::testing::Test {
  chaos_on_a_tree() { otp::set_default_sink_level(otp::report_level::none); }
  ~chaos_on_a_tree() override { otp::set_default_sink_level(otp::report_level::info); }

  pid start_tree(std::vector<otp::child_spec> children) {
    auto r = otp::start_supervisor(n, tree_of(std::move(children)), "root");
    EXPECT_TRUE(r.ok());
    return r.process;
  }
  // Runs virtual time forward until the monkey is done (bounded).
  void run_to_the_end(chaos_monkey& m) {
    for (int i = 0; i < 10000 && !m.finished(); ++i) {
      n.advance_time(10ms);
      n.run_until_idle();
    }
    ASSERT_TRUE(m.finished());
  }
  std::vector<std::string> names_struck(const resilience::chaos_report& r) {
    std::vector<std::string> names;
    for (const auto& f : r.faults) names.push_back(f.target_name.value_or("?"));
    return names;
  }

  node n{node_config::deterministic(11)};
};

TEST_F(chaos_on_a_tree, kills_at_its_rate_for_its_duration_and_the_tree_heals_after_each) {
  const pid root = start_tree({worker("a"), worker("b"), worker("c")});
  std::vector<pid> before = {*n.whereis("a"), *n.whereis("b"), *n.whereis("c")};
  chaos_monkey monkey(n, {.seed = 5, .interval = 10ms, .duration = 200ms, .supervisors = {root}});
  run_to_the_end(monkey);
  const auto report = monkey.report();
  EXPECT_EQ(report.seed, 5u);
  // One fault per 10 ms for 200 ms: the ticks at 10..190 ms strike, the one at 200 ms ends it.
  EXPECT_EQ(report.faults.size(), 19u);
  EXPECT_EQ(report.count(fault_kind::kill), report.faults.size());
  for (const auto& f : report.faults) {
    ASSERT_TRUE(f.target_name.has_value());
    EXPECT_TRUE(*f.target_name == "a" || *f.target_name == "b" || *f.target_name == "c");
    EXPECT_NE(f.target, root);  // the root is never struck
  }
  ASSERT_TRUE(report.finished_at.has_value());
  EXPECT_EQ(*report.finished_at - report.started_at, 200ms);
  // Every child is back, and those struck have new pids.
  auto children = otp::which_children(n, root);
  ASSERT_TRUE(children);
  ASSERT_EQ(children->size(), 3u);
  for (const auto& c : *children) EXPECT_EQ(c.status, otp::child_status::running);
  for (const std::string name : {"a", "b", "c"}) {
    bool struck = false;
    for (const auto& f : report.faults) struck = struck || f.target_name == name;
    const auto idx = static_cast<std::size_t>(name[0] - 'a');
    EXPECT_EQ(*n.whereis(name) != before[idx], struck) << name;
  }
  EXPECT_FALSE(n.is_alive(monkey.process()));
}

TEST_F(chaos_on_a_tree, the_same_seed_over_the_same_tree_strikes_the_same_processes_in_order) {
  auto run_once = [](std::uint64_t seed) {
    node fresh{node_config::deterministic(11)};
    auto r = otp::start_supervisor(fresh, tree_of({worker("a"), worker("b"), worker("c")}));
    EXPECT_TRUE(r.ok());
    chaos_monkey monkey(
        fresh, {.seed = seed, .interval = 5ms, .duration = 100ms, .supervisors = {r.process}});
    for (int i = 0; i < 1000 && !monkey.finished(); ++i) {
      fresh.advance_time(5ms);
      fresh.run_until_idle();
    }
    std::vector<std::string> names;
    for (const auto& f : monkey.report().faults) names.push_back(f.target_name.value_or("?"));
    return names;
  };
  const auto first = run_once(99);
  EXPECT_EQ(first.size(), 19u);
  EXPECT_EQ(run_once(99), first);
  EXPECT_NE(run_once(100), first);  // 3^19 sequences: another seed differs
}

TEST_F(chaos_on_a_tree, strikes_the_supervisors_below_the_roots_only_when_asked) {
  otp::supervisor_spec inner = tree_of({worker("w1"), worker("w2")});
  const pid root = start_tree({otp::child_spec::supervisor("inner", inner).registered_as("inner")});
  chaos_monkey spare_them(n,
                          {.seed = 3, .interval = 10ms, .duration = 300ms, .supervisors = {root}});
  run_to_the_end(spare_them);
  for (const auto& name : names_struck(spare_them.report())) EXPECT_NE(name, "inner");

  chaos_monkey strike_them(n, {.seed = 3,
                               .interval = 10ms,
                               .duration = 300ms,
                               .supervisors = {root},
                               .strike_supervisors = true});
  run_to_the_end(strike_them);
  const auto struck = names_struck(strike_them.report());
  EXPECT_NE(std::find(struck.begin(), struck.end(), "inner"), struck.end());
  // The inner tree came back with its workers.
  EXPECT_TRUE(n.whereis("inner").has_value());
  EXPECT_TRUE(n.whereis("w1").has_value());
  EXPECT_TRUE(n.whereis("w2").has_value());
}

TEST_F(chaos_on_a_tree, an_exit_fault_ends_the_target_with_the_chosen_reason) {
  otp::report_capture seen;
  const pid root = start_tree({worker("a")});
  chaos_monkey monkey(n, {.seed = 1,
                          .interval = 10ms,
                          .duration = 15ms,
                          .supervisors = {root},
                          .mix = {.kill = 0, .exit = 1},
                          .exit_with = bitactor::exit_reason::error("{chaos,injected}")});
  run_to_the_end(monkey);
  ASSERT_EQ(monkey.report().count(fault_kind::exit), 1u);
  bool terminated_with_it = false;
  for (const otp::report& r : seen.of_kind(otp::report::kind::supervisor)) {
    const auto* reason = r.find("reason");
    if (reason != nullptr && bitactor::term::to_string(*reason) == "{chaos,injected}")
      terminated_with_it = true;
  }
  EXPECT_TRUE(terminated_with_it);
}

TEST_F(chaos_on_a_tree, a_flood_sends_its_messages_to_one_listed_process) {
  auto seen = std::make_shared<std::size_t>(0);
  const pid target = n.spawn<flood_counter>(seen);
  chaos_monkey monkey(n, {.seed = 1,
                          .interval = 10ms,
                          .duration = 25ms,
                          .processes = {target},
                          .mix = {.kill = 0, .flood = 1},
                          .flood_messages = 500});
  run_to_the_end(monkey);
  EXPECT_EQ(monkey.report().count(fault_kind::flood), 2u);
  EXPECT_EQ(*seen, 1000u);
  EXPECT_TRUE(n.is_alive(target));
}

TEST_F(chaos_on_a_tree, spared_processes_are_never_struck) {
  const pid root = start_tree({worker("a"), worker("b")});
  const pid spared = *n.whereis("a");
  chaos_monkey monkey(
      n,
      {.seed = 8, .interval = 10ms, .duration = 200ms, .supervisors = {root}, .spared = {spared}});
  run_to_the_end(monkey);
  EXPECT_GT(monkey.report().faults.size(), 0u);
  for (const auto& name : names_struck(monkey.report())) EXPECT_EQ(name, "b");
  EXPECT_EQ(*n.whereis("a"), spared);
}

TEST_F(chaos_on_a_tree, stop_ends_it_at_once_and_it_counts_ticks_with_nothing_to_strike) {
  const pid lone = n.spawn<idle_worker>();
  chaos_monkey monkey(n, {.seed = 2, .interval = 10ms, .duration = 10s, .processes = {lone}});
  n.advance_time(10ms);
  n.run_until_idle();
  ASSERT_EQ(monkey.report().faults.size(), 1u);  // the lone process is killed, not restarted
  EXPECT_FALSE(n.is_alive(lone));
  n.advance_time(30ms);
  n.run_until_idle();
  EXPECT_EQ(monkey.report().idle_ticks, 3u);
  monkey.stop();
  EXPECT_TRUE(monkey.finished());
  n.advance_time(1s);
  n.run_until_idle();
  EXPECT_EQ(monkey.report().faults.size(), 1u);
  EXPECT_FALSE(n.is_alive(monkey.process()));
}

TEST_F(chaos_on_a_tree, each_fault_is_an_event) {
  const pid root = start_tree({worker("a")});
  std::vector<std::string> kinds;
  auto id = resilience::attach({"bitactor", "chaos"}, [&](const resilience::event& e) {
    kinds.push_back(*e.meta("kind"));
    EXPECT_EQ(*e.meta("name"), "a");
  });
  chaos_monkey monkey(n, {.seed = 4, .interval = 10ms, .duration = 35ms, .supervisors = {root}});
  run_to_the_end(monkey);
  resilience::detach(id);
  EXPECT_EQ(kinds, (std::vector<std::string>{"kill", "kill", "kill"}));
}

TEST_F(chaos_on_a_tree, a_bad_configuration_is_refused) {
  EXPECT_THROW(chaos_monkey(n, {.interval = 0ms, .processes = {n.spawn<idle_worker>()}}),
               std::invalid_argument);
  EXPECT_THROW(chaos_monkey(n, {.processes = {n.spawn<idle_worker>()}, .mix = {.kill = 0}}),
               std::invalid_argument);
  EXPECT_THROW(chaos_monkey(n, {}), std::invalid_argument);  // nothing to strike
}

// Hogs need real time: they take a worker (the spin) or memory (the allocation) from the
// node, whatever the policy.
TEST_F(chaos_on_a_tree, a_memory_hog_holds_its_memory_for_its_time_then_gives_it_back) {
  const std::size_t before = resident_bytes();
  chaos_monkey monkey(n, {.seed = 1,
                          .interval = 10ms,
                          .duration = 15ms,
                          .mix = {.kill = 0, .memory_hog = 1},
                          .hog_for = 1s,
                          .memory_hog_bytes = 64u << 20});
  n.advance_time(10ms);
  n.run_until_idle();
  ASSERT_EQ(monkey.report().count(fault_kind::memory_hog), 1u);
  const pid hog = monkey.report().faults[0].target;
  EXPECT_TRUE(n.is_alive(hog));
  EXPECT_GE(resident_bytes(), before + (60u << 20));
  n.advance_time(1s);
  n.run_until_idle();
  EXPECT_FALSE(n.is_alive(hog));
  if (freed_memory_leaves_the_process) {
    EXPECT_LT(resident_bytes(), before + (32u << 20));
  }
}

struct long_handlers : bitactor::actor {
  explicit long_handlers(std::shared_ptr<std::vector<bitactor::long_handler>> seen)
      : seen_(std::move(seen)) {}
  void handle(message& m) override {
    if (auto* l = m.get_if<bitactor::long_handler>()) seen_->push_back(*l);
  }
  std::shared_ptr<std::vector<bitactor::long_handler>> seen_;
};

TEST_F(chaos_on_a_tree, a_cpu_hog_runs_one_handler_for_its_time) {
  auto seen = std::make_shared<std::vector<bitactor::long_handler>>();
  n.monitor_long_handlers(n.spawn<long_handlers>(seen), 20ms);
  chaos_monkey monkey(n, {.seed = 1,
                          .interval = 10ms,
                          .duration = 15ms,
                          .mix = {.kill = 0, .cpu_hog = 1},
                          .hog_for = 50ms});
  n.advance_time(10ms);
  n.run_until_idle();
  ASSERT_EQ(monkey.report().count(fault_kind::cpu_hog), 1u);
  const pid hog = monkey.report().faults[0].target;
  EXPECT_FALSE(n.is_alive(hog));  // it spun once and ended
  bool named = false;
  for (const auto& l : *seen) {
    if (l.process == hog && l.finished) {
      named = true;
      EXPECT_GE(l.running_for, 50ms);
    }
  }
  EXPECT_TRUE(named);
}

}  // namespace

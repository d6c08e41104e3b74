// A soak under chaos on the production scheduler: a tree of gen_servers doing acknowledged work
// while the monkey kills workers and supervisors, sends exits and floods, and hogs a worker and
// memory. Afterwards every acknowledged piece of work is accounted for, the tree is back to full
// strength within a bound, and the process count and memory are back to their baseline.
//
// It runs for BITACTOR_SOAK_SECONDS (2 by default, what CI runs; scripts/soak runs it longer)
// and prints the recovery times: from a worker's kill to its replacement answering a call.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bitactor/core/node.hpp>
#include <bitactor/otp/call.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <bitactor/resilience/chaos.hpp>
#include <bitactor/resilience/events.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "resident_memory.hpp"

namespace otp = bitactor::otp;
namespace resilience = bitactor::resilience;
using namespace std::chrono_literals;
using bitactor::node;
using bitactor::node_config;
using bitactor::pid;
using bitactor::test::freed_memory_leaves_the_process;
using bitactor::test::resident_bytes;
using steady = std::chrono::steady_clock;

namespace {

constexpr int inner_trees = 2;
constexpr int workers_per_tree = 4;

// A set of work ids as bits, allocated (and touched) up front so that the memory check below
// measures the node, not the test's own bookkeeping. 2^28 ids: about 30 minutes of work.
class id_set {
 public:
  static constexpr std::uint64_t capacity = std::uint64_t{1} << 28;
  id_set() : words_(capacity / 64) {}
  void insert(std::uint64_t id) {
    words_[id / 64].fetch_or(std::uint64_t{1} << (id % 64), std::memory_order_relaxed);
  }
  bool contains(std::uint64_t id) const {
    return (words_[id / 64].load(std::memory_order_relaxed) >> (id % 64)) & 1;
  }

 private:
  std::vector<std::atomic<std::uint64_t>> words_;
};

// What the workers did: shared by every incarnation of every worker, as a database would be.
struct ledger {
  id_set done;
};

struct work {
  std::uint64_t id = 0;
  using reply = pid;  // the worker that did it
};

class worker : public otp::gen_server {
 public:
  explicit worker(ledger* l) : ledger_(l) {}

 protected:
  void handle_call(otp::call_context& c) override {
    c.match([&](work& w) {
      ledger_->done.insert(w.id);  // recorded before it is acknowledged
      c.reply(self());
    });
  }

 private:
  ledger* ledger_;
};

std::string worker_name(int tree, int i) {
  return "worker_" + std::to_string(tree) + "_" + std::to_string(i);
}

otp::supervisor_flags forgiving() {
  return {.strategy = otp::restart_strategy::one_for_one, .intensity = 1'000'000, .period = 1s};
}

otp::supervisor_spec tree(ledger* l) {
  otp::supervisor_spec root{.flags = forgiving(), .children = {}};
  for (int t = 0; t < inner_trees; ++t) {
    otp::supervisor_spec inner{.flags = forgiving(), .children = {}};
    for (int i = 0; i < workers_per_tree; ++i) {
      inner.children.push_back(
          otp::child_spec::worker<worker>(worker_name(t, i), l).registered_as(worker_name(t, i)));
    }
    const std::string name = "tree_" + std::to_string(t);
    root.children.push_back(otp::child_spec::supervisor(name, inner).registered_as(name));
  }
  return root;
}

int soak_seconds() {
  const char* s = std::getenv("BITACTOR_SOAK_SECONDS");
  return s != nullptr ? std::max(1, std::atoi(s)) : 2;
}

// A kill of a worker and when its replacement first answered.
struct outage {
  std::string name;
  std::string killed;  // the killed pid, as text
  steady::time_point at;
  std::optional<steady::time_point> recovered;
};

class outages {
 public:
  void struck(const std::string& name, const std::string& killed) {
    std::lock_guard guard(lock_);
    open_[name].push_back({name, killed, steady::now(), std::nullopt});
  }
  // A worker answered: every open outage of that name whose pid it is not is over.
  void answered(const std::string& name, const pid& by) {
    const std::string who = by.to_string();
    const auto now = steady::now();
    std::lock_guard guard(lock_);
    auto it = open_.find(name);
    if (it == open_.end()) return;
    auto& list = it->second;
    for (auto o = list.begin(); o != list.end();) {
      if (o->killed != who && o->at < now) {
        o->recovered = now;
        closed_.push_back(*o);
        o = list.erase(o);
      } else {
        ++o;
      }
    }
  }
  std::vector<double> recovery_us() const {
    std::lock_guard guard(lock_);
    std::vector<double> us;
    for (const auto& o : closed_) {
      us.push_back(std::chrono::duration<double, std::micro>(*o.recovered - o.at).count());
    }
    std::sort(us.begin(), us.end());
    return us;
  }
  std::size_t still_open() const {
    std::lock_guard guard(lock_);
    std::size_t n = 0;
    for (const auto& [name, list] : open_) n += list.size();
    return n;
  }

 private:
  mutable std::mutex lock_;
  std::map<std::string, std::vector<outage>> open_;
  std::vector<outage> closed_;
};

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[i];
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds bound) {
  const auto until = steady::now() + bound;
  while (steady::now() < until) {
    if (pred()) return true;
    std::this_thread::yield();
  }
  return pred();
}

TEST(chaos_soak, acknowledged_work_survives_and_the_tree_heals_to_its_baseline) {
  otp::set_default_sink_level(otp::report_level::none);  // thousands of expected crashes
  node n{node_config{}};
  ledger done;
  id_set acked;
  std::atomic<std::uint64_t> acked_count{0};
  auto root = otp::start_supervisor(n, tree(&done), "root");
  ASSERT_TRUE(root.ok());
  // The tree's own processes and nothing else (the start's reply mailbox may linger a moment).
  const std::size_t baseline_processes = 1 + inner_trees * (1 + workers_per_tree);
  auto at_baseline = [&] { return n.processes().size() == baseline_processes; };
  ASSERT_TRUE(eventually(at_baseline, 5s));
  const std::size_t baseline_rss = resident_bytes();

  outages seen;
  auto listening = resilience::attach({"bitactor", "chaos", "fault"}, [&](const auto& e) {
    const std::string name = *e.meta("name");
    if (*e.meta("kind") == std::string("kill") && name.rfind("worker_", 0) == 0) {
      seen.struck(name, *e.meta("target"));
    }
  });

  std::atomic<bool> working{true};
  std::atomic<std::uint64_t> next_id{1};
  std::atomic<std::uint64_t> refused{0};
  auto client = [&](int seed) {
    int k = seed;
    while (working.load()) {
      const std::string name = worker_name(k % inner_trees, (k / inner_trees) % workers_per_tree);
      ++k;
      const std::uint64_t id = next_id.fetch_add(1);
      if (id >= id_set::capacity / 2) break;  // the rest is left to the full-strength check
      try {
        const pid by = otp::call(n, name, work{id}, 1s);
        acked.insert(id);
        ++acked_count;
        seen.answered(name, by);
      } catch (const otp::call_error&) {
        ++refused;  // not acknowledged: the caller knows it was not done
      }
    }
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < 2; ++c) clients.emplace_back(client, c * 3);

  const auto chaos_for = std::chrono::seconds(soak_seconds());
  resilience::chaos_monkey monkey(
      n, {.seed = 20261203,
          .interval = 10ms,
          .duration = chaos_for,
          .supervisors = {root.process},
          .strike_supervisors = true,
          .mix = {.kill = 8, .exit = 2, .flood = 2, .cpu_hog = 1, .memory_hog = 1},
          .exit_with = bitactor::exit_reason::error("chaos"),
          .flood_messages = 200,
          .hog_for = 20ms,
          .memory_hog_bytes = 8u << 20});
  ASSERT_TRUE(monkey.wait_until_finished(chaos_for + 30s));
  const auto chaos_ended = steady::now();

  // Back to full strength: every worker answers, every supervisor has all its children.
  auto full_strength = [&] {
    for (int t = 0; t < inner_trees; ++t) {
      auto inner = n.whereis("tree_" + std::to_string(t));
      if (!inner) return false;
      auto counts = otp::count_children(n, *inner, 1s);
      if (!counts || counts->active != workers_per_tree) return false;
      for (int i = 0; i < workers_per_tree; ++i) {
        try {
          otp::call(n, worker_name(t, i), work{next_id.fetch_add(1)}, 1s);
        } catch (const otp::call_error&) {
          return false;
        }
      }
    }
    auto counts = otp::count_children(n, root.process, 1s);
    return counts && counts->active == inner_trees;
  };
  EXPECT_TRUE(eventually(full_strength, 5s));
  const auto healed_after = steady::now() - chaos_ended;
  working = false;
  for (auto& t : clients) t.join();
  resilience::detach(listening);

  // Every acknowledged piece of work was done.
  std::size_t missing = 0;
  const std::uint64_t issued = std::min(next_id.load(), id_set::capacity);
  for (std::uint64_t id = 1; id < issued; ++id) {
    if (acked.contains(id) && !done.done.contains(id)) ++missing;
  }
  EXPECT_EQ(missing, 0u);

  // No leak: the hogs and the monkey are gone, the tree has its own processes again, and the
  // memory the hogs and floods took is given back (allocator caches aside).
  EXPECT_TRUE(eventually(at_baseline, 5s))
      << n.processes().size() << " processes against " << baseline_processes;
  if (freed_memory_leaves_the_process) {
    EXPECT_LT(resident_bytes(), baseline_rss + (48u << 20));
  }

  const auto report = monkey.report();
  const auto us = seen.recovery_us();
  std::printf(
      "chaos soak: %d s, %zu faults (%zu kills, %zu exits, %zu floods, %zu cpu hogs, %zu memory "
      "hogs), %zu acknowledged, %llu refused; worker recovery (kill to the replacement "
      "answering) p50 %.0f us, p99 %.0f us over %zu kills; healed %.1f ms after chaos\n",
      soak_seconds(), report.faults.size(), report.count(resilience::fault_kind::kill),
      report.count(resilience::fault_kind::exit), report.count(resilience::fault_kind::flood),
      report.count(resilience::fault_kind::cpu_hog),
      report.count(resilience::fault_kind::memory_hog),
      static_cast<std::size_t>(acked_count.load()), static_cast<unsigned long long>(refused.load()),
      percentile(us, 0.5), percentile(us, 0.99), us.size(),
      std::chrono::duration<double, std::milli>(healed_after).count());
  EXPECT_GT(report.count(resilience::fault_kind::kill), 0u);
  EXPECT_GT(acked_count.load(), 0u);
  EXPECT_GT(us.size(), 0u);
  otp::set_default_sink_level(otp::report_level::info);
}

}  // namespace

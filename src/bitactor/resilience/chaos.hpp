#pragma once
// Chaos: faults injected on purpose into a running node, to prove that its supervision trees
// heal. Point it at supervision trees (it strikes the processes under them, found afresh
// before each fault with which_children) or at a list of processes; it injects one fault per
// interval, chosen by a seeded generator, until its duration has passed or it is stopped,
// and keeps a report of every fault it injected.
//
//   resilience::chaos_monkey monkey(node, {.seed = 42,
//                                          .interval = 20ms,
//                                          .duration = 5s,
//                                          .supervisors = {root},
//                                          .strike_supervisors = true});
//   monkey.wait_until_finished(10s);
//   for (const auto& f : monkey.report().faults) std::cout << to_string(f) << '\n';
//
// Faults (chaos_config::mix gives each a weight; 0 disables it):
//   kill        exit(Target, kill): untrappable, as a crash of the process would be
//   exit        exit(Target, exit_reason): the process dies unless it traps exits (then it
//               gets the signal as a message, as in OTP)
//   flood       flood_messages messages of type chaos_flood sent to the target at once
//   cpu_hog     a process whose one handler spins for hog_for: a scheduler worker is taken
//               away for that long, as by a runaway handler
//   memory_hog  a process that allocates memory_hog_bytes (and touches every page), holds
//               them for hog_for, then ends
// With strike_supervisors, the supervisors below the given roots are candidates too (their
// whole subtree dies and restarts with them); the roots themselves never are.
//
// The same seed over the same tree gives the same sequence of choices: under the
// deterministic policy the same faults, in the same order, at the same virtual times.
// The monkey runs as a process on the node and keeps time with node::now() and the node's
// timers, so it needs no thread of its own and runs on virtual time in tests.
//
// Event (events.hpp): {bitactor, chaos, fault} per fault, with metadata kind, target (the
// pid as text) and name (the registered name, or empty) and measurement at_ms.
//
// report(), finished() and wait_until_finished() are thread-safe. The monkey must not
// outlive its node; its destructor stops it (hogs already started run to their end).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bitactor/core/exit_reason.hpp"
#include "bitactor/core/node.hpp"
#include "bitactor/core/pid.hpp"

namespace bitactor::resilience {

enum class fault_kind { kill, exit, flood, cpu_hog, memory_hog };
const char* to_string(fault_kind k) noexcept;

/// The weight of each fault kind: a fault is of kind k with probability weight(k) / total.
struct fault_mix {
  unsigned kill = 1;
  unsigned exit = 0;
  unsigned flood = 0;
  unsigned cpu_hog = 0;
  unsigned memory_hog = 0;
};

struct chaos_config {
  /// The generator's seed; 0: one drawn from std::random_device (report().seed says which).
  std::uint64_t seed = 0;
  /// One fault per interval (a rate: 20 ms is 50 faults a second).
  std::chrono::milliseconds interval = std::chrono::milliseconds(100);
  /// The monkey stops by itself this long after it started.
  std::chrono::milliseconds duration = std::chrono::seconds(10);
  /// And after this many faults.
  std::size_t max_faults = 1'000'000;
  /// Roots of the supervision trees to strike under (not the roots themselves).
  std::vector<pid> supervisors{};
  /// Processes to strike besides.
  std::vector<pid> processes{};
  /// Whether supervisors below the roots are struck too (their subtrees with them).
  bool strike_supervisors = false;
  /// Processes never struck.
  std::vector<pid> spared{};
  fault_mix mix{};
  /// The reason of an `exit` fault.
  exit_reason exit_with = exit_reason::error(term::atom("chaos"));
  std::size_t flood_messages = 1000;
  /// How long a cpu_hog spins and a memory_hog holds its memory.
  std::chrono::milliseconds hog_for = std::chrono::milliseconds(50);
  std::size_t memory_hog_bytes = 16u << 20;
};

/// A message of a flood: its sequence number within the flood.
struct chaos_flood {
  std::size_t sequence = 0;
};

/// One injected fault.
struct chaos_fault {
  fault_kind kind = fault_kind::kill;
  std::chrono::milliseconds at{};            // node::now() when injected
  pid target{};                              // the struck process; for a hog, the hog's own process
  std::optional<std::string> target_name{};  // its registered name when struck
};
/// "12 ms kill <0.42.0> (worker_3)".
std::string to_string(const chaos_fault& f);

struct chaos_report {
  std::uint64_t seed = 0;
  std::chrono::milliseconds started_at{};
  std::optional<std::chrono::milliseconds> finished_at{};
  std::vector<chaos_fault> faults{};
  /// Ticks at which no candidate was alive (the whole target set was down at that moment).
  std::size_t idle_ticks = 0;
  std::size_t count(fault_kind k) const noexcept;
};

namespace detail {
struct chaos_state;
}

class chaos_monkey {
 public:
  /// Starts the monkey's process on `n`. Throws std::invalid_argument for an interval that
  /// is not positive, a mix whose weights are all 0, or no targets at all.
  chaos_monkey(node& n, chaos_config config);
  ~chaos_monkey();
  chaos_monkey(const chaos_monkey&) = delete;
  chaos_monkey& operator=(const chaos_monkey&) = delete;

  /// Stops injecting (at once: no fault starts after this returns).
  void stop();
  /// Whether it stopped (by duration, max_faults or stop()).
  bool finished() const;
  /// Waits on a plain thread until it finished, at most `timeout`; under the deterministic
  /// policy drive the node (advance_time) and poll finished() instead.
  bool wait_until_finished(std::chrono::milliseconds timeout) const;
  /// What it did so far.
  chaos_report report() const;

  pid process() const noexcept { return process_; }

 private:
  node& node_;
  std::shared_ptr<detail::chaos_state> state_;
  pid process_;
};

}  // namespace bitactor::resilience

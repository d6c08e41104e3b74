#pragma once
// How a node is set up. Checked by the node constructor, which throws config_error with a
// message naming the bad field.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

namespace bitactor {

enum class scheduling_policy {
  work_stealing,  // production: worker threads, stealing, parking
  deterministic,  // tests: the calling thread runs everything, seeded order, virtual time
};

struct node_config {
  /// Erlang node name `alive@host` (erl -name/-sname): a non-empty alive part of letters,
  /// digits, `_` and `-`, one `@`, a non-empty host of printable characters other than `@`;
  /// at most 255 bytes. "nonode@nohost" for a node that is not distributed.
  std::string name = "nonode@nohost";
  /// Incarnation number carried by pids and refs (Erlang's creation).
  std::uint32_t creation = 0;
  /// Scheduler worker threads; defaults to the hardware threads. Must be >= 1.
  std::size_t workers = default_workers();
  /// Threads for processes spawned as blocking (spawn_blocking). Must be >= 1 under the
  /// work-stealing policy (with none, such processes would never run and stop() would hang);
  /// the deterministic policy runs them on its one thread and ignores this.
  std::size_t blocking_threads = 2;
  /// Most processes alive at once; spawn beyond it throws system_limit.
  std::size_t max_processes = std::size_t{1} << 22;
  /// Messages a process may handle in one turn before others get the worker (fairness).
  std::size_t batch = 64;
  scheduling_policy policy = scheduling_policy::work_stealing;
  /// Seed of the deterministic policy's choice of the next process to run.
  std::uint64_t seed = 0;
  /// How long stop() waits for the orderly part of a stop (supervision trees shutting down
  /// their children, behaviours running terminate) before it ends what is left by force and
  /// reports it. Virtual time under the deterministic policy. Must be positive.
  std::chrono::milliseconds stop_timeout = std::chrono::seconds(10);

  /// A configuration for the deterministic policy with the given seed.
  static node_config deterministic(std::uint64_t seed) {
    node_config c;
    c.policy = scheduling_policy::deterministic;
    c.seed = seed;
    c.workers = 1;
    return c;
  }

  static std::size_t default_workers() {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
  }

  /// Throws config_error if any field is out of range.
  void validate() const;

  static constexpr std::size_t max_workers = 1024;
  static constexpr std::size_t max_process_limit = std::size_t{1} << 27;  // as Erlang's +P
};

}  // namespace bitactor

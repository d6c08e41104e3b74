#pragma once
// The seam between the runtime and how turns are executed. Two policies implement it:
// work_stealing_scheduler (production: N worker threads, per-worker queues, stealing, parking,
// and a pool for blocking work) and deterministic_scheduler (tests: one thread, a seeded choice
// of the next process, virtual time), so a test can replay an interleaving by its seed.

#include <cstddef>
#include <cstdint>

namespace bitactor::detail {

class process;

/// What a scheduler calls back into: run one turn of a process.
class turn_runner {
 public:
  virtual void run_turn(process* p) = 0;

 protected:
  ~turn_runner() = default;
};

class scheduler {
 public:
  virtual ~scheduler() = default;
  /// Starts executing turns (threads start here). Called once, by the node.
  virtual void start(turn_runner& runner) = 0;
  /// Stops executing turns and joins threads. Called once, by the node, after every process
  /// has exited.
  virtual void stop() = 0;
  /// Makes p runnable. Any thread. The caller has just claimed p's turn (so p is queued once).
  virtual void schedule(process* p) = 0;
  /// Like schedule, from a turn that used up its batch: p goes behind other runnable work.
  virtual void yield(process* p) = 0;
  virtual std::size_t worker_count() const noexcept = 0;
  /// True on a thread that executes turns for this scheduler.
  virtual bool on_worker_thread() const noexcept = 0;
};

}  // namespace bitactor::detail

#pragma once
// Small pieces shared by the core tests.

#include <bitactor/core/inbox.hpp>
#include <bitactor/core/node.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

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

/// Waits until pred() holds or `limit` passes, and returns pred(). For state the runtime
/// finishes updating just after the event a test waited for (a process's destructor runs
/// before the node's counters count it as exited).
template <class Pred>
bool holds_within(std::chrono::milliseconds limit, Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::yield();
  }
  return true;
}

/// Asks a puppet to run f in its own turn.
inline void on(node& n, const pid& p, std::function<void(actor&)> f) {
  n.send(p, run_step{std::move(f)});
}

inline node_config deterministic(std::uint64_t seed = 1) {
  return node_config::deterministic(seed);
}

inline node_config threaded(std::size_t workers = 2) {
  node_config c;
  c.workers = workers;
  return c;
}

}  // namespace bitactor::test

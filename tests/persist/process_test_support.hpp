#pragma once
// What the persistent-process tests share: a node on the production scheduler, and a kill
// that returns once the process is gone.
#include <gtest/gtest.h>

#include <chrono>

#include "bitactor/core/inbox.hpp"
#include "bitactor/core/node.hpp"

namespace bitactor::persist::testing {

inline node_config two_workers() {
  node_config c;
  c.workers = 2;
  return c;
}

/// exit(kill), then waits for the DOWN.
inline void kill_and_wait(node& n, const pid& who) {
  inbox box(n);
  box.monitor(who);
  n.exit(who, exit_reason::kill());
  ASSERT_TRUE(box.receive<down_msg>(std::chrono::seconds(5)));
}

}  // namespace bitactor::persist::testing

#pragma once
// Bounded waits for the tests of every layer: poll a condition until it holds or a limit
// passes. For state that settles just after the event a test waited for (a count updated after
// a message, a connection closed after a reply), never as a sleep standing in for an event.

#include <chrono>
#include <thread>

namespace bitactor::test {

/// Waits until pred() holds or `limit` passes, and returns pred().
template <class Pred>
bool holds_within(std::chrono::milliseconds limit, Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::yield();
  }
  return true;
}

/// holds_within with the limit last, 10 s unless told.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  return holds_within(limit, pred);
}

}  // namespace bitactor::test

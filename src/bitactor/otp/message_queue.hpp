#pragma once
// An owning first-in-first-out queue of messages: the runtime's intrusive fifo (threaded
// through the messages' own link field, free once a message has left its mailbox) holding
// message_ptr ownership. No allocation, two pointers of state. A behaviour's side queues
// (postponed messages, continuations) are empty nearly always, and a std::deque would cost
// ~600 bytes per process even then.

#include "bitactor/core/message.hpp"
#include "bitactor/core/message_fifo.hpp"

namespace bitactor::otp::detail {

class message_queue {
 public:
  message_queue() = default;
  message_queue(const message_queue&) = delete;
  message_queue& operator=(const message_queue&) = delete;
  ~message_queue() {
    while (message* m = queue_.pop_front()) delete m;
  }

  bool empty() const noexcept { return queue_.empty(); }
  void push_back(message_ptr m) noexcept { queue_.push_back(m.release()); }
  /// The oldest message; null when empty.
  message_ptr pop_front() noexcept { return message_ptr(queue_.pop_front()); }

 private:
  bitactor::detail::fifo queue_;
};

}  // namespace bitactor::otp::detail

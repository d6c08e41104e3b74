#pragma once
// An owning first-in-first-out queue of messages, threaded through the messages' own link
// field (free once a message has left its mailbox): no allocation, two pointers of state. A
// behaviour's side queues (postponed messages, continuations) are empty nearly always, and a
// std::deque would cost ~600 bytes per process even then.

#include "bitactor/core/message.hpp"

namespace bitactor::otp::detail {

class message_queue {
 public:
  message_queue() = default;
  message_queue(const message_queue&) = delete;
  message_queue& operator=(const message_queue&) = delete;
  ~message_queue() {
    while (!empty()) pop_front();
  }

  bool empty() const noexcept { return head_ == nullptr; }

  void push_back(message_ptr m) noexcept {
    message* raw = m.release();
    raw->next.store(nullptr, std::memory_order_relaxed);
    if (tail_ != nullptr) {
      tail_->next.store(raw, std::memory_order_relaxed);
    } else {
      head_ = raw;
    }
    tail_ = raw;
  }

  /// The oldest message; the queue must not be empty.
  message_ptr pop_front() noexcept {
    message* raw = head_;
    head_ = static_cast<message*>(raw->next.load(std::memory_order_relaxed));
    if (head_ == nullptr) tail_ = nullptr;
    return message_ptr(raw);
  }

 private:
  message* head_ = nullptr;
  message* tail_ = nullptr;
};

}  // namespace bitactor::otp::detail

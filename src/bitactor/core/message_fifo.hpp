#pragma once
// A first-in-first-out list of messages threaded through the messages' own mailbox link, so
// it costs two pointers and no allocation. A message's link is free once it has left the
// mailbox's shared queue: the runtime keeps a process's delivered-but-unhandled messages in
// one, and otp's behaviours their side queues (postponed messages, continuations).
//
// Not synchronised: one owner at a time. It does not own its messages (the owner frees what
// it pops), except that remove_if() destroys what it removes.

#include <atomic>
#include <cstddef>

#include "bitactor/core/message.hpp"

namespace bitactor::detail {

class fifo {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  void push_back(message* m) noexcept {
    m->next.store(nullptr, std::memory_order_relaxed);
    if (tail_ != nullptr) {
      tail_->next.store(m, std::memory_order_relaxed);
    } else {
      head_ = m;
    }
    tail_ = m;
  }
  /// The oldest message, or nullptr when empty.
  message* pop_front() noexcept {
    message* m = head_;
    if (m != nullptr) {
      head_ = static_cast<message*>(m->next.load(std::memory_order_relaxed));
      if (head_ == nullptr) tail_ = nullptr;
    }
    return m;
  }
  /// Destroys every message for which pred is true, keeping the others in order; returns how
  /// many it removed.
  template <class Pred>
  std::size_t remove_if(Pred pred) {
    std::size_t removed = 0;
    message* prev = nullptr;
    for (message* m = head_; m != nullptr;) {
      auto* next = static_cast<message*>(m->next.load(std::memory_order_relaxed));
      if (pred(*m)) {
        if (prev != nullptr) {
          prev->next.store(next, std::memory_order_relaxed);
        } else {
          head_ = next;
        }
        if (tail_ == m) tail_ = prev;
        delete m;
        ++removed;
      } else {
        prev = m;
      }
      m = next;
    }
    return removed;
  }

 private:
  message* head_ = nullptr;
  message* tail_ = nullptr;
};

}  // namespace bitactor::detail

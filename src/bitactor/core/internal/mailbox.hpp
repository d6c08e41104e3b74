#pragma once
// The mailbox's hot path, written by hand because every message crosses it.
//
// mpsc_queue is Dmitry Vyukov's intrusive multi-producer single-consumer queue: a push is one
// atomic exchange (wait-free for senders, no lock, no allocation beyond the message itself);
// only the owning process pops. FIFO per producer, which gives Erlang's per-sender ordering.
//
// The process's private queue of delivered-but-unhandled messages is a fifo
// (message_fifo.hpp), touched only by the process itself, so it needs no synchronisation.

#include <atomic>
#include <cstddef>

#include "bitactor/core/message.hpp"
#include "bitactor/core/message_fifo.hpp"

namespace bitactor::detail {

class mpsc_queue {
 public:
  mpsc_queue() noexcept : head_(&stub_), tail_(&stub_) {}
  mpsc_queue(const mpsc_queue&) = delete;
  mpsc_queue& operator=(const mpsc_queue&) = delete;

  /// Any thread. seq_cst so the sender's following read of the process's scheduled flag
  /// cannot be reordered before it (pairs with the consumer's store/recheck in the runtime).
  void push(mailbox_node* n) noexcept {
    n->next.store(nullptr, std::memory_order_relaxed);
    mailbox_node* prev = head_.exchange(n, std::memory_order_seq_cst);
    prev->next.store(n, std::memory_order_release);
  }

  /// Consumer only. Returns nullptr when empty, or when a producer is between its exchange
  /// and its link (then empty() is false and the caller retries on a later turn).
  message* pop() noexcept {
    mailbox_node* tail = tail_;
    mailbox_node* next = tail->next.load(std::memory_order_acquire);
    if (tail == &stub_) {
      if (next == nullptr) return nullptr;
      tail_ = next;
      tail = next;
      next = next->next.load(std::memory_order_acquire);
    }
    if (next != nullptr) {
      tail_ = next;
      return static_cast<message*>(tail);
    }
    if (tail != head_.load(std::memory_order_acquire)) return nullptr;
    push(&stub_);
    next = tail->next.load(std::memory_order_acquire);
    if (next != nullptr) {
      tail_ = next;
      return static_cast<message*>(tail);
    }
    return nullptr;
  }

  /// Consumer only. Empty means: nothing left to pop (tail_ is the stub and nothing follows
  /// it) and no producer has started a push (head_ is the stub). Checking head_ alone is not
  /// enough: pop() re-pushes the stub, and a producer racing with that leaves a real node
  /// queued *before* the stub while head_ is the stub again. The seq_cst load of head_ pairs
  /// with the producer's exchange (see runtime::deliver and end_turn).
  bool empty() const noexcept {
    if (tail_ != &stub_ || stub_.next.load(std::memory_order_acquire) != nullptr) return false;
    return !push_started();
  }

  /// Any thread: a producer has pushed (or is pushing) since the consumer last found the queue
  /// empty(). Only head_ is read, so this is safe after the consumer gave up its turn.
  bool push_started() const noexcept { return head_.load(std::memory_order_seq_cst) != &stub_; }

 private:
  std::atomic<mailbox_node*> head_;  // producers' end (no padding: bytes per process matter more)
  mailbox_node* tail_;               // consumer's end
  mailbox_node stub_;
};

}  // namespace bitactor::detail

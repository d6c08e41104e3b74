#pragma once
// A process's mailbox, and the queue on its hot path (written by hand because every message
// crosses it).
//
// mpsc_queue is Dmitry Vyukov's intrusive multi-producer single-consumer queue: a push is one
// atomic exchange (wait-free for senders, no lock, no allocation beyond the message itself);
// only the owning process pops. FIFO per producer, which gives Erlang's per-sender ordering.
//
// mailbox puts together everything a process's messages go through: the mpsc_queue senders
// push to, the process's private queue of delivered-but-unhandled messages (a fifo,
// message_fifo.hpp, touched only by the process itself, so it needs no synchronisation), the
// counters process_info reports, and the flag that says who holds the process's turn.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "bitactor/core/message.hpp"
#include "bitactor/core/message_fifo.hpp"

namespace bitactor::detail {

class mpsc_queue {
 public:
  mpsc_queue() noexcept : head_(&stub_), tail_(&stub_) {}
  mpsc_queue(const mpsc_queue&) = delete;
  mpsc_queue& operator=(const mpsc_queue&) = delete;

  /// Any thread. seq_cst so the sender's following read of the process's scheduled flag
  /// cannot be reordered before it (pairs with the consumer's store/recheck in mailbox::release).
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
  /// with the producer's exchange (see mailbox::post and release).
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

/// See the top of this file. Senders call post(); the calls marked "owner" are made only by
/// the holder of the turn (the worker running the process, or spawn while it sets up the
/// slot). The turn is claimed by whoever turns the flag from false to true, and that party
/// must then get the process run (schedule it).
class mailbox {
 public:
  // --- any thread ---------------------------------------------------------------------------

  /// Queues m (a message or a signal). Returns true when this call claimed the turn (the
  /// process was idle): the caller must schedule the process.
  bool post(message* m) noexcept {
    enqueued_.fetch_add(1, std::memory_order_relaxed);
    arrivals_.push(m);
    // seq_cst load after the seq_cst push pairs with release()'s store-then-recheck: either we
    // see the turn free and claim it, or its holder sees our message and keeps the turn.
    return !scheduled_.load(std::memory_order_seq_cst) &&
           !scheduled_.exchange(true, std::memory_order_seq_cst);
  }

  /// Claims the turn if nobody holds it. Spawn claims a reused slot this way: a slot may
  /// still have a drain turn pending for its previous incarnation.
  bool try_claim() noexcept { return !scheduled_.exchange(true, std::memory_order_acq_rel); }

  /// Whether the turn is held (the process is queued or running); a snapshot.
  bool claimed() const noexcept { return scheduled_.load(std::memory_order_relaxed); }

  /// Messages and signals queued and not yet taken out (a snapshot while senders run).
  std::uint32_t queued() const noexcept {
    const std::uint32_t n =
        enqueued_.load(std::memory_order_relaxed) - dequeued_.load(std::memory_order_relaxed);
    return static_cast<std::int32_t>(n) > 0 ? n : 0;  // the counters wrap; a race may cross
  }

  /// Messages handed to the actor since the slot's current incarnation began.
  std::uint64_t handled() const noexcept { return handled_.load(std::memory_order_relaxed); }

  // --- owner --------------------------------------------------------------------------------

  /// Gives up the turn. Returns true when a sender pushed meanwhile and this call claimed the
  /// turn back: the caller must schedule the process again.
  bool release() noexcept {
    // seq_cst store, then a seq_cst look at the producers' end: pairs with post(), so either
    // the sender sees the turn free and claims it, or we see its push.
    scheduled_.store(false, std::memory_order_seq_cst);
    return arrivals_.push_started() && !scheduled_.exchange(true, std::memory_order_seq_cst);
  }

  /// A new incarnation starts in this slot (its counters of queued messages carry over: late
  /// messages to the previous one may still be in the queue).
  void begin_incarnation() noexcept { handled_.store(0, std::memory_order_relaxed); }

  /// The next message or signal that senders queued, or nullptr when there is none (yet: a
  /// sender may be mid-push, which has_work() then shows).
  message* take_arrival() noexcept { return arrivals_.pop(); }
  /// Puts an arrival from take_arrival() in line for the actor.
  void accept(message* m) noexcept { delivered_.push_back(m); }
  /// Counts an arrival that will not reach the actor (a signal, once applied; a message for
  /// an earlier incarnation of the slot).
  void consumed() noexcept { count_out(1); }
  /// Puts a message the runtime made for the process itself (exit_msg, down_msg) in line.
  void deliver_own(message* m) noexcept {
    enqueued_.fetch_add(1, std::memory_order_relaxed);
    delivered_.push_back(m);
  }

  /// The next message for the actor, counted as handled; nullptr when none is in line.
  message* next_to_handle() noexcept {
    message* m = delivered_.pop_front();
    if (m != nullptr) {
      count_out(1);
      handled_.store(handled_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    return m;
  }
  /// Destroys the messages in line for which pred is true (erlang:demonitor/2's flush).
  template <class Pred>
  void discard_delivered_if(Pred pred) {
    count_out(static_cast<std::uint32_t>(delivered_.remove_if(pred)));
  }
  /// Destroys every message in line (the process has ended).
  void discard_delivered() noexcept {
    while (message* m = delivered_.pop_front()) {
      count_out(1);
      delete m;
    }
  }

  /// Whether anything is left to take in or to handle.
  bool has_work() const noexcept { return !delivered_.empty() || !arrivals_.empty(); }

  /// Node stop, once no turn runs any more: frees whatever is left, uncounted.
  void clear() noexcept {
    while (message* m = arrivals_.pop()) delete m;
    while (message* m = delivered_.pop_front()) delete m;
  }

 private:
  // Only the owner writes dequeued_, so a plain load and store, not a locked add.
  void count_out(std::uint32_t n) noexcept {
    dequeued_.store(dequeued_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  // The members are ordered so that the one-byte flag comes last: the process lays its own
  // one-byte fields in the tail padding after it (see process.hpp).
  mpsc_queue arrivals_;                     // any thread pushes; the owner pops
  fifo delivered_;                          // delivered, not yet handled; owner only
  std::atomic<std::uint64_t> handled_{0};   // messages handed to the actor; the owner writes
  std::atomic<std::uint32_t> enqueued_{0};  // messages and signals put in (wraps)
  std::atomic<std::uint32_t> dequeued_{0};  // ... and taken out; the owner writes it
  std::atomic<bool> scheduled_{false};      // the turn: queued or running
};

}  // namespace bitactor::detail

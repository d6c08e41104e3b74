#pragma once
// A mailbox for code that is not a process: main(), tests, a thread of a C library. It is a
// real process of the node (it has a pid, can be sent to, linked and monitored, and traps
// exits so a crash it is linked to arrives as exit_msg instead of killing it); receive() blocks
// the calling thread until a message of the wanted type arrives or the timeout passes.
//
// Under the deterministic policy, receive() drives the node instead of blocking: it runs turns
// and advances virtual time up to the timeout.
//
// receive() inside a process's handler throws would_block at once (it would hold the
// scheduler thread that the awaited reply needs); processes spawned with spawn_blocking may
// wait, since they run on the blocking pool.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "bitactor/core/node.hpp"

namespace bitactor {

class inbox {
 public:
  explicit inbox(node& n);
  /// Ends the inbox's process (with reason killed: it traps exits, so nothing milder would).
  ~inbox();
  inbox(const inbox&) = delete;
  inbox& operator=(const inbox&) = delete;

  pid self() const noexcept { return self_; }

  template <class T>
  void send(const pid& to, T&& msg) {
    node_.send(to, std::forward<T>(msg));
  }

  /// The first queued message of type T (messages of other types stay queued), waiting up to
  /// timeout for one to arrive.
  template <class T>
  std::optional<T> receive(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    message_ptr m = take([](const message& msg) { return msg.is<T>(); }, timeout);
    if (!m) return std::nullopt;
    return std::move(*m->get_if<T>());
  }
  /// The first queued message of any type, waiting up to timeout.
  message_ptr receive_any(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Messages queued now.
  std::size_t size() const;

  /// Links the inbox's process with p; p's exit arrives as exit_msg.
  void link(const pid& p);
  /// Monitors p; its exit arrives as down_msg.
  ref monitor(const pid& p);

 private:
  struct shared_queue {
    mutable std::mutex lock;
    std::condition_variable arrived;
    std::deque<message_ptr> messages;
  };
  class receiver;

  template <class Pred>
  message_ptr take(Pred pred, std::chrono::milliseconds timeout);
  message_ptr take_matching(bool (*pred)(const message&, const void*), const void* ctx,
                            std::chrono::milliseconds timeout);

  node& node_;
  std::shared_ptr<shared_queue> queue_;
  pid self_;
};

template <class Pred>
message_ptr inbox::take(Pred pred, std::chrono::milliseconds timeout) {
  return take_matching(
      [](const message& m, const void* ctx) { return (*static_cast<const Pred*>(ctx))(m); }, &pred,
      timeout);
}

}  // namespace bitactor

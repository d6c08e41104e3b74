#include "bitactor/core/inbox.hpp"

#include <chrono>

#include "bitactor/core/error.hpp"
#include "bitactor/core/internal/deadline.hpp"
#include "bitactor/core/internal/runtime.hpp"
#include "bitactor/core/internal/spinlock.hpp"

namespace bitactor {

class inbox::receiver final : public actor {
 public:
  explicit receiver(std::shared_ptr<shared_queue> q) : queue_(std::move(q)) {}
  void handle(message& m) override {
    {
      std::lock_guard guard(queue_->lock);
      queue_->messages.push_back(keep(m));
    }
    queue_->arrived.notify_all();
  }

 private:
  std::shared_ptr<shared_queue> queue_;
};

inbox::inbox(node& n) : node_(n), queue_(std::make_shared<shared_queue>()) {
  detail::spawn_options o;
  o.trap_exit = true;
  self_ = detail::runtime_of(n).spawn_as<receiver>(o, queue_);
}

inbox::~inbox() {
  auto& rt = detail::runtime_of(node_);
  if (!rt.stopping()) rt.send_exit(pid{}, self_, exit_reason::kill());
  if (auto* det = rt.deterministic()) det->run_until_idle();
}

std::size_t inbox::size() const {
  std::lock_guard guard(queue_->lock);
  return queue_->messages.size();
}

message_ptr inbox::receive_any(std::chrono::milliseconds timeout) {
  return take([](const message&) { return true; }, timeout);
}

message_ptr inbox::take_matching(bool (*pred)(const message&, const void*), const void* ctx,
                                 std::chrono::milliseconds timeout) {
  auto find = [&]() -> message_ptr {
    for (auto it = queue_->messages.begin(); it != queue_->messages.end(); ++it) {
      if (pred(**it, ctx)) {
        message_ptr m = std::move(*it);
        queue_->messages.erase(it);
        return m;
      }
    }
    return nullptr;
  };
  if (detail::runtime::in_scheduled_handler()) {
    throw would_block(
        "inbox receive inside a process's handler would block a scheduler thread (and so "
        "deadlock): inside a behaviour co_await the call, start or task instead; for blocking "
        "work use spawn_blocking");
  }
  auto& rt = detail::runtime_of(node_);
  if (rt.deterministic() != nullptr) {
    message_ptr found;
    rt.run_deterministic(detail::deadline_after(rt.now_ms(), timeout), [&] {
      std::lock_guard guard(queue_->lock);
      found = find();
      return found != nullptr;
    });
    return found;
  }
  // A reply usually comes within microseconds: look for it briefly before sleeping, since
  // being woken from a condition variable costs tens of microseconds on a virtual machine.
  const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
  do {
    {
      std::lock_guard guard(queue_->lock);
      if (message_ptr m = find()) return m;
    }
    for (int i = 0; i < 16; ++i) detail::cpu_relax();
  } while (timeout.count() > 0 && std::chrono::steady_clock::now() < spin_until);
  const auto deadline = detail::steady_deadline(timeout);
  std::unique_lock guard(queue_->lock);
  message_ptr found;
  auto arrived = [&] {
    found = find();
    return found != nullptr;
  };
  if (deadline) {
    queue_->arrived.wait_until(guard, *deadline, arrived);
  } else {
    queue_->arrived.wait(guard, arrived);  // past the clock's range: no deadline at all
  }
  return found;
}

void inbox::link(const pid& p) { detail::runtime_of(node_).link_on_behalf(self_, p); }

ref inbox::monitor(const pid& p) { return detail::runtime_of(node_).monitor_on_behalf(self_, p); }

}  // namespace bitactor

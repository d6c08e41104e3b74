#include "bitactor/resilience/bulkhead.hpp"

#include <algorithm>

#include "bitactor/resilience/events.hpp"

namespace bitactor::resilience {

bulkhead::bulkhead(bulkhead_config config) : config_(std::move(config)) {
  config_.max_concurrent = std::max<std::size_t>(config_.max_concurrent, 1);
}

std::size_t bulkhead::active() const {
  std::lock_guard<std::mutex> g(lock_);
  return active_;
}

std::size_t bulkhead::waiting() const {
  std::lock_guard<std::mutex> g(lock_);
  return queue_.size();
}

error bulkhead::rejection(std::string_view reason) const {
  error e(error_category::rejected, "bulkhead_full",
          "bulkhead '" + config_.name + "' rejected the call: " + std::string(reason));
  e.with("bulkhead", config_.name);
  e.with("reason", std::string(reason));
  return e;
}

void bulkhead::reject(std::string_view reason) {
  emit_with([&] {
    std::size_t active = 0, waiting = 0;
    {
      std::lock_guard<std::mutex> g(lock_);
      active = active_;
      waiting = queue_.size();
    }
    return event{
        {"bitactor", "bulkhead", "rejected"},
        {{"active", static_cast<double>(active)}, {"waiting", static_cast<double>(waiting)}},
        {{"name", config_.name}, {"reason", std::string(reason)}}};
  });
  throw failure(rejection(reason));
}

std::optional<bulkhead::permit> bulkhead::try_enter() {
  std::lock_guard<std::mutex> g(lock_);
  if (active_ >= config_.max_concurrent || !queue_.empty()) return std::nullopt;
  ++active_;
  return permit(this);
}

bulkhead::permit bulkhead::enter() {
  std::unique_lock<std::mutex> g(lock_);
  if (active_ < config_.max_concurrent && queue_.empty()) {
    ++active_;
    return permit(this);
  }
  if (queue_.size() >= config_.max_waiting || config_.max_wait.count() <= 0) {
    g.unlock();
    reject("queue_full");
  }
  waiter self;
  queue_.push_back(&self);
  const bool granted = turn_given_.wait_for(g, config_.max_wait, [&] { return self.granted; });
  if (!granted) {
    withdraw_locked(&self);
    g.unlock();
    reject("wait_timeout");
  }
  return permit(this);  // leave() passed its slot to us: active_ already counts it
}

bool bulkhead::withdraw_locked(waiter* w) {
  auto it = std::find(queue_.begin(), queue_.end(), w);
  if (it == queue_.end()) return false;
  queue_.erase(it);
  return true;
}

void bulkhead::leave() noexcept {
  waiter* next = nullptr;
  node* to_node = nullptr;
  pid to;
  ref tag;
  {
    std::lock_guard<std::mutex> g(lock_);
    if (queue_.empty()) {
      --active_;
      return;
    }
    // The slot passes straight to the first waiter: active_ stays as it is.
    next = queue_.front();
    queue_.pop_front();
    next->granted = true;
    to_node = next->n;
    to = next->process;
    tag = next->tag;
  }
  if (to_node == nullptr) {
    turn_given_.notify_all();
  } else {
    // The turn travels as the reply its coroutine waits for (behaviour::wait).
    to_node->send(to, otp::call_reply{tag, message_ptr(make_message<otp::ok_t>()), false});
  }
}

bulkhead::turn_awaiter bulkhead::enter(otp::behaviour& self) { return turn_awaiter(*this, self); }

bulkhead::turn_awaiter::turn_awaiter(bulkhead& b, otp::behaviour& self) : owner_(b), self_(self) {}

bulkhead::turn_awaiter::~turn_awaiter() {
  bool give_back = entered_;
  if (queued_) {
    std::lock_guard<std::mutex> g(owner_.lock_);
    // Still queued: leave the queue. Granted but never resumed: the slot is ours to return.
    if (!owner_.withdraw_locked(&entry_) && entry_.granted) give_back = true;
  }
  if (give_back) owner_.leave();
}

bool bulkhead::turn_awaiter::await_ready() {
  std::unique_lock<std::mutex> g(owner_.lock_);
  if (owner_.active_ < owner_.config_.max_concurrent && owner_.queue_.empty()) {
    ++owner_.active_;
    entered_ = true;
    return true;
  }
  if (owner_.queue_.size() >= owner_.config_.max_waiting || owner_.config_.max_wait.count() <= 0) {
    return true;  // rejected in await_resume, where the coroutine can take the exception
  }
  entry_.n = &self_.this_node();
  entry_.process = self_.self();
  entry_.tag = self_.make_ref();
  owner_.queue_.push_back(&entry_);
  queued_ = true;
  return false;
}

void bulkhead::turn_awaiter::await_suspend(std::coroutine_handle<> h) {
  wait_.emplace(
      self_.wait(otp::detail::wait_spec{entry_.tag, ref{}, pid{}, owner_.config_.max_wait, false}));
  wait_->await_suspend(h);
}

bulkhead::permit bulkhead::turn_awaiter::await_resume() {
  if (wait_) (void)wait_->await_resume();
  if (queued_) {
    // The reply and the timeout race: whether the slot was granted decides, not which
    // message came first (a turn given just after the timer fired is still taken).
    std::unique_lock<std::mutex> g(owner_.lock_);
    queued_ = false;
    if (owner_.withdraw_locked(&entry_)) {
      g.unlock();
      owner_.reject("wait_timeout");
    }
    entered_ = entry_.granted;
  }
  if (!entered_) owner_.reject("queue_full");
  entered_ = false;
  return permit(&owner_);
}

}  // namespace bitactor::resilience
